"""What a column does hold, for a compared value that matches nothing: the nearest values first.

Used by the findings of empty.py and result.py ("values like 'John Smith' exist in
customers.name"); every query goes through a Runner (a child process for SQLite, a read-only
transaction for PostgreSQL), under the check's deadline.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from codeassist.db.runner import Deadline, Runner
from codeassist.db.sqlite_worker import QueryError

SAMPLES = 6  # values shown for a column
SCANNED = 200  # distinct values read to find the near ones among (misspellings)
MAX_WORDS = 4  # words of a compared string looked for in the column's values
MAX_HOLDER_COLUMNS = 300  # columns searched for a value compared with the wrong one


def held(near: list[str], other: list[str], where: str) -> str:
    """What a column holds, in words: the values near the compared one first."""
    if not near:
        return f"{where} holds values such as {', '.join(map(repr, other)) or 'nothing'}"
    said = f"values like {', '.join(map(repr, near))} exist in {where}"
    return f"{said}; it also holds {', '.join(map(repr, other[:3]))}" if other else said


def exp_table_sql(source: Any, dialect: str) -> str:
    """The table of a source, without its alias, as SQL."""
    bare = source.copy()
    bare.set("alias", None)
    return str(bare.sql(dialect=dialect))


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def values_near(
    runner: Runner, table_sql: str, column: str, value: str, deadline: Deadline
) -> tuple[list[str], list[str]]:
    """Distinct values of the column: those near `value` (case, containing it, sharing a word),
    then others."""
    words = [w for w in dict.fromkeys(re.findall(r"\w{3,}", value.lower())) if w != value.lower()]
    words = words[:MAX_WORDS]
    pos, c = runner.position, quote(column)
    shared = " OR ".join(f"{pos}(lower(v), ?) > 0" for _ in words) or "1 = 0"
    rank = (
        f"CASE WHEN lower(v) = lower(?) THEN 0 WHEN {pos}(lower(v), lower(?)) > 0 THEN 1 "
        f"WHEN {shared} THEN 2 ELSE 3 END"
    )
    sql = (
        f"SELECT v, {rank} AS r FROM (SELECT DISTINCT CAST({c} AS TEXT) AS v FROM {table_sql} "
        f"WHERE {c} IS NOT NULL) AS d ORDER BY r LIMIT {SCANNED}"
    )
    params = (value.strip(), value.strip(), *words)
    rows = runner.rows(sql, params, limit=SCANNED, timeout_s=deadline.left())
    near = [str(v) for v, r in rows if r < 3]
    rest = [str(v) for v, r in rows if r >= 3]
    if len(near) < SAMPLES:  # misspelled: 'shiped' for 'shipped'
        near += difflib.get_close_matches(value, rest, n=SAMPLES - len(near), cutoff=0.75)
    other = [v for v in rest if v not in near]
    return [v[:40] for v in near[:SAMPLES]], [v[:40] for v in other[:SAMPLES]]


def holders_of(
    runner: Runner, value: str, tables: dict[str, list[str]], skip: tuple[str, str],
    deadline: Deadline,
) -> list[str]:  # fmt: skip
    """table.column names (three at most) whose rows hold the value, up to letter case."""
    holders: list[str] = []
    searched = 0
    for table, columns in tables.items():
        if "." in table and runner.dialect == "postgres":
            continue  # also listed by its bare name when in `public`; others are not searched
        for column in columns:
            if (table, column.lower()) == skip or searched >= MAX_HOLDER_COLUMNS:
                continue
            searched += 1
            t, c = quote(table), quote(column)
            sql = f"SELECT 1 FROM {t} WHERE lower(CAST({c} AS TEXT)) = lower(?) LIMIT 1"
            try:
                hit = runner.rows(sql, (value,), timeout_s=deadline.left())
            except QueryError as exc:
                if exc.kind != "sql":
                    raise
                continue  # a column that cannot be read as text
            if hit:
                holders.append(f"{table}.{column}")
            if len(holders) >= 3:
                return holders
    return holders
