"""Does the query read anything, and how do its tables join? (SQLite and PostgreSQL, read-only).

`sql.result` runs a single SELECT where it cannot harm or hang: on SQLite in a child process
(db/sqlite_worker.py: killed at the deadline, memory-limited, an authorizer that allows only
reading), on PostgreSQL in a read-only transaction with a statement timeout, asking only
whether a first row exists (runner.py). An empty result can be the right answer, so it fails
only on evidence that it is not: the query compares a column with a string that no row of
that column holds. The same holds through aggregates and subqueries, whose result is a row
even when they read nothing: `COUNT(*) … WHERE name = 'Smith'` is 0 (empty.py). The finding
names the comparison, and says where the string is stored instead (another column) or shows
values the column does hold, nearest first, so a repair round can pick the right one.

`join_hints` restates the tables a failed query uses, with their columns and the foreign keys
that join them to each other and to their neighbours: what a repair of a wrong join needs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codeassist.db.runner import Deadline, Runner
from codeassist.db.sqlite_worker import QueryError, SqliteWorker
from codeassist.errors import CodeassistError
from codeassist.verify import Check, Subject
from codeassist.verify.sql.near import held, holders_of, quote, values_near

RUN_TIMEOUT_S = 2.0
SEARCH_TIMEOUT_S = 2.0
_quote = quote


def run_result(
    subject: Subject, worker: SqliteWorker | None, statements: list[Any],
    tables: dict[str, list[str]], explained: bool,
) -> Check:  # fmt: skip
    """sql.result for one SELECT that EXPLAIN accepted; passed (not judged) for other SQL."""
    from sqlglot import exp

    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return Check("sql.result", True, "not judged: not a single query")
    if not explained:
        return Check("sql.result", False, "not run: EXPLAIN fails")
    query = subject.code.strip().rstrip(";")
    try:
        with runner_for(subject, worker) as found:
            return result_check(found, query, statements[0], tables)
    except CodeassistError as exc:
        return Check("sql.result", False, f"not run: {exc.message}")


def run_repeats(
    subject: Subject, worker: SqliteWorker | None, statements: list[Any],
    tables: dict[str, list[str]],
) -> Check | None:  # fmt: skip
    """sql.repeats (sql/repeats.py) for the answer to a request; None when not judged."""
    from codeassist.verify.sql import repeats

    if not subject.request.strip():
        return None  # the user's own SQL: nothing asked to judge it by
    try:
        with runner_for(subject, worker) as found:
            return repeats.check(found, statements, tables, Deadline(RUN_TIMEOUT_S))
    except CodeassistError:
        return None


@contextmanager
def runner_for(subject: Subject, worker: SqliteWorker | None) -> Iterator[Runner]:
    """The SQLite child's runner, or a read-only PostgreSQL connection's (closed after)."""
    from codeassist.db import runner

    if worker is not None:
        yield runner.SqliteRunner(worker)
        return
    from codeassist.db import postgres as pg

    with pg.connect_readonly(subject.db or "") as conn:
        yield runner.PostgresRunner(conn)


def result_check(runner: Runner, query: str, statement: Any, tables: dict[str, list[str]]) -> Check:
    """Run the query (one row at most); fail only when it reads nothing for a telling reason."""
    from codeassist.verify.sql import empty
    from codeassist.verify.sql import values as sql_values

    used = sorted({t.name.lower() for t in _tables_of(statement)} & set(tables))
    try:
        rows = runner.rows(_first_row(query, runner.dialect), timeout_s=RUN_TIMEOUT_S, user=True)
        if not rows and used and all(_empty(runner, t) for t in used):
            return Check("sql.result", True, "no rows: the tables it reads are empty")
    except QueryError as exc:
        if exc.kind == "memory":  # a value of gigabytes: surely not what was asked
            return Check("sql.result", False, f"the query was stopped: {exc.message}")
        if exc.kind == "time":  # a big database can be slow for a right query
            return Check("sql.result", True, f"not judged: the query {exc.message}")
        return Check("sql.result", True, f"not judged: {exc.message}")
    deadline = Deadline(SEARCH_TIMEOUT_S)
    found: list[str] = []
    if not rows:
        found = _absent_values(runner, sql_values.comparisons(statement, tables), tables, deadline)
    if not found:  # through aggregates, subqueries, LIKE: which comparison reads nothing
        skip_outer = bool(rows) and not _aggregates_over_all(statement)
        found = empty.findings(runner, statement, tables, deadline, skip_outer)
    if found:
        said = "the query computes over no rows" if rows else "the query returns no rows"
        return Check("sql.result", False, f"{said}: " + "; ".join(found))
    return Check("sql.result", True, f"the query returns {'rows' if rows else 'no rows'}")


def _first_row(query: str, dialect: str) -> str:
    """The query as run: on PostgreSQL only whether a first row exists leaves the server."""
    if dialect == "postgres":
        return f"SELECT 1 FROM (\n{query}\n) AS codeassist_result LIMIT 1"
    return query


def _aggregates_over_all(statement: Any) -> bool:
    """A SELECT of aggregates without GROUP BY: one row even when it reads none."""
    from sqlglot import exp

    return (
        isinstance(statement, exp.Select)
        and not statement.args.get("group")
        and any(e.find(exp.AggFunc) is not None for e in statement.expressions)
    )


def _tables_of(statement: Any) -> list[Any]:
    from sqlglot import exp

    return list(statement.find_all(exp.Table))


def _empty(runner: Runner, table: str) -> bool:
    return not runner.rows(f"SELECT 1 FROM {_quote(table)} LIMIT 1", timeout_s=RUN_TIMEOUT_S)


def _absent_values(
    runner: Runner, found: list[tuple[str, str, str]], tables: dict[str, list[str]],
    deadline: Deadline,
) -> list[str]:  # fmt: skip
    """For each compared value no row of its column holds: where it is, or what the column holds."""
    out: list[str] = []
    try:
        for table, column, value in found:
            t, c = _quote(table), _quote(column)
            target = f"CAST({c} AS TEXT)" if runner.dialect == "postgres" else c
            sql = f"SELECT 1 FROM {t} WHERE {target} = ? LIMIT 1"
            if runner.rows(sql, (value,), timeout_s=deadline.left()):
                continue
            said = f"no row has {table}.{column} = {value!r}"
            holders = holders_of(runner, value, tables, (table, column.lower()), deadline)
            if holders:
                out.append(f"{said}; that value is stored in {' and '.join(holders)}")
                continue
            near, other = values_near(runner, t, column, value, deadline)
            out.append(f"{said}; {held(near, other, f'{table}.{column}')}")
    except QueryError:
        pass  # timed out: what was found so far
    return out


def foreign_keys(path: Path) -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) of a SQLite database, read-only."""
    from codeassist.db.schema import connect_sqlite_readonly

    conn = connect_sqlite_readonly(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        keys = []
        for name in names:
            for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall():
                target = row[4] or _primary_key(conn, str(row[2])) or row[3]
                keys.append((name, str(row[3]), str(row[2]), str(target)))
        return keys
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def _primary_key(conn: sqlite3.Connection, table: str) -> str | None:
    """The single primary-key column a bare `REFERENCES table` points at."""
    keys = [r[1] for r in conn.execute(f"PRAGMA table_info({_quote(table)})") if r[5]]
    return str(keys[0]) if len(keys) == 1 else None


def join_hints(path: Path | None, statement: Any, tables: dict[str, list[str]]) -> str:
    """The used tables' columns and the foreign keys joining them (and their neighbours)."""
    used = [t for t in dict.fromkeys(x.name.lower() for x in _tables_of(statement)) if t in tables]
    if not used:
        return ""
    keys = foreign_keys(path) if path is not None else []
    links = [k for k in keys if k[0].lower() in used or k[2].lower() in used]
    near = [t for k in links for t in (k[0].lower(), k[2].lower()) if t in tables]
    shown = list(dict.fromkeys(used + near))[:6]
    lines = ["The tables involved and their columns:"]
    lines += [f"- {t}({', '.join(tables[t])})" for t in shown]
    if links:
        lines.append("They join on:")
        lines += [f"- {a}.{b} = {c}.{d}" for a, b, c, d in dict.fromkeys(links)]
    return "\n".join(lines)
