"""Parse file contents into tags, in a pool of forked worker processes when there are many."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

from codeassist import secrets
from codeassist.ctx.tags import FileTags, parse

PARALLEL_MIN_FILES = 200  # below this a pool costs more than it saves
CHUNK = 16  # files per task sent to a worker
BINARY_PROBE = 8192  # bytes looked at for a NUL: a file with one is binary


class ParseJob(NamedTuple):
    """One file's content to parse."""

    path: str
    data: bytes
    language: str


def tag_bytes(data: bytes, lang: str) -> FileTags:
    """Tags of one file's content: binaries refused, secret values redacted before parsing."""
    if b"\0" in data[:BINARY_PROBE]:
        return FileTags(lang, note="binary")
    redacted, _ = secrets.redact(data)
    return parse(redacted, lang)


# The jobs of the running pool: forked workers inherit them, so file contents are not pickled.
_JOBS: list[tuple[str, bytes, str]] = []
_POOL_LOCK = threading.Lock()


def _job(n: int) -> tuple[str, tuple[object, ...]]:
    digest, data, lang = _JOBS[n]
    return digest, tag_bytes(data, lang).dump()


def parse_all(todo: dict[str, ParseJob], workers: int | None) -> Iterator[tuple[str, FileTags]]:
    """Tags by content hash for each job of `todo`; `workers` caps the processes."""
    global _JOBS
    jobs = [(digest, job.data, job.language) for digest, job in todo.items()]
    count = min(workers or os.cpu_count() or 1, os.cpu_count() or 1)
    context = _fork_context()
    if count < 2 or len(jobs) < PARALLEL_MIN_FILES or context is None:
        for digest, data, lang in jobs:
            yield digest, tag_bytes(data, lang)
        return
    with _POOL_LOCK:
        _JOBS = jobs
        try:
            with context.Pool(count) as pool:
                for digest, dumped in pool.imap_unordered(_job, range(len(jobs)), CHUNK):
                    yield digest, FileTags.load(dumped)
        finally:
            _JOBS = []


def _fork_context() -> Any:
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")
