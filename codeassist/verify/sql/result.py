"""Does the query find anything, and how do its tables join? (SQLite, read-only).

`sql.result` runs a single SELECT on a read-only connection, time-limited, reading at most one
row, with an authorizer that allows only reading. An empty result can be the right answer, so
it fails only on evidence that it is not: the query compares a column with a string that no
row of that column holds. The finding then says where the string is stored instead (another
column), or shows some values the column does hold, so a repair round can pick the right one.

`join_hints` restates the tables a failed query uses, with their columns and the foreign keys
that join them to each other and to their neighbours: what a repair of a wrong join needs.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from codeassist.errors import CodeassistError
from codeassist.verify import Check

RUN_TIMEOUT_S = 2.0
SEARCH_TIMEOUT_S = 2.0
SAMPLE_VALUES = 6
MAX_COLUMNS_SEARCHED = 300

_READS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


def _connect(path: Path, timeout_s: float) -> sqlite3.Connection:
    from codeassist.db.schema import connect_sqlite_readonly

    conn = connect_sqlite_readonly(path)
    deadline = time.monotonic() + timeout_s
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def result_check(path: Path, query: str, statement: Any, tables: dict[str, list[str]]) -> Check:
    """Run the query (one row at most); fail only when it is empty for a telling reason."""
    from codeassist.verify.sql import values as sql_values

    try:
        conn = _connect(path, RUN_TIMEOUT_S)
    except CodeassistError as exc:
        return Check("sql.result", False, f"not run: {exc.message}")
    try:
        conn.set_authorizer(lambda action, *_: 0 if action in _READS else 1)
        row = conn.execute(query).fetchone()
        conn.set_authorizer(None)
        if row is not None:
            return Check("sql.result", True, "the query returns rows")
        used = sorted({t.name.lower() for t in _tables_of(statement)} & set(tables))
        if used and all(_empty(conn, t) for t in used):
            return Check("sql.result", True, "no rows: the tables it reads are empty")
    except sqlite3.Error as exc:
        return Check("sql.result", True, f"not judged: {exc}")
    finally:
        conn.close()
    absent = _absent_values(path, sql_values.comparisons(statement, tables), tables)
    if not absent:
        return Check("sql.result", True, "the query returns no rows")
    return Check("sql.result", False, "the query returns no rows: " + "; ".join(absent))


def _tables_of(statement: Any) -> list[Any]:
    from sqlglot import exp

    return list(statement.find_all(exp.Table))


def _empty(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1").fetchone() is None


def _absent_values(
    path: Path, found: list[tuple[str, str, str]], tables: dict[str, list[str]]
) -> list[str]:
    """For each compared value no row of its column holds: where it is, or what the column holds."""
    out: list[str] = []
    conn = _connect(path, SEARCH_TIMEOUT_S)
    try:
        for table, column, value in found:
            t, c = _quote(table), _quote(column)
            if conn.execute(f"SELECT 1 FROM {t} WHERE {c} = ? LIMIT 1", (value,)).fetchone():
                continue
            said = f"no row has {table}.{column} = {value!r}"
            holders = _holders(conn, value, tables, skip=(table, column))
            if holders:
                out.append(f"{said}; that value is stored in {' and '.join(holders)}")
                continue
            samples = [  # values containing the one compared first: 'Ford' -> 'Ford Motor'
                str(r[0])[:40]
                for r in conn.execute(
                    f"SELECT {c} FROM (SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL) "
                    f"ORDER BY instr(lower(CAST({c} AS TEXT)), lower(?)) = 0 "
                    f"LIMIT {SAMPLE_VALUES}",
                    (value.strip(),),
                )
            ]
            shown = ", ".join(repr(s) for s in samples) or "nothing"
            out.append(f"{said}; {table}.{column} holds values such as {shown}")
    except sqlite3.Error:
        pass  # timed out: what was found so far
    finally:
        conn.close()
    return out


def _holders(
    conn: sqlite3.Connection, value: str, tables: dict[str, list[str]], skip: tuple[str, str]
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
            hit = conn.execute(
                f"SELECT 1 FROM {t} WHERE lower(CAST({c} AS TEXT)) = lower(?) LIMIT 1", (value,)
            ).fetchone()
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
