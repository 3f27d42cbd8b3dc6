"""Read-only SQLite: the escaped URI, the connection, and the child process that runs queries.

Run as a script (`python -I -S sqlite.py DB`), it answers one JSON line on stdout for each
query sent as one JSON line on stdin, under an address-space, CPU and file-size limit, so a
query that allocates gigabytes or never ends costs this child, not codeassist: the parent
(sqlite_worker.py) kills it at the deadline. Standard library only: it runs without site.
"""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

MAX_LENGTH = 10_000_000  # the longest string or blob a query may build (SQLite allows 1e9)
MEMORY_LIMIT = 768 * 2**20  # address space of the child
CPU_LIMIT_S = 60  # the child's whole life; the parent's deadlines are far shorter
FILE_LIMIT = 256 * 2**20  # temporary files SQLite may write for a big sort
MAX_VALUE_CHARS = 10_000  # each value sent back is cut here
MAX_REPLY_CHARS = 1_000_000  # rows past this are not sent
PROGRESS_STEPS = 1_000  # VM instructions between deadline checks

_READS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


def uri(path: Path) -> str:
    """A read-only `file:` URI for the file; `#`, `?`, `%`, spaces and non-ASCII are escaped.

    A database in WAL mode is opened `immutable` unless both `-wal` and `-shm` lie beside it
    (a writer has it open): a read-only connection would create the missing one in the user's
    folder. With no WAL file every page is in the database file itself, so nothing is missed;
    a `-wal` left alone (a crashed writer, a copy) is not read: its pages are not yet in the
    database, and reading them needs the `-shm` that would be created.
    """
    path = Path(path).resolve()
    found = path.as_uri() + "?mode=ro"
    if _wal_mode(path) and not all(path.with_name(path.name + s).exists() for s in WAL_FILES):
        found += "&immutable=1"
    return found


WAL_FILES = ("-wal", "-shm")


def _wal_mode(path: Path) -> bool:
    """Whether the file's header says WAL (read and write versions 2, bytes 18 and 19)."""
    try:
        with path.open("rb") as f:
            head = f.read(20)
    except OSError:
        return False
    return head.startswith(b"SQLite format 3\x00") and head[18:20] == b"\x02\x02"


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def connect(path: Path) -> sqlite3.Connection:
    """A connection that can only read: `mode=ro`, `query_only`, values at most MAX_LENGTH."""
    conn = sqlite3.connect(uri(path), uri=True, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.text_factory = _text
    return conn


def _reads_only(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _READS else sqlite3.SQLITE_DENY


def _limit() -> None:
    """Caps on this process: memory, CPU time, file size (a failed write, not a signal)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for kind, value in (
        (resource.RLIMIT_AS, MEMORY_LIMIT),
        (resource.RLIMIT_CPU, CPU_LIMIT_S),
        (resource.RLIMIT_FSIZE, FILE_LIMIT),
        (resource.RLIMIT_CORE, 0),
    ):
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass  # a lower hard limit is already in place


def _value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"blob": value[: MAX_VALUE_CHARS // 2].hex()}
    if isinstance(value, str):
        return value[:MAX_VALUE_CHARS]
    return value


def run(conn: sqlite3.Connection, request: dict[str, Any]) -> dict[str, Any]:
    """One query: at most `rows` rows back, within `timeout` seconds, reads only if `user`."""
    deadline = time.monotonic() + float(request.get("timeout", 2.0))
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    conn.set_authorizer(_reads_only if request.get("user") else None)
    rows: list[list[Any]] = []
    size = 0
    try:
        cursor = conn.execute(str(request["sql"]), list(request.get("params", [])))
        for row in cursor.fetchmany(int(request.get("rows", 1))):
            values = [_value(v) for v in row]
            size += len(json.dumps(values))
            if size > MAX_REPLY_CHARS:
                break
            rows.append(values)
    except MemoryError:
        return {"error": f"out of memory (limit {MEMORY_LIMIT >> 20} MB)", "kind": "memory"}
    except sqlite3.DataError as exc:  # string or blob too big: built, or stored (a document)
        return {"error": f"{exc} (limit {MAX_LENGTH // 1_000_000} MB)", "kind": "size"}
    except sqlite3.Error as exc:
        if time.monotonic() > deadline:
            return {"error": "timed out", "kind": "time"}
        return {"error": str(exc) or type(exc).__name__}
    finally:
        conn.set_authorizer(None)
    return {"rows": rows}


def serve(path: str) -> int:
    """Answer queries on one database until stdin closes."""
    _limit()
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(Path(path))
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        failed = ""
    except sqlite3.Error as exc:
        failed = f"cannot open {path} as SQLite: {exc}"
    for line in sys.stdin:
        reply = {"error": failed} if failed or conn is None else run(conn, json.loads(line))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
