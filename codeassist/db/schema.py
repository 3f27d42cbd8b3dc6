"""Database schemas for SQL requests: from a .sql file or a live database."""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from codeassist.errors import InputError, UsageError
from codeassist.inputs import read_text

MAX_SCHEMA_BYTES = 32 * 2**20  # a schema file larger than this is not a schema


_CREATE = re.compile(r"\bcreate\s+(?:[a-z_]+\s+){0,3}(?:table|view)\b", re.IGNORECASE)


def read_schema_file(path: Path) -> str:
    """The CREATE statements of a `--schema` file; InputError for a file that has none (a
    database file, a config file, /etc/shadow: nothing a schema, all of it sent to a prompt)."""
    text = read_text(
        path, MAX_SCHEMA_BYTES, "schema file",
        hint="pass a readable UTF-8 .sql file with CREATE TABLE statements",
        big_hint="pass the CREATE TABLE statements alone (e.g. `sqlite3 db .schema`)",
    )  # fmt: skip
    if not _CREATE.search(text):
        raise InputError(
            f"schema file {path} has no CREATE TABLE statement",
            hint="pass the tables' CREATE statements (e.g. `sqlite3 db .schema > schema.sql`), "
            "or the database itself with --db",
        )
    return text


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL or plain path; None for any other kind of database."""
    if url.startswith("sqlite:"):
        parsed = urlparse(url)
        return Path(unquote(parsed.netloc + parsed.path))
    if "://" in url:
        return None
    return Path(url)


def dialect_of(url: str | None) -> str:
    if url and url.startswith(("postgres://", "postgresql://")):
        return "postgres"
    return "sqlite"


def connect_sqlite_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection for reading the schema; never creates the file."""
    from codeassist.db import sqlite as sqlite_db

    if path.is_dir():
        raise InputError(f"{path} is a directory", hint="pass the SQLite file itself to --db")
    if path.exists() and not path.is_file():  # a FIFO, a device, a socket
        raise InputError(f"{path} is not a regular file", hint="pass the SQLite file to --db")
    if not path.is_file():
        hint = "pass an existing SQLite file to --db"
        if path.is_absolute() and Path(path.name).is_file():  # sqlite:///shop.db is /shop.db
            hint = f"did you mean ./{path.name}? (sqlite:///{path.name} names /{path.name})"
        raise InputError(f"database not found: {path}", hint=hint)
    try:
        conn = sqlite_db.connect(path)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
    except sqlite3.DatabaseError as exc:
        hint = "is it a SQLite database?"
        if not os.access(path, os.R_OK):
            hint = "check the file's permissions"
        elif "locked" in str(exc):  # another connection holds an exclusive lock
            hint = "another program is writing to it and holds the lock: try again when it is done"
        elif path.with_name(path.name + "-journal").exists():  # a writer crashed mid-transaction
            hint = "a -journal beside it holds an unfinished transaction: open it once with sqlite3"
        raise InputError(f"cannot open {path} as SQLite: {exc}", hint=hint) from None
    return conn


def read_database_schema(url: str) -> str:
    """The CREATE statements of a live database, read through a read-only connection."""
    path = sqlite_path(url)
    if path is None:
        if dialect_of(url) == "postgres":
            from codeassist.db.postgres import read_postgres_schema

            return read_postgres_schema(url)
        from codeassist.secrets import redact_text

        raise UsageError(  # a URL may carry a password: never echoed
            f"unsupported database URL: {redact_text(url)}",
            hint="use a SQLite path or postgresql://",
        )
    conn = connect_sqlite_readonly(path)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type = 'table' DESC, name"
        ).fetchall()
    finally:
        conn.close()
    return ";\n".join(r[0].strip() for r in rows) + (";" if rows else "")


@dataclass(frozen=True)
class SchemaSent:
    """Which tables of a database the prompt shows, and which it leaves out (schema order)."""

    tables: tuple[str, ...]
    omitted: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """One line for the terminal when tables were left out, else ""."""
        if not self.omitted:
            return ""
        total = len(self.tables) + len(self.omitted)
        return f"schema: {len(self.tables)} of {total} tables sent; --json lists the rest"


def fit_database_schema(
    url: str, request: str, budget: int, rows: int = 0
) -> tuple[str, SchemaSent]:
    """The CREATE statements a request needs, within `budget` tokens (rank.py chooses them),
    then up to `rows` rows of each sent table (db/rows.py) while the budget still holds them:
    rows never cost a table its place.

    A schema that fits is sent whole: with no rows, read_database_schema's text, byte for byte.
    """
    from codeassist.db import catalog as db_catalog
    from codeassist.db import rank
    from codeassist.db import rows as db_rows

    if sqlite_path(url) is None and dialect_of(url) != "postgres":
        read_database_schema(url)  # the error for an unsupported URL
    found = db_catalog.read_catalog(url)
    names = found.names()
    text = found.text()
    keep = set(names)
    if rank.approx_tokens(text) > budget:
        holding = db_catalog.tables_holding(url, found, rank.value_words(request))
        keep = rank.choose(found.tables(), request, budget, holding)
        text = found.text(keep)
    sent = SchemaSent(
        tuple(n for n in names if n in keep), tuple(n for n in names if n not in keep)
    )
    if rows > 0:
        kept = [(n, found.columns.get(n, ()), found.text_columns.get(n, ())) for n in names
                if n in keep]  # fmt: skip
        room, shown = budget - rank.approx_tokens(text), {}
        for table, comment in db_rows.sample(url, kept, rows).items():
            cost = rank.approx_tokens(comment) + 1
            if cost <= room:
                shown[table], room = comment, room - cost
        text = found.text(keep, shown) if shown else text
    return text, sent
