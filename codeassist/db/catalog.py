"""A live database's schema table by table: what a prompt gets of a big one (rank.py chooses).

`read_catalog` reads, read-only, the CREATE statements in the order read_database_schema lists
them, each with its table (an index or trigger goes with its table), and per table its columns,
its text columns and its foreign-key neighbours. `Catalog.text(keep)` renders the statements of
the kept tables in that order; with every table kept it is read_database_schema's text, byte
for byte. `tables_holding` finds the tables that store a word of the request as a whole value
of a text column, reading at most VALUE_ROWS rows of each table, within VALUE_TIMEOUT_S.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeassist.db.rank import Table, approx_tokens

VALUE_ROWS = 2000  # rows of a table searched for the request's words
VALUE_TIMEOUT_S = 1.5  # for all of a request's value lookups
_TEXT_TYPES = ("CHAR", "CLOB", "TEXT", "STRING")  # SQLite's text affinity, and no type at all


@dataclass(frozen=True)
class Catalog:
    """The schema's statements with their tables, and what ranking reads of each table."""

    statements: tuple[tuple[str, str], ...]  # (table, CREATE statement), in schema order
    columns: dict[str, tuple[str, ...]]
    text_columns: dict[str, tuple[str, ...]]
    neighbours: dict[str, frozenset[str]]
    dialect: str  # sqlite | postgres: how the statements are joined

    def names(self) -> list[str]:
        """The tables (and views), in schema order."""
        return list(dict.fromkeys(t for t, _ in self.statements))

    def text(self, keep: set[str] | None = None, rows: Mapping[str, str] | None = None) -> str:
        """The statements of the kept tables (all when None), as read_database_schema says them;
        a table's `rows` (db/rows.py's comment) follow its first statement, its CREATE."""
        rows, kept = dict(rows or {}), []
        for t, s in self.statements:
            if keep is None or t in keep:
                kept.append(f"{s}\n{rows.pop(t)}" if t in rows else s)
        if self.dialect == "postgres":
            return "\n".join(kept)
        return ";\n".join(kept) + (";" if kept else "")

    def tables(self) -> list[Table]:
        """Ranking's view of each table, its prompt cost estimated from its statements."""
        cost: dict[str, int] = {}
        for t, s in self.statements:
            cost[t] = cost.get(t, 0) + approx_tokens(s) + 1
        return [
            Table(t, self.columns.get(t, ()), self.neighbours.get(t, frozenset()), cost[t])
            for t in self.names()
        ]


def read_catalog(url: str) -> Catalog:
    """The catalog of a SQLite file or PostgreSQL database, read-only."""
    from codeassist.db.schema import sqlite_path

    path = sqlite_path(url)
    return _postgres(url) if path is None else _sqlite(path)


def _sqlite(path: Path) -> Catalog:
    from codeassist.db.schema import connect_sqlite_readonly

    conn = connect_sqlite_readonly(path)
    try:
        rows = conn.execute(
            "SELECT type, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, name"
        ).fetchall()
        columns, text, links = {}, {}, []
        for kind, table, _ in rows:
            if kind not in ("table", "view"):
                continue
            info = conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()
            columns[table] = tuple(str(r[1]) for r in info)
            text[table] = tuple(str(r[1]) for r in info if _texty(str(r[2] or "")))
            keys = conn.execute(f"PRAGMA foreign_key_list({quote(table)})").fetchall()
            links += [(table, str(k[2])) for k in keys]
    finally:
        conn.close()
    statements = tuple((str(t), str(s).strip()) for _, t, s in rows)
    return Catalog(statements, columns, text, _neighbours(links, columns), "sqlite")


def _texty(declared: str) -> bool:
    return not declared or any(k in declared.upper() for k in _TEXT_TYPES)


def _postgres(url: str) -> Catalog:
    from codeassist.db.postgres import postgres_tables

    statements, rows, keys = postgres_tables(url)
    columns: dict[str, list[str]] = {}
    text: dict[str, list[str]] = {}
    for schema, table, col, dtype, *_ in rows:
        name = _pg_name(schema, table)
        columns.setdefault(name, []).append(col)
        if dtype in ("text", "character varying", "character"):
            text.setdefault(name, []).append(col)
    links = [(_pg_name(r[0], r[1]), _pg_name(r[5], r[6])) for r in keys if r[2] == "FOREIGN KEY"]
    return Catalog(
        tuple(statements.items()), {t: tuple(c) for t, c in columns.items()},
        {t: tuple(c) for t, c in text.items()}, _neighbours(links, columns), "postgres",
    )  # fmt: skip


def _pg_name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def _neighbours(links: list[tuple[str, str]], columns: Any) -> dict[str, frozenset[str]]:
    """Both ends of each foreign key, by the tables' own spelling (SQLite ignores case)."""
    spelled = {t.lower(): t for t in columns}
    out: dict[str, set[str]] = {}
    for a, b in links:
        b = spelled.get(b.lower(), b)
        if a != b:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return {t: frozenset(n) for t, n in out.items()}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str, dialect: str) -> str:
    if dialect == "postgres" and "." in name:
        return ".".join(quote(p) for p in name.split(".", 1))
    return quote(name)


def tables_holding(url: str, catalog: Catalog, words: list[str]) -> set[str]:
    """Tables with a text column holding one of the words as a whole value (any letter case)."""
    from codeassist.db.runner import Deadline, PostgresRunner, SqliteRunner
    from codeassist.db.schema import sqlite_path
    from codeassist.db.sqlite_worker import QueryError, SqliteWorker

    if not words:
        return set()
    path = sqlite_path(url)
    deadline = Deadline(VALUE_TIMEOUT_S)

    def search(runner: Any) -> set[str]:
        found: set[str] = set()
        marks = ", ".join("?" for _ in words)
        try:
            for table in catalog.names():
                cols = catalog.text_columns.get(table, ())
                if not cols:
                    continue
                hit = " OR ".join(f"lower(CAST({quote(c)} AS TEXT)) IN ({marks})" for c in cols)
                sample = f"SELECT * FROM {quote_table(table, catalog.dialect)} LIMIT {VALUE_ROWS}"
                sql = f"SELECT 1 FROM ({sample}) AS sample WHERE {hit} LIMIT 1"
                try:
                    if runner.rows(sql, tuple(words) * len(cols), timeout_s=deadline.left()):
                        found.add(table)
                except QueryError as exc:
                    if exc.kind != "sql":
                        raise
        except QueryError:
            pass  # out of time: the tables found so far
        return found

    if path is None:
        from codeassist.db import postgres as pg

        with pg.connect_readonly(url) as conn:
            return search(PostgresRunner(conn))
    with SqliteWorker(path) as worker:
        return search(SqliteRunner(worker))
