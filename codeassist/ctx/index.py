"""Index a repository: list files, stat them, reuse cached tags, parse only what changed.

An unchanged repository costs a listing, one stat per file and one cache query. Files whose
size or mtime moved are read and hashed; only unknown content is parsed, in a pool of worker
processes when there is a lot of it and more than one core.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeassist import paths
from codeassist.ctx import files as fileset
from codeassist.ctx.cache import Stat, TagCache
from codeassist.ctx.tags import FileTags, language_of, parse, queries_version

PARALLEL_MIN_FILES = 200  # below this a pool costs more than it saves
CHUNK = 16  # files per task sent to a worker
BINARY_PROBE = 8192


@dataclass
class Index:
    """Tags of every indexable file (repository-relative paths), and notes on skipped ones."""

    root: Path
    git: bool
    files: dict[str, FileTags] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    parsed: int = 0  # files parsed in this run (the rest came from the cache)


def cache_path() -> Path:
    return paths.cache_dir() / "context.sqlite"


def build_index(root: Path, *, workers: int | None = None) -> Index:
    """Index `root`; `workers` caps the parse pool (default: the cores there are)."""
    root = root.resolve()
    listing = fileset.list_files(root, language_of)
    result = Index(root, listing.git)
    current: dict[str, tuple[int, int, str]] = {}  # path → size, mtime_ns, language
    base = str(root)
    for rel in listing.paths:
        lang = language_of(rel) or ""
        try:
            info = os.stat(os.path.join(base, rel))
        except OSError as exc:
            result.notes.append(f"{rel}: unreadable ({exc.strerror or exc})")
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if info.st_size > fileset.MAX_FILE_BYTES:
            result.notes.append(f"{rel}: too large ({info.st_size / 1e6:.1f} MB)")
            continue
        current[rel] = (info.st_size, info.st_mtime_ns, lang)

    cache = TagCache(cache_path(), queries_version())
    try:
        _fill(result, cache, current, workers)
    finally:
        cache.close()
    if cache.note:
        result.notes.append(cache.note)
    return result


def _fill(
    result: Index, cache: TagCache, current: dict[str, tuple[int, int, str]], workers: int | None
) -> None:
    key = str(result.root)
    known_stats, known_tags = cache.load(key)
    changed: dict[str, Stat] = {}
    pending: dict[str, tuple[str, bytes, str]] = {}  # digest → (path, bytes, language)
    waiting: list[tuple[str, str]] = []  # (path, digest) resolved after parsing
    for rel, (size, mtime_ns, lang) in current.items():
        seen = known_stats.get(rel)
        if seen is not None and seen[0] == size and seen[1] == mtime_ns:
            result.files[rel] = known_tags[seen[2]]
            continue
        try:
            data = (result.root / rel).read_bytes()
        except OSError as exc:
            result.notes.append(f"{rel}: unreadable ({exc.strerror or exc})")
            continue
        digest = hashlib.blake2b(lang.encode() + b"\0" + data, digest_size=16).hexdigest()
        changed[rel] = (size, mtime_ns, digest)
        waiting.append((rel, digest))
        if digest not in known_tags and digest not in pending:
            pending[digest] = (rel, data, lang)
    if pending:
        known_tags.update(cache.lookup(pending))
        todo = {d: job for d, job in pending.items() if d not in known_tags}
        new_tags = dict(_parse_all(todo, workers))
        result.parsed = len(new_tags)
        known_tags.update(new_tags)
    else:
        new_tags = {}
    for rel, digest in waiting:
        result.files[rel] = known_tags[digest]
    gone = [p for p in known_stats if p not in current]
    if changed or new_tags or gone:
        cache.save(key, changed, new_tags, gone)
    for rel in sorted(result.files):
        if note := result.files[rel].note:
            result.notes.append(f"{rel}: {note}")


def tag_bytes(data: bytes, lang: str) -> FileTags:
    """Tags of one file's content, refusing binaries and secrets before parsing."""
    if b"\0" in data[:BINARY_PROBE]:
        return FileTags(lang, note="binary")
    if fileset.looks_secret(data):
        return FileTags(lang, note="looks like it holds a secret; not read")
    return parse(data, lang)


def _job(item: tuple[str, bytes, str]) -> tuple[str, tuple[object, ...]]:
    digest, data, lang = item
    return digest, tag_bytes(data, lang).dump()


def _parse_all(
    todo: dict[str, tuple[str, bytes, str]], workers: int | None
) -> Iterator[tuple[str, FileTags]]:
    jobs = [(digest, data, lang) for digest, (_, data, lang) in todo.items()]
    count = min(workers or os.cpu_count() or 1, os.cpu_count() or 1)
    context = _fork_context()
    if count < 2 or len(jobs) < PARALLEL_MIN_FILES or context is None:
        for digest, data, lang in jobs:
            yield digest, tag_bytes(data, lang)
        return
    with context.Pool(count) as pool:
        for digest, dumped in pool.imap_unordered(_job, jobs, chunksize=CHUNK):
            yield digest, FileTags.load(dumped)


def _fork_context() -> Any:
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")
