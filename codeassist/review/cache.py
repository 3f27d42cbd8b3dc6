"""Per-file review results, keyed by blob hashes: an unchanged staged file costs nothing.

A cache that cannot be opened or written is no cache: reviewing never fails because of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from codeassist import paths
from codeassist.review.findings import Finding

VERSION = "2"  # bump when the checks change what they find


def key(kind: str, path: str, old_blob: str | None, new_blob: str | None, model: str = "") -> str:
    """A file's diff is fully determined by its two blobs (and its path, for the language)."""
    raw = "\0".join([VERSION, kind, path, old_blob or "-", new_blob or "-", model])
    return hashlib.sha256(raw.encode()).hexdigest()


class Cache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / "review.sqlite"
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=2, isolation_level=None)
                db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, data TEXT)")
                self._db = db
            except (sqlite3.Error, OSError):
                self._broken = True
        return self._db

    def get(self, k: str) -> list[Finding] | None:
        db = self._conn()
        if db is None:
            return None
        try:
            row = db.execute("SELECT data FROM results WHERE key = ?", (k,)).fetchone()
            return [Finding.from_json(f) for f in json.loads(row[0])] if row else None
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return None

    def put(self, k: str, findings: list[Finding]) -> None:
        db = self._conn()
        if db is None:
            return
        data = json.dumps([f.to_json() for f in findings])
        try:
            db.execute("INSERT OR REPLACE INTO results (key, data) VALUES (?, ?)", (k, data))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
