"""Scratch folders that last no longer than the process that made them, even after `kill -9`.

Each folder holds a lock file, flock()ed by its owner for as long as it lives: the kernel drops
the lock when the process dies, however it dies, so a free lock means a dead owner (no pid
files, nothing fooled by a reused pid). The next caller sweeps such folders away.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = "owner.lock"
STARTING_S = 60.0  # a folder without its lock yet is young, not dead, for this long


@contextmanager
def folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A fresh folder under `parent`, removed on exit; stale ones of the same prefix go first."""
    parent.mkdir(parents=True, exist_ok=True)
    sweep(parent, prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())  # for a person looking; the lock decides
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def sweep(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders under `parent` named `prefix*` whose owner has died; say which."""
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
            continue
        fd = _claim(entry)
        if fd is None:
            continue
        if fd < 0:  # no lock file: ours only if empty (killed between mkdtemp and the lock)
            try:
                entry.rmdir()
            except OSError:
                continue  # holds files: a folder of the user's that happens to share the name
            removed.append(entry)
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(entry)
    return removed


def _claim(entry: Path) -> int | None:
    """Its lock, taken (-1 when it has no lock file and is old): None while its owner lives.

    A folder without the lock file is swept only when empty: codeassist never leaves one with
    files in it and no lock, so such a folder is someone else's."""
    try:
        young = time.time() - entry.stat().st_mtime < STARTING_S
    except OSError:
        return None
    try:
        fd = os.open(entry / LOCK, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:  # killed before it made its lock file, or still starting
        return None if young else -1
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if young and not os.read(fd, 16):  # made, not yet locked by its owner: leave it be
            raise BlockingIOError
    except OSError:
        os.close(fd)
        return None
    return fd
