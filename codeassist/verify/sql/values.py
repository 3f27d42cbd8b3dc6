"""Do the string values a query compares columns with exist in the data, as spelled?

`WHERE continent = 'Europe'` finds nothing when the rows say 'europe'. For each comparison of a
column with a string literal (`=`, `IN`), our own parameterized query asks the live database
(read-only; SQLite in a child process with a deadline) whether the value occurs; when it does
not but a value differing only in letter case, spacing or punctuation does ('the rise of the
blue beetle' for 'The Rise of the Blue Beetle!'), the finding names the stored spelling.
A value that matches nothing at all is not a failure: an empty answer can be the right one.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from codeassist.errors import CodeassistError

if TYPE_CHECKING:
    from codeassist.db.sqlite_worker import SqliteWorker

LOOKUP_TIMEOUT_S = 2.0
MAX_LOOKUPS = 8
SCANNED = 50  # stored values containing the compared one's longest word, to find its spelling in


def comparisons(statement: Any, tables: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(table, column, value) for each `column = 'value'` / `column IN ('value', …)`."""
    from sqlglot import exp

    refs = list(statement.find_all(exp.Table))
    aliases = {t.alias_or_name.lower(): t.name.lower() for t in refs}
    used = [t.name.lower() for t in refs if t.name.lower() in tables]
    known = {c.lower() for t in used for c in tables[t]}

    def text_of(node: Any) -> str | None:
        if isinstance(node, exp.Literal) and node.is_string:
            return str(node.this)
        if (  # SQLite reads "text" that names no column as a string
            isinstance(node, exp.Column)
            and not node.table
            and isinstance(node.this, exp.Identifier)
            and node.this.quoted
            and node.name.lower() not in known
        ):
            return str(node.name)
        return None

    def column_of(node: Any) -> tuple[str, str] | None:
        if not isinstance(node, exp.Column) or text_of(node) is not None:
            return None
        name = node.name.lower()
        owners = [aliases.get(node.table.lower(), "")] if node.table else used
        owners = [t for t in owners if name in {c.lower() for c in tables.get(t, [])}]
        if len(set(owners)) != 1:
            return None
        column = next(c for c in tables[owners[0]] if c.lower() == name)
        return owners[0], column

    found: list[tuple[str, str, str]] = []
    for node in statement.find_all(exp.EQ, exp.In):
        if isinstance(node, exp.EQ):
            pairs = [(node.this, node.expression), (node.expression, node.this)]
            for col, lit in pairs:
                where, value = column_of(col), text_of(lit)
                if where and value is not None:
                    found.append((*where, value))
        elif (where := column_of(node.this)) is not None:
            found += [(*where, v) for e in node.expressions if (v := text_of(e)) is not None]
    return list(dict.fromkeys(found))[:MAX_LOOKUPS]


class Mismatch(NamedTuple):
    """A compared value stored only with another letter case, spacing or punctuation."""

    table: str
    column: str
    value: str
    stored: tuple[Any, ...]

    @property
    def message(self) -> str:
        shown = ", ".join(repr(s) for s in self.stored)
        return (
            f"no row has {self.table}.{self.column} = {self.value!r}; "
            f"the stored value is spelled {shown}"
        )


def respell(code: str, mismatches: list[Mismatch]) -> str | None:
    """The code with each mismatched literal spelled as stored, where that spelling is unique."""
    fixed = code
    for m in mismatches:
        if len(m.stored) == 1 and isinstance(m.stored[0], str):
            stored = "'" + m.stored[0].replace("'", "''") + "'"
            for quote in ("'", '"'):
                fixed = fixed.replace(f"{quote}{m.value}{quote}", stored)
    return fixed if fixed != code else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def folded(text: str) -> str:
    """The text as compared up to letter case, spacing and punctuation: its letters and digits."""
    return re.sub(r"[\W_]+", "", text.casefold())


