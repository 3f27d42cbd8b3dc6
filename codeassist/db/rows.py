"""A few rows of each table, shown under its CREATE statement in the prompt.

A model that sees how values are stored writes the comparisons the data needs: `'France'`,
not `'france'`; `'Y'` where a flag is a letter; a year stored as text. The rows are read
read-only, all tables within one short deadline: SQLite's in this process (a plain table's
first rows; a view could compute anything, so views show none), PostgreSQL's in the checks'
read-only transaction (db/runner.py). A table whose read fails or runs out of time simply
has no rows shown.

Values are hostile data that end up in a prompt: each is cut to MAX_CHARS, control
characters are written as escapes, a `*/` cannot close the comment, and credentials are
redacted: a whole column whose name says it holds one (`password`, `api_key`), and known
formats anywhere (codeassist/secrets.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

MAX_CHARS = 40  # of one value as shown
TIMEOUT_S = 0.5  # for all the tables of one schema
Rows = dict[str, list[tuple[Any, ...]]]
Wanted = tuple[str, tuple[str, ...], tuple[str, ...]]  # a table, its columns, its text columns


class Blob(int):
    """A blob, known by its length in bytes."""


def sample(url: str, tables: Iterable[tuple[str, tuple[str, ...], tuple[str, ...]]],
           count: int) -> dict[str, str]:  # fmt: skip
    """`count` rows of each (table, columns, text columns), rendered as a comment; tables
    without rows, views (their rows come from tables) and tables whose read failed are left
    out. A text value is read cut short, a blob as its length: a huge value never loads."""
    from codeassist.db.schema import sqlite_path

    wanted = [(t, cols, texts) for t, cols, texts in tables if cols]
    if count <= 0 or not wanted:
        return {}
    path = sqlite_path(url)
    found = _postgres(url, wanted, count) if path is None else _sqlite(path, wanted, count)
    return {t: render(t, cols, found[t]) for t, cols, _ in wanted if found.get(t)}


def _sqlite(path: Path, wanted: list[Wanted], count: int) -> Rows:
    """In this process, read-only, every read cut at the shared deadline."""
    import sqlite3

    from codeassist.db.catalog import quote
    from codeassist.db.schema import connect_sqlite_readonly

    deadline = time.monotonic() + TIMEOUT_S
    conn = connect_sqlite_readonly(path)
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    found: Rows = {}
    try:
        plain = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, columns, _ in wanted:
            if table not in plain:
                continue
            cells = ", ".join(
                f"CASE typeof({q}) WHEN 'text' THEN substr({q}, 1, {MAX_CHARS + 1}) "
                f"WHEN 'blob' THEN zeroblob(0) || length({q}) ELSE {q} END, typeof({q}) = 'blob'"
                for q in map(quote, columns)
            )  # fmt: skip
            try:
                rows = conn.execute(f"SELECT {cells} FROM {quote(table)} LIMIT {count}").fetchall()
            except sqlite3.Error:
                if time.monotonic() > deadline:
                    break  # interrupted: out of time
                continue  # a virtual table whose module is not here
            found[table] = [_blobs(row) for row in rows]
    except sqlite3.Error:
        pass
    finally:
        conn.close()
    return found


def _blobs(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """(value, is_blob) pairs as values: a blob's length as its stand-in."""
    pairs = zip(row[::2], row[1::2], strict=True)
    return tuple(Blob(int(v)) if is_blob else v for v, is_blob in pairs)


def _postgres(url: str, wanted: list[Wanted], count: int) -> Rows:
    """In the checks' read-only transaction, each read cut by its own statement timeout."""
    from codeassist.db import postgres as pg
    from codeassist.db.catalog import quote, quote_table
    from codeassist.db.runner import Deadline, PostgresRunner
    from codeassist.db.sqlite_worker import QueryError

    deadline = Deadline(TIMEOUT_S)
    found: Rows = {}
    try:
        with pg.connect_readonly(url) as conn:
            runner = PostgresRunner(conn)
            for table, columns, texts in wanted:
                cells = ", ".join(
                    f"left({quote(c)}, {MAX_CHARS + 1})" if c in texts else quote(c)
                    for c in columns
                )
                sql = f"SELECT {cells} FROM {quote_table(table, 'postgres')} LIMIT {count}"
                try:
                    found[table] = runner.rows(sql, limit=count, timeout_s=deadline.left())
                except QueryError as exc:
                    if exc.kind == "time":
                        break
    except QueryError:
        pass
    return found


def render(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """`/* 2 rows of t: a | b` then one line per row, `*/`: a comment SQL parsers skip."""
    from codeassist.secrets import secret_name

    hidden = {i for i, c in enumerate(columns) if secret_name(c)}
    lines = [f"/* {len(rows)} row{'s' * (len(rows) != 1)} of {_plain(table)}: "
             + " | ".join(_plain(c) for c in columns)]  # fmt: skip
    for row in rows:
        cells = ["«redacted»" if i in hidden else value(v) for i, v in enumerate(row)]
        lines.append(" | ".join(cells))
    return "\n".join(lines) + " */"


def value(v: object) -> str:
    """One value as SQL would write it, cut short, escaped, with credentials redacted."""
    from codeassist.secrets import redact_text

    if v is None:
        return "NULL"
    if isinstance(v, Blob):
        return f"<{int(v)} bytes>"
    if isinstance(v, bool | int | float | Decimal):
        return str(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return f"<{len(bytes(v))} bytes>"
    text = redact_text(str(v))
    cut = len(text) > MAX_CHARS
    text = _plain(text[:MAX_CHARS]).replace("'", "''")
    return f"'{text}…'" if cut else f"'{text}'"


def _plain(text: str) -> str:
    """No control characters (as escapes), no end of a comment nor start of a nested one."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown.replace("*/", "* /").replace("/*", "/ *")
