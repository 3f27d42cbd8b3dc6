"""sql.explain: the live database's planner accepts each statement; nothing is executed.

On SQLite the EXPLAIN runs in the check's child process (db/sqlite_worker.py), so even a
statement that is costly to prepare is bounded in time and memory; on PostgreSQL in a read-only
transaction with a statement timeout (db/postgres.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist.errors import CodeassistError
from codeassist.verify import Check

if TYPE_CHECKING:
    from codeassist.db.sqlite_worker import SqliteWorker

EXPLAIN_TIMEOUT_S = 2.0


def explain_check(db: str, statements: list[str], worker: SqliteWorker | None = None) -> Check:
    """EXPLAIN each statement against the live database, read-only; nothing is executed."""
    from codeassist.db.schema import sqlite_path

    path = sqlite_path(db)
    try:
        if path is None:
            from codeassist.db import postgres as pg

            errors = [e for s in statements if (e := pg.explain(db, s))]
        elif worker is None:
            from codeassist.db.sqlite_worker import SqliteWorker

            with SqliteWorker(path) as own:
                errors = [e for s in statements if (e := _explain_sqlite(own, s))]
        else:
            errors = [e for s in statements if (e := _explain_sqlite(worker, s))]
    except CodeassistError as exc:
        return Check("sql.explain", False, exc.message)
    return Check("sql.explain", not errors, "; ".join(errors))


def _explain_sqlite(worker: SqliteWorker, statement: str) -> str | None:
    from codeassist.db.sqlite_worker import QueryError

    try:
        worker.query(f"EXPLAIN QUERY PLAN {statement}", timeout_s=EXPLAIN_TIMEOUT_S)
    except QueryError as exc:
        return exc.message
    return None