def longest_word(value: str) -> str | None:
    """The compared value's longest word, lower case: what its other spellings must contain."""
    words = re.findall(r"[^\W_]+", value.lower())
    return max(words, key=len) if words else None


def spelled_alike(value: str, stored: list[Any]) -> list[Any]:
    """The stored values that are the compared one up to case, spacing and punctuation; none
    that holds a control or escape character (that is no spelling of a name: hostile data)."""
    from codeassist.terminal import sanitize

    key = folded(value)
    return list(
        dict.fromkeys(
            s for s in stored if isinstance(s, str) and folded(s) == key and sanitize(s) == s
        )
    )


def problems(
    db: str, found: list[tuple[str, str, str]], worker: SqliteWorker | None = None
) -> list[Mismatch]:
    """Values missing as spelled but stored with another case or spacing, said with the fix."""
    if not found:
        return []
    from codeassist.db.schema import sqlite_path
    from codeassist.db.sqlite_worker import SqliteWorker

    path = sqlite_path(db)
    try:
        if path is None:
            return _problems_postgres(db, found)
        if worker is not None:
            return _problems_sqlite(worker, found)
        with SqliteWorker(path) as own:
            return _problems_sqlite(own, found)
    except CodeassistError:
        return []  # the database itself is reported by sql.explain


def _problems_sqlite(worker: SqliteWorker, found: list[tuple[str, str, str]]) -> list[Mismatch]:
    from codeassist.db.sqlite_worker import QueryError

    deadline = time.monotonic() + LOOKUP_TIMEOUT_S
    out = []
    try:
        for table, column, value in found:
            t, c = _quote(table), _quote(column)
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sql = f"SELECT 1 FROM {t} WHERE {c} = ? LIMIT 1"
            if worker.query(sql, (value,), timeout_s=left):
                continue
            sql = f"SELECT DISTINCT {c} FROM {t} WHERE lower(CAST({c} AS TEXT)) = lower(?) LIMIT 3"
            left = max(deadline - time.monotonic(), 0.01)
            stored = [r[0] for r in worker.query(sql, (value,), rows=3, timeout_s=left)]
            if not stored and (word := longest_word(value)) is not None:
                sql = f"SELECT DISTINCT {c} FROM {t} WHERE instr(lower(CAST({c} AS TEXT)), ?) > 0"
                left = max(deadline - time.monotonic(), 0.01)
                rows = worker.query(sql, (word,), rows=SCANNED, timeout_s=left)
                stored = spelled_alike(value, [r[0] for r in rows])[:3]
            if stored:
                out.append(Mismatch(table, column, value, tuple(stored)))
    except QueryError:
        return out  # timed out or an odd column: what was found so far
    return out


def _problems_postgres(url: str, found: list[tuple[str, str, str]]) -> list[Mismatch]:
    from codeassist.db import postgres as pg

    error = pg.psycopg_module().Error
    out = []
    with pg.connect_readonly(url) as conn:
        for table, column, value in found:
            t, c = _quote(table), _quote(column)
            try:
                hit = conn.execute(
                    f"SELECT 1 FROM {t} WHERE {c}::text = %s LIMIT 1", (value,)
                ).fetchone()
                if hit:
                    continue
                stored = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT DISTINCT {c}::text FROM {t} "
                        f"WHERE lower({c}::text) = lower(%s) LIMIT 3",
                        (value,),
                    )
                ]
                if not stored and (word := longest_word(value)) is not None:
                    rows = conn.execute(
                        f"SELECT DISTINCT {c}::text FROM {t} "
                        f"WHERE position(%s in lower({c}::text)) > 0 LIMIT {SCANNED}",
                        (word,),
                    )
                    stored = spelled_alike(value, [r[0] for r in rows])[:3]
            except error:
                conn.rollback()
                pg.begin(conn)
                continue
            if stored:
                out.append(Mismatch(table, column, value, tuple(stored)))
    return out
