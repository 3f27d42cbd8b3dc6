"""Where checks and lookups run SQL: SQLite's child process or a read-only PostgreSQL transaction.

Both answer `rows(sql, params, limit=…, timeout_s=…)` with at most `limit` rows, raising
QueryError for an SQL error or a limit hit. Our own lookups write `?` placeholders and
double-quoted names, which both dialects read; PostgreSQL gets `%s` for `?`. SQL without
parameters (the user's, or a probe rebuilt from it) is sent as is, so a `%` in it stays one.

On PostgreSQL each query gets its own `SET LOCAL statement_timeout` inside the connection's
read-only transaction (db/postgres.py), and rows come through a server-side cursor, so no more
than `limit` rows ever reach this process. A failed query rolls back and starts a new read-only
transaction, so the next lookup runs.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from codeassist.db.sqlite_worker import QueryError, SqliteWorker

_cursors = itertools.count()


class Deadline:
    """One time budget shared by several lookups."""

    def __init__(self, timeout_s: float) -> None:
        self.end = time.monotonic() + timeout_s

    def left(self) -> float:
        """Seconds left; QueryError("timed out") once there are none."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise QueryError("timed out", "time")
        return left


class SqliteRunner:
    """Queries through the check's SQLite child process (killed at each deadline)."""

    dialect = "sqlite"
    position = "instr"  # position of a substring, 0 when absent

    def __init__(self, worker: SqliteWorker) -> None:
        self.worker = worker

    def rows(
        self, sql: str, params: tuple[Any, ...] = (), *, limit: int = 1, timeout_s: float = 2.0,
        user: bool = False,
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """Up to `limit` rows; `user` SQL may only read (the child's authorizer)."""
        return self.worker.query(sql, params, rows=limit, timeout_s=timeout_s, user=user)


class PostgresRunner:
    """Queries in a read-only transaction, each cut by its own statement timeout."""

    dialect = "postgres"
    position = "strpos"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(
        self, sql: str, params: tuple[Any, ...] = (), *, limit: int = 1, timeout_s: float = 2.0,
        user: bool = False,
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """Up to `limit` rows through a server-side cursor; the transaction is read-only."""
        from codeassist.db import postgres as pg

        error = pg.psycopg_module().Error
        ms = max(1, min(int(timeout_s * 1000), pg.STATEMENT_TIMEOUT_MS))
        try:
            self.conn.execute(f"SET LOCAL statement_timeout = {ms}")
            with self.conn.cursor(name=f"codeassist_{next(_cursors)}") as cursor:
                if params:
                    cursor.execute(sql.replace("?", "%s"), params)
                else:
                    cursor.execute(sql)
                return [tuple(r) for r in cursor.fetchmany(limit)]
        except error as exc:
            self.conn.rollback()
            pg.begin(self.conn)
            if type(exc).__name__ == "QueryCanceled":
                raise QueryError(f"timed out after {ms / 1000:g} s", "time") from None
            raise QueryError(pg.error_line(exc)) from None


Runner = SqliteRunner | PostgresRunner
