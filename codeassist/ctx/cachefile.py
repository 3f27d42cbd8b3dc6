"""Opening the tag cache's SQLite file: made once, shared by every process after that.

A cache already in WAL mode with this version's schema opens with reads alone, which never
wait for a writer. Making it (a new file, a new version, a new schema) is a write, done by one
process at a time under a lock file beside it; the others wait for that, then open it as
made. A cache that stays busy past the wait, or cannot be had at all, becomes an in-memory
one for this run, with a note; a damaged file is removed and made again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codeassist import paths

BUSY_TIMEOUT_MS = 300  # the longest a write waits for another process's write
SETUP_WAIT_S = 10.0  # the longest a process waits for another one making the cache
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    root TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL, PRIMARY KEY (root, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (hash TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
DROP TABLE IF EXISTS repo_state;
CREATE TABLE IF NOT EXISTS snapshots (
    root TEXT PRIMARY KEY, stat_key TEXT NOT NULL, content_key TEXT NOT NULL, graph BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS graph_inputs (root TEXT PRIMARY KEY, tables BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS walks (root TEXT PRIMARY KEY, tree BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS derived (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
"""
TABLES = ("files", "tags", "snapshots", "graph_inputs", "walks", "derived")  # a new version: wiped
# What the file must say it was made for: the queries' digest and this schema.
_SCHEMA_DIGEST = hashlib.sha256(SCHEMA.encode()).hexdigest()[:12]


def open_cache(path: Path, version: str) -> tuple[sqlite3.Connection, str]:
    """The cache file, or an in-memory one when it is busy or cannot be had; and a note."""
    note = ""
    try:
        return _connect(path, version), note
    except sqlite3.OperationalError as exc:  # busy past the wait, or cannot be opened
        return _without(version, exc)
    except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
        note = remove(path, exc)
    except OSError as exc:  # its folder cannot be made (a file is in the way)
        return _without(version, exc)
    try:
        return _connect(path, version), note
    except (sqlite3.DatabaseError, OSError) as exc:
        return _without(version, exc)


def remove(path: Path, exc: Exception) -> str:
    """Remove a damaged cache file (and its journal); the note that says so."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"tag cache {path} was damaged ({exc}); rebuilt"


class write:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error): one writer at a time, never half a write."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _without(version: str, exc: Exception) -> tuple[sqlite3.Connection, str]:
    """An in-memory cache for this run, and the note that says why."""
    what = "busy" if _busy(exc) else "unavailable"
    db = sqlite3.connect(":memory:", isolation_level=None)
    _make(db, f"{version} {_SCHEMA_DIGEST}")
    return db, f"tag cache {what} ({exc}); nothing cached this time"


def _connect(path: Path, version: str) -> sqlite3.Connection:
    """The database at `path`, made (or wiped for a new version) first if it must be."""
    paths.make(path.parent)
    made_for = f"{version} {_SCHEMA_DIGEST}"
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        if not _ready(db, made_for):
            with _making(path):
                db.execute(f"PRAGMA busy_timeout = {int(SETUP_WAIT_S * 1000)}")
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                _make(db, made_for)
                db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA synchronous = NORMAL")  # after: it reads the schema
    except BaseException:
        db.close()
        raise
    return db


def _ready(db: sqlite3.Connection, made_for: str) -> bool:
    """Whether the file is in WAL mode and made for `made_for` (reads only)."""
    try:
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            return False
        row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    except sqlite3.OperationalError:  # no tables yet, or another process is making them
        return False
    return row is not None and row[0] == made_for


def _make(db: sqlite3.Connection, made_for: str) -> None:
    """The schema, its tables emptied when the file was made for something else."""
    db.executescript(SCHEMA)
    row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if row is None or row[0] != made_for:
        with write(db):
            for table in TABLES:
                db.execute(f"DELETE FROM {table}")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (made_for,))


@contextmanager
def _making(path: Path) -> Iterator[None]:
    """Hold the lock file beside `path` (one process makes the cache); busy past the wait."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + SETUP_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _busy(exc: Exception) -> bool:
    """Another process holds the lock (as opposed to a cache that cannot be opened)."""
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)
