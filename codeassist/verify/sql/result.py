"""Does the query find anything, and how do its tables join? (SQLite, read-only).

`sql.result` runs a single SELECT in a child process (db/sqlite_worker.py: killed at the
deadline, memory-limited) on a read-only connection, reading at most one row, with an
authorizer that allows only reading. An empty result can be the right answer, so it fails only
on evidence that it is not: the query compares a column with a string that no row of that
column holds. The finding then says where the string is stored instead (another
column), or shows some values the column does hold, so a repair round can pick the right one.

`join_hints` restates the tables a failed query uses, with their columns and the foreign keys
that join them to each other and to their neighbours: what a repair of a wrong join needs.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from codeassist.db.sqlite_worker import QueryError, SqliteWorker
from codeassist.verify import Check

RUN_TIMEOUT_S = 2.0
SEARCH_TIMEOUT_S = 2.0
SAMPLE_VALUES = 6
MAX_COLUMNS_SEARCHED = 300


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def result_check(
    worker: SqliteWorker, query: str, statement: Any, tables: dict[str, list[str]]
) -> Check:
    """Run the query (one row at most); fail only when it is empty for a telling reason."""
    from codeassist.verify.sql import values as sql_values

    try:
        rows = worker.query(query, timeout_s=RUN_TIMEOUT_S, user=True)
        if rows:
            return Check("sql.result", True, "the query returns rows")
        used = sorted({t.name.lower() for t in _tables_of(statement)} & set(tables))
        if used and all(_empty(worker, t) for t in used):
            return Check("sql.result", True, "no rows: the tables it reads are empty")
    except QueryError as exc:
        if exc.kind == "memory":  # a value of gigabytes: surely not what was asked
            return Check("sql.result", False, f"the query was stopped: {exc.message}")
        if exc.kind == "time":  # a big database can be slow for a right query
            return Check("sql.result", True, f"not judged: the query {exc.message}")
        return Check("sql.result", True, f"not judged: {exc.message}")
    absent = _absent_values(worker, sql_values.comparisons(statement, tables), tables)
    if not absent:
        return Check("sql.result", True, "the query returns no rows")
    return Check("sql.result", False, "the query returns no rows: " + "; ".join(absent))


def _tables_of(statement: Any) -> list[Any]:
    from sqlglot import exp

    return list(statement.find_all(exp.Table))


def _empty(worker: SqliteWorker, table: str) -> bool:
    return not worker.query(f"SELECT 1 FROM {_quote(table)} LIMIT 1", timeout_s=RUN_TIMEOUT_S)


class _Search:
    """Our own lookups of one check, sharing one deadline."""

    def __init__(self, worker: SqliteWorker, timeout_s: float) -> None:
        self.worker = worker
        self.deadline = time.monotonic() + timeout_s

    def rows(self, sql: str, params: tuple[Any, ...], limit: int = 1) -> list[tuple[Any, ...]]:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise QueryError("timed out", "time")
        return self.worker.query(sql, params, rows=limit, timeout_s=left)


def _absent_values(
    worker: SqliteWorker, found: list[tuple[str, str, str]], tables: dict[str, list[str]]
) -> list[str]:
    """For each compared value no row of its column holds: where it is, or what the column holds."""
    out: list[str] = []
    search = _Search(worker, SEARCH_TIMEOUT_S)
    try:
        for table, column, value in found:
            t, c = _quote(table), _quote(column)
            if search.rows(f"SELECT 1 FROM {t} WHERE {c} = ? LIMIT 1", (value,)):
                continue
            said = f"no row has {table}.{column} = {value!r}"
            holders = _holders(search, value, tables, skip=(table, column))
            if holders:
                out.append(f"{said}; that value is stored in {' and '.join(holders)}")
                continue
            samples = [  # values containing the one compared first: 'Ford' -> 'Ford Motor'
                str(r[0])[:40]
                for r in search.rows(
                    f"SELECT {c} FROM (SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL) "
                    f"ORDER BY instr(lower(CAST({c} AS TEXT)), lower(?)) = 0 "
                    f"LIMIT {SAMPLE_VALUES}",
                    (value.strip(),),
                    limit=SAMPLE_VALUES,
                )
            ]
            shown = ", ".join(repr(s) for s in samples) or "nothing"
            out.append(f"{said}; {table}.{column} holds values such as {shown}")
    except QueryError:
        pass  # timed out: what was found so far
    return out


def _holders(
    search: _Search, value: str, tables: dict[str, list[str]], skip: tuple[str, str]
) -> list[str]:
    """table.column names whose rows hold the value exactly (or up to letter case)."""
    holders: list[str] = []
    searched = 0
    for table, columns in tables.items():
        for column in columns:
            if (table, column) == skip or searched >= MAX_COLUMNS_SEARCHED:
                continue
            searched += 1
            t, c = _quote(table), _quote(column)
            hit = search.rows(
                f"SELECT 1 FROM {t} WHERE lower(CAST({c} AS TEXT)) = lower(?) LIMIT 1", (value,)
            )
            if hit:
                holders.append(f"{table}.{column}")
            if len(holders) >= 3:
                return holders
    return holders


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
