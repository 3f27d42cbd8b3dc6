"""Queries on the user's SQLite database, run in a child process with a real deadline.

One child (sqlite.py, started with subprocess, never forked from this process) serves the
queries of one verification and is killed at the end. A query past its deadline kills the
child: the time limit holds even inside one long SQLite call (randomblob, printf of a huge
width), which a progress handler cannot interrupt. The child runs under a memory limit, and
sends back at most MAX_REPLY_BYTES, so this process's memory stays flat. A new child is started
for the next query after a kill (about 30 ms).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from codeassist.errors import InputError

GRACE_S = 0.3  # the child's own deadline check comes first; the kill is the backstop
MAX_REPLY_BYTES = 2_000_000
CHILD = Path(__file__).with_name("sqlite.py")


class QueryError(Exception):
    """A query the child did not answer with rows: an SQL error, or a limit it hit."""

    def __init__(self, message: str, kind: str = "sql") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # sql (an error in the query), time, memory (a limit it hit)


class SqliteWorker:
    """A child process holding a read-only connection to one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SqliteWorker:
        """Start the child now, so its start overlaps with the caller's own work."""
        try:
            self._start()
        except (InputError, QueryError):
            pass  # said by the first query
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def query(
        self, sql: str, params: tuple[Any, ...] = (), *, rows: int = 1, timeout_s: float = 2.0,
        user: bool = False,
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """Up to `rows` rows of the query; `user` SQL may only read (an authorizer says so)."""
        proc = self._start()
        request = {"sql": sql, "params": list(params), "rows": rows, "timeout": timeout_s}
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps({**request, "user": user}).encode() + b"\n")
            proc.stdin.flush()
            line = _read_line(proc.stdout.fileno(), time.monotonic() + timeout_s + GRACE_S)
        except OSError:
            line = b""
        if line is None:
            self.close()
            raise QueryError(f"timed out after {timeout_s:g} s", "time")
        if not line:
            self.close()
            raise QueryError("stopped: over the memory or CPU limit of its process", "memory")
        reply = json.loads(line)
        if "error" in reply:
            message = str(reply["error"])
            if message == "timed out":
                message = f"timed out after {timeout_s:g} s"
            raise QueryError(message, str(reply.get("kind", "sql")))
        return [tuple(_decode(v) for v in row) for row in reply["rows"]]

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        if not self.path.is_file():
            raise InputError(
                f"database not found: {self.path}", hint="pass an existing SQLite file to --db"
            )
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(CHILD), os.fspath(self.path.resolve())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError as exc:
            raise QueryError(f"cannot start a process for the query: {exc}") from None
        return self._proc

    def close(self) -> None:
        """Kill the child (it may be in the middle of a query) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


def _read_line(fd: int, deadline: float) -> bytes | None:
    """One reply line; None at the deadline, b"" when the child died or sent too much."""
    data = bytearray()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            return None
        chunk = os.read(fd, 65536)
        if not chunk or len(data) + len(chunk) > MAX_REPLY_BYTES:
            return b""
        data += chunk
    return bytes(data)


def _decode(value: Any) -> Any:
    return bytes.fromhex(value["blob"]) if isinstance(value, dict) else value
