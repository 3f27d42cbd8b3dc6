"""Per-file review results, keyed by blob hashes: an unchanged staged file costs nothing.

A cache that cannot be opened or written is no cache: reviewing never fails because of it.
A damaged one is removed, and the next use builds it again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from codeassist import paths
from codeassist.review.findings import Finding

VERSION = "3"  # bump when the checks change what they find
BUSY_TIMEOUT_S = 0.25  # a write takes milliseconds: longer means another process holds a lock


def key(kind: str, path: str, old_blob: str | None, new_blob: str | None, model: str = "") -> str:
    """A file's diff is fully determined by its two blobs (and its path, for the language)."""
    raw = "\0".join([VERSION, kind, path, old_blob or "-", new_blob or "-", model])
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()  # a non-UTF-8 name


class Cache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / "review.sqlite"
        self._db: sqlite3.Connection | None = None
        self._broken = False  # cannot be opened or written (locked, no permission): not this run
        self.note: str | None = None  # why this run went without the cache, for the report

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self._db = self._connect()
            except sqlite3.OperationalError as exc:  # busy, or cannot be opened
                self._broken = True
                self.note = f"review cache not used: {exc}"
            except sqlite3.DatabaseError:  # not a database, or a damaged one: start again
                self._discard()
                try:
                    self._db = self._connect()
                except (sqlite3.Error, OSError):
                    self._broken = True
            except OSError:
                self._broken = True
        return self._db

    def _connect(self) -> sqlite3.Connection:
        paths.make(self.path.parent)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, data TEXT)")
        except BaseException:
            db.close()
            raise
        return db

    def _discard(self) -> None:
        """Remove a damaged cache file: the next use builds a new one."""
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError:
                self._broken = True

    def _failed(self, exc: sqlite3.Error) -> None:
        """A read or write failed: a damaged file is removed; a locked (or read-only, or full)
        one is left alone, and this run goes on without it: each try would wait again."""
        if isinstance(exc, sqlite3.OperationalError):
            self.close()
            self._broken = True
            self.note = f"review cache not used: {exc}"
        elif isinstance(exc, sqlite3.DatabaseError):  # damaged past the header: found when read
            self._discard()

    def get(self, k: str) -> list[Finding] | None:
        db = self._conn()
        if db is None:
            return None
        try:
            row = db.execute("SELECT data FROM results WHERE key = ?", (k,)).fetchone()
            return [Finding.from_json(f) for f in json.loads(row[0])] if row else None
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        except (ValueError, KeyError, TypeError):
            return None

    def put(self, k: str, findings: list[Finding]) -> None:
        db = self._conn()
        if db is None:
            return
        data = json.dumps([f.to_json() for f in findings])
        try:
            db.execute("INSERT OR REPLACE INTO results (key, data) VALUES (?, ?)", (k, data))
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
