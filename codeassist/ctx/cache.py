"""Tags per file in SQLite under the user cache dir, keyed by path and content hash.

Rows of `files` say what (size, mtime, hash) a path had when it was indexed; `tags` holds the
tags of each content hash, so a file is parsed again only when its bytes change. `snapshots`
holds per repository root the reference graph with the file → hash map, keyed by digests of
its stat list and of its content hashes: an unchanged repository loads one blob, not thousands
of rows. `graph_inputs` holds the graph's inputs as flat tables with the state they were made
from: an edit patches them, and stores them again only once they lag many files behind.
`walks` holds the folder walk of a repository outside git (see files.list_files); `derived`
what is computed from tags (token counts, prompt parts). WAL mode, a short busy timeout and one
short write transaction make two processes at once safe: a write that would wait longer is
skipped with a note. Opening, making and wiping the file: cachefile.py. Names that are not
UTF-8 are stored as bytes (BLOBs).
"""

from __future__ import annotations

import marshal
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from codeassist.ctx.cachefile import open_cache, remove, write

if TYPE_CHECKING:  # the tags' code is imported when tags are read: token counts need none
    from codeassist.ctx.tags import FileTags

LOOKUP_CHUNK = 500  # content hashes per query (SQLite allows a limited number of parameters)


class Stat(NamedTuple):
    """What a file was when it was indexed."""

    size: int
    mtime_ns: int
    digest: str  # content hash


@dataclass(frozen=True)
class Snapshot:
    """What is stored for a repository root: its graph and the state it was made from."""

    stat_key: str  # digest of the (path, size, mtime_ns) list it was made from
    content_key: str  # digest of the (path, content hash) list
    graph: bytes  # the graph and file → hash map (what every request needs)
    tables: bytes = b""  # the graph's inputs (what an edit needs); b"": keep the stored ones


