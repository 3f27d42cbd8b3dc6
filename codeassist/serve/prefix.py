"""The server's prompt cache on disk: the KV state of its last prefix, kept across restarts.

One directory per model file and settings; one file per saved prefix, named by the hash of
its tokens; the newest is loaded when the server starts. Files that do not fit the model
(another build, another context size) are rejected by llama.cpp and removed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from codeassist import paths

KEEP = 3  # saved prefixes per model


class Persistable(Protocol):
    n_ctx: int

    def save_prefix(self, path: Path) -> int: ...

    def load_prefix(self, path: Path) -> int: ...


def directory(model_path: Path, *settings: object) -> Path:
    st = model_path.stat()
    key = f"{model_path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{settings}"
    return paths.cache_dir() / "prefix" / hashlib.sha256(key.encode()).hexdigest()[:16]


def save(backend: Persistable, where: Path, tokens: list[int]) -> Path | None:
    """Save the backend's cached prefix; keeps the newest few files."""
    if not tokens:
        return None
    where.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(repr(tokens).encode()).hexdigest()[:16] + ".state"
    partial = where / (name + ".partial")
    if not backend.save_prefix(partial):
        partial.unlink(missing_ok=True)
        return None
    target = where / name
    partial.replace(target)
    for old in sorted(where.glob("*.state"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def load_newest(backend: Persistable, where: Path) -> int:
    """Load the newest saved prefix; returns its token count (0 when none fits)."""
    for path in sorted(where.glob("*.state"), key=lambda p: p.stat().st_mtime, reverse=True):
        n = backend.load_prefix(path)
        if n:
            path.touch()
            return n
        path.unlink(missing_ok=True)
    return 0
