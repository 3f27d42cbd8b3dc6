"""Where the context cache lives (tags, stable parts and token counts: one SQLite file), and
which version of the code made what it holds.

Light to import on purpose: a shell request opens the cache for its token counts alone, and
must not import the parsers and the secret rules to learn the version. The version is a
digest of their source files, read, not imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from codeassist import paths

TAGS = Path(__file__).with_name("tags.py")  # how tags are read from a tree (its FORMAT too)
SECRETS = tuple(Path(__file__).parents[1] / name for name in ("secrets.py", "secret_rules.py"))


def cache_path() -> Path:
    return paths.cache_dir() / "context.sqlite"


def cache_version() -> str:
    """What cached tags were made with: the queries, the grammars and the secret rules."""
    return f"{queries_version()}-{secrets_version()}"


def queries_folder() -> Any:
    """The query folder: a plain folder next to this module (cheap), else package data."""
    here = Path(__file__).with_name("queries")
    return here if here.is_dir() else resources.files(__package__).joinpath("queries")


@cache
def queries_version() -> str:
    """A digest of every query file, of tags.py and of the grammar package: a change to any
    invalidates the cache."""
    digest = hashlib.blake2b(TAGS.read_bytes(), digest_size=8)
    spec = importlib.util.find_spec("tree_sitter_language_pack")  # located, not imported
    if spec is not None and spec.origin:
        info = os.stat(spec.origin)
        digest.update(f"{spec.origin}:{info.st_size}:{info.st_mtime_ns}".encode())
    for item in sorted(queries_folder().iterdir(), key=str):
        if item.name.endswith(".scm"):
            digest.update(item.name.encode() + item.read_bytes())
    return digest.hexdigest()


@cache
def secrets_version() -> str:
    """A digest of the secret rules: what was redacted under other rules is redacted again."""
    code = b"".join(path.read_bytes() for path in SECRETS)
    return hashlib.blake2b(code, digest_size=8).hexdigest()