class TagCache:
    """A connection to the tag cache; `version` is the queries' digest (a change wipes it)."""

    def __init__(self, path: Path, version: str, db: sqlite3.Connection, note: str = "") -> None:
        self.path = path
        self.version = version
        self.db = db
        self.note = note  # why caching is off or was reset, for the user; "" when all is well

    @staticmethod
    def open(path: Path, version: str) -> TagCache:
        """The cache at `path`; an in-memory one (and a note) when it is busy or cannot be had."""
        db, note = open_cache(path, version)
        return TagCache(path, version, db, note)

    def close(self) -> None:
        self.db.close()

    def _read(self, sql: str, params: Iterable[Any]) -> list[Any]:
        """Rows of a query; none when busy (parse this time) or damaged (rebuilt first)."""
        try:
            return self.db.execute(sql, tuple(map(_stored, params))).fetchall()
        except sqlite3.OperationalError as exc:  # busy: parse this time, keep the cache
            self.note = f"tag cache busy ({exc}); files parsed again"
        except sqlite3.DatabaseError as exc:  # damaged past the header: start again
            self.db.close()
            self.note = remove(self.path, exc)
            self.db, note = open_cache(self.path, self.version)
            self.note = note or self.note
        return []

    def snapshot(self, root: str) -> Snapshot | None:
        """The last state stored for `root`, if any."""
        rows = self._read(
            "SELECT stat_key, content_key, graph FROM snapshots WHERE root = ?", (root,)
        )
        if not rows:
            return None
        stat_key, content_key, graph = rows[0]
        return Snapshot(stat_key, content_key, graph)

    def tables(self, root: str) -> bytes | None:
        """The graph inputs stored for `root` (they carry the state they were made from)."""
        rows = self._read("SELECT tables FROM graph_inputs WHERE root = ?", (root,))
        return bytes(rows[0][0]) if rows else None

    def walk(self, root: str) -> bytes:
        """The folder walk stored for `root` (outside git), b"" if none."""
        rows = self._read("SELECT tree FROM walks WHERE root = ?", (root,))
        return bytes(rows[0][0]) if rows else b""

    def store_walk(self, root: str, tree: bytes) -> None:
        try:
            with write(self.db):
                self.db.execute("INSERT OR REPLACE INTO walks VALUES (?, ?)", (_stored(root), tree))
        except sqlite3.DatabaseError as exc:
            self.note = f"tag cache not updated ({exc})"

    def recall(self, key: str) -> bytes | None:
        """The value stored under a `derived` key, if any."""
        rows = self._read("SELECT value FROM derived WHERE key = ?", (_stored(key),))
        return bytes(rows[0][0]) if rows else None

    def remember(self, items: dict[str, bytes]) -> None:
        """Store `derived` values; a failure only costs caching."""
        try:
            with write(self.db):
                rows = [(_stored(key), value) for key, value in items.items()]  # keys name paths
                self.db.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            self.note = f"tag cache not updated ({exc})"

    def stats(self, root: str) -> dict[str, Stat]:
        """What was indexed under `root`: (size, mtime_ns, content hash) by path."""
        rows = self._read("SELECT path, size, mtime_ns, hash FROM files WHERE root = ?", (root,))
        return {_name(path): Stat(size, mtime_ns, digest) for path, size, mtime_ns, digest in rows}

    def lookup(self, digests: Iterable[str]) -> dict[str, FileTags]:
        """Tags already known for these content hashes (a file copied, or only touched)."""
        from codeassist.ctx.tags import FileTags

        found: dict[str, FileTags] = {}
        wanted = list(digests)
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self.db.execute(
                    f"SELECT hash, data FROM tags WHERE hash IN ({marks})", chunk
                ).fetchall()
            except sqlite3.DatabaseError:
                return found
            for digest, data in rows:
                try:
                    found[digest] = FileTags.load(marshal.loads(data))
                except Exception:  # noqa: BLE001 - a bad row is a cache miss
                    continue
        return found

    def save(
        self,
        root: str,
        stats: dict[str, Stat],
        new_tags: dict[str, FileTags],
        gone: Iterable[str],
        snapshot: Snapshot | None = None,
    ) -> None:
        """Record changed files, new tags and the root's snapshot in one transaction.

        A snapshot without a graph only moves the stored one (same content) to a new
        `stat_key`; one without tables keeps the stored tables (they say what state they
        hold). Failures only cost caching.
        """
        root_key = _stored(root)
        try:
            with write(self.db):
                self.db.executemany(
                    "INSERT OR REPLACE INTO tags VALUES (?, ?)",
                    ((d, marshal.dumps(t.dump())) for d, t in new_tags.items()),
                )
                self.db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                    ((root_key, _stored(p), s, m, d) for p, (s, m, d) in stats.items()),
                )
                self.db.executemany(
                    "DELETE FROM files WHERE root = ? AND path = ?",
                    ((root_key, _stored(p)) for p in gone),
                )
                if snapshot is not None:
                    self._store(root_key, snapshot)
        except sqlite3.DatabaseError as exc:
            self.note = f"tag cache not updated ({exc})"

    def _store(self, root_key: Any, snapshot: Snapshot) -> None:
        """Write `snapshot` for a root (inside `save`'s transaction)."""
        if snapshot.graph:
            self.db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                (root_key, snapshot.stat_key, snapshot.content_key, snapshot.graph),
            )
        else:
            self.db.execute(
                "UPDATE snapshots SET stat_key = ? WHERE root = ? AND content_key = ?",
                (snapshot.stat_key, root_key, snapshot.content_key),
            )
        if snapshot.tables:
            self.db.execute(
                "INSERT OR REPLACE INTO graph_inputs VALUES (?, ?)", (root_key, snapshot.tables)
            )


def _stored(name: Any) -> Any:
    """A path as SQLite can hold it: text, or its bytes when it is not UTF-8."""
    if isinstance(name, str) and not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return name.encode("utf-8", errors="surrogateescape")
    return name


def _name(stored: Any) -> str:
    """The path `_stored` was given."""
    if isinstance(stored, bytes):
        return stored.decode("utf-8", errors="surrogateescape")
    return str(stored)
