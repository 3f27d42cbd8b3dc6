"""PostgreSQL, read-only: the schema as CREATE statements, and EXPLAIN of generated SQL.

Every connection is read-only twice over: the session default (`default_transaction_read_only`)
and each transaction (`SET TRANSACTION READ ONLY`); each transaction also sets its own
`statement_timeout` (`SET LOCAL`, which holds behind a pooler that drops startup options), so
the server cancels any statement past it. psycopg 3 is imported lazily (extra `postgres`), so
SQLite users never need it; without it, one error line says how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from codeassist.errors import InputError

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000

_COLUMNS = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name,
       c.character_maximum_length, c.numeric_precision, c.numeric_scale,
       c.is_nullable, c.column_default
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
  AND c.table_schema NOT LIKE 'pg_toast%%' AND t.table_type IN ('BASE TABLE', 'VIEW')
ORDER BY c.table_schema, c.table_name, c.ordinal_position
"""

_KEYS = """
SELECT n.nspname, c.relname, CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'FOREIGN KEY' END,
       k.conname, a.attname, fn.nspname, f.relname, fa.attname
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
LEFT JOIN pg_class f ON f.oid = k.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
LEFT JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[u.ord]
WHERE k.contype IN ('p', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
ORDER BY n.nspname, c.relname, k.conname, u.ord
"""  # pg_catalog: information_schema's constraint views take seconds for a few hundred tables


def psycopg_module() -> Any:
    """psycopg, or an InputError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise InputError(
            "PostgreSQL support needs psycopg, which is not installed",
            hint="pip install 'codeassist[postgres]' (or: pip install 'psycopg[binary]')",
        ) from None
    return psycopg


def begin(conn: Any) -> None:
    """Start a read-only transaction whose statements are cancelled after the timeout."""
    conn.execute("SET TRANSACTION READ ONLY")
    conn.execute(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")


def error_line(exc: Exception) -> str:
    """The first line of a server error; a cancelled statement says the timeout."""
    if type(exc).__name__ == "QueryCanceled":
        return f"timed out after {STATEMENT_TIMEOUT_MS / 1000:g} s (statement_timeout)"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def connect_readonly(url: str) -> Iterator[Any]:
    """A read-only connection with a statement timeout; always rolled back and closed."""
    psycopg = psycopg_module()
    options = f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}"
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, options=options)
    except psycopg.Error as exc:
        from codeassist.secrets import redact_text

        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = redact_text(reason)  # libpq quotes a malformed URL, password and all
        raise InputError(
            f"cannot connect to PostgreSQL: {reason}",
            hint="check the URL, e.g. postgresql://user@127.0.0.1:5432/dbname",
        ) from None
    try:
        conn.read_only = True
        begin(conn)
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _type(data_type: str, udt: str, length: int | None, prec: int | None, scale: int | None) -> str:
    if data_type == "USER-DEFINED":
        return udt
    if data_type == "ARRAY":
        return f"{udt.lstrip('_')}[]"
    if length and data_type in ("character varying", "character"):
        return f"{'varchar' if data_type == 'character varying' else 'char'}({length})"
    if data_type == "numeric" and prec:
        return f"numeric({prec},{scale or 0})"
    return data_type


def _name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def read_postgres_schema(url: str) -> str:
    """CREATE TABLE statements rebuilt from information_schema (columns, keys)."""
    return "\n".join(postgres_tables(url)[0].values())


def postgres_tables(url: str) -> tuple[dict[str, str], list[Any], list[Any]]:
    """Each table's CREATE statement, in schema order, and the column and key rows read."""
    error = psycopg_module().Error
    try:
        with connect_readonly(url) as conn:
            columns = conn.execute(_COLUMNS).fetchall()
            keys = conn.execute(_KEYS).fetchall()
    except error as exc:
        raise InputError(f"cannot read the PostgreSQL schema: {error_line(exc)}") from None
    return _statements(columns, keys), columns, keys


def _statements(columns: list[Any], keys: list[Any]) -> dict[str, str]:
    lines: dict[str, list[str]] = {}
    for schema, table, col, dtype, udt, length, prec, scale, nullable, default in columns:
        spec = f"  {col} {_type(dtype, udt, length, prec, scale)}"
        if nullable == "NO":
            spec += " NOT NULL"
        if default is not None:
            spec += f" DEFAULT {default}"
        lines.setdefault(_name(schema, table), []).append(spec)
    constraints: dict[tuple[str, str], list[Any]] = {}
    for row in keys:
        constraints.setdefault((_name(row[0], row[1]), row[3]), []).append(row)
    for (table, _), rows in constraints.items():
        cols = ", ".join(dict.fromkeys(r[4] for r in rows))
        if table not in lines:
            continue
        if rows[0][2] == "PRIMARY KEY":
            lines[table].append(f"  PRIMARY KEY ({cols})")
        elif rows[0][6]:
            ref_cols = ", ".join(dict.fromkeys(r[7] for r in rows))
            ref = _name(rows[0][5], rows[0][6])
            lines[table].append(f"  FOREIGN KEY ({cols}) REFERENCES {ref} ({ref_cols})")
    return {
        table: f"CREATE TABLE {table} (\n" + ",\n".join(specs) + "\n);"
        for table, specs in lines.items()
    }


def read_postgres_columns(url: str) -> dict[str, list[str]]:
    """Table -> column names (tables outside `public` also under schema.table)."""
    with connect_readonly(url) as conn:
        rows = conn.execute(_COLUMNS).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, col, *_ in rows:
        tables.setdefault(table, []).append(col)
        if schema != "public":
            tables.setdefault(f"{schema}.{table}", []).append(col)
    return tables


def explain(url: str, statement: str) -> str | None:
    """None when EXPLAIN (plan only, never executed) accepts the statement, else the error."""
    error = psycopg_module().Error
    with connect_readonly(url) as conn:
        try:
            conn.execute(f"EXPLAIN {statement}").fetchall()
        except error as exc:
            return error_line(exc)
    return None
