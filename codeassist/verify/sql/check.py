"""SQL checks: it parses for the dialect, its tables and columns exist, EXPLAIN accepts it,
the string values it compares columns with are spelled as stored (values.py), and a single
query that reads no rows (its result empty, or an aggregate over nothing) is not comparing a
column with a value that column never holds (result.py, which also gives repair rounds the
tables' join keys).

Tables and columns come from the live database when there is one (read-only), else from the
CREATE statements of the schema text. Names are compared case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeassist.db.sqlite_worker import SqliteWorker
from codeassist.errors import CodeassistError
from codeassist.syntax import quiet_sqlglot, sql_dialect
from codeassist.terminal import one_line
from codeassist.verify import Check, Subject

if TYPE_CHECKING:
    from codeassist.verify.sql.rejoin import Key

Tables = dict[str, list[str]]  # table name (lower case) -> its column names as declared
LOOKUP_TIMEOUT_S = 2.0  # a fix's own queries, all together


def check(subject: Subject) -> list[Check]:
    """The SQL checks; queries on a SQLite database run in one child process, killed after."""
    path = _sqlite_path(subject.db)
    if path is None:
        return _check(subject, None)
    with SqliteWorker(path) as worker:
        return _check(subject, worker)


def _check(subject: Subject, worker: SqliteWorker | None) -> list[Check]:
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    quiet_sqlglot()

    dialect = sql_dialect(subject.dialect)
    dependents = []
    tables = _tables(subject)
    if tables:
        dependents.append("sql.schema")
    if subject.db:
        dependents.append("sql.explain")
    if worker is not None or _postgres(subject.db):
        dependents.append("sql.result")
    try:
        statements = [s for s in sqlglot.parse(subject.code, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        reason = "not run: the SQL does not parse"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Check("sql.parse", False, first)] + [Check(n, False, reason) for n in dependents]
    if not statements:
        reason = "not run: there is no SQL statement"
        return [Check("sql.parse", False, "no SQL statement")] + [
            Check(n, False, reason) for n in dependents
        ]
    checks = [Check("sql.parse", True, f"{len(statements)} statement(s)")]
    from codeassist.verify.risk import risk_check

    checks.extend(c for c in [risk_check(subject.code, "sql", dialect)] if c)
    if tables:
        problems = [p for s in statements for p in schema_problems(s, tables, dialect)]
        said = "; ".join(dict.fromkeys(problems))  # names from the database: one line
        checks.append(Check("sql.schema", not problems, one_line(said)))
    from codeassist.verify.sql import both as sql_both
    from codeassist.verify.sql import joins as sql_joins

    checks.extend(c for c in [sql_both.check(statements)] if c)
    checks.extend(c for c in [sql_joins.check(statements, tables, subject.request)] if c)
    if subject.db and tables:
        from codeassist.verify.sql import keys as sql_keys

        keys = _foreign_keys(subject.db)
        checks.extend(c for c in [sql_keys.check(statements, tables, keys, dialect)] if c)
    if subject.db:
        texts = (
            [subject.code.strip().rstrip(";")]
            if len(statements) == 1
            else [s.sql(dialect=dialect) for s in statements]
        )
        from codeassist.verify.sql.explain import explain_check

        checks.append(explain_check(subject.db, texts, worker))
        if tables:
            from codeassist.verify.sql import values as sql_values

            found = [c for s in statements for c in sql_values.comparisons(s, tables)]
            if found:
                problems = [m.message for m in sql_values.problems(subject.db, found, worker)]
                detail = "; ".join(problems) or f"{len(found)} compared value(s) found"
                checks.append(Check("sql.values", not problems, detail))
    if worker is not None or _postgres(subject.db):
        explained = all(c.passed for c in checks if c.name == "sql.explain")
        from codeassist.verify.sql.result import run_repeats, run_result

        checks.append(run_result(subject, worker, statements, tables, explained))
        if explained and checks[-1].passed:
            checks.extend(c for c in [run_repeats(subject, worker, statements, tables)] if c)
    return checks


def _postgres(db: str | None) -> bool:
    from codeassist.db.schema import dialect_of

    return bool(db) and dialect_of(db) == "postgres"


def _sqlite_path(db: str | None) -> Path | None:
    if not db:
        return None
    from codeassist.db.schema import sqlite_path

    return sqlite_path(db)


def repair_hints(subject: Subject) -> str:
    """What a repair round needs to see again: the tables used, their columns and join keys."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    from codeassist.verify.sql import result as sql_result

    quiet_sqlglot()

    tables = _tables(subject)
    dialect = sql_dialect(subject.dialect)
    try:
        statements = [s for s in sqlglot.parse(subject.code, read=dialect) if s is not None]
    except SqlglotError:
        return ""
    if not statements or not tables:
        return ""
    return sql_result.join_hints(_sqlite_path(subject.db), statements[0], tables)


def respelled(subject: Subject) -> str | None:
    """The SQL with compared values spelled as stored (letter case), when that fixes any."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    from codeassist.verify.sql import values as sql_values

    quiet_sqlglot()

    tables = _tables(subject)
    if not subject.db or not tables:
        return None
    dialect = sql_dialect(subject.dialect)
    try:
        statements = [s for s in sqlglot.parse(subject.code, read=dialect) if s is not None]
    except SqlglotError:
        return None
    found = [c for s in statements for c in sql_values.comparisons(s, tables)]
    return sql_values.respell(subject.code, sql_values.problems(subject.db, found))


def without_idle_joins(subject: Subject) -> str | None:
    """The SQL without the joins that give it nothing (verify/sql/joins.py)."""
    from codeassist.verify.sql import joins as sql_joins

    dialect = sql_dialect(subject.dialect)
    return sql_joins.without_idle(subject.code, _tables(subject), subject.request, dialect)


def intersected(subject: Subject) -> str | None:
    """The SQL that asks a column for two values in one row as an INTERSECT (sql/both.py)."""
    from codeassist.verify.sql import both as sql_both

    return sql_both.intersected(subject.code, sql_dialect(subject.dialect))


def distinct(subject: Subject) -> str | None:
    """The SQL whose joins repeat the same rows as SELECT DISTINCT (sql/repeats.py)."""
    from codeassist.verify.sql import repeats

    return repeats.distinct(subject.code, sql_dialect(subject.dialect))


def requalified(subject: Subject) -> str | None:
    """The SQL with columns on the wrong alias moved to the only alias having them (sql_fix)."""
    from codeassist.verify.sql import fix as sql_fix

    tables = _tables(subject)
    dialect = sql_dialect(subject.dialect)
    return sql_fix.requalified(subject.code, tables, dialect) if tables else None


def rejoined(subject: Subject) -> str | None:
    """The SQL with a join on a column its table lacks, or on keys of two different things,
    joined on the one foreign key between the two tables (sql/rejoin.py); None when there is
    no such join, or no keys."""
    from codeassist.verify.sql import rejoin

    return _keyed(subject, rejoin.rejoined)


def bridged(subject: Subject) -> str | None:
    """The SQL with a join across a many-to-many link made through the link table
    (sql/bridge.py); None when there is none, or it is not certain."""
    from codeassist.verify.sql import bridge

    return _keyed(subject, bridge.bridged)


def joined_in(subject: Subject) -> str | None:
    """The SQL with a column that no table in it has read from the one table a foreign key
    away that has it (sql/reach.py); None when there is none, or it is not certain."""
    from codeassist.verify.sql import reach

    return _keyed(subject, reach.joined_in)


def _keyed(
    subject: Subject, fix: Callable[[str, Tables, list[Key], str], str | None]
) -> str | None:
    """A fix made by the database's tables and foreign keys; None without either."""
    tables = _tables(subject)
    keys = _foreign_keys(subject.db)
    if not tables or not keys:
        return None
    return fix(subject.code, tables, keys, sql_dialect(subject.dialect))


def looked_up(subject: Subject) -> str | None:
    """The SQL with a name compared with a column holding its key looked up in the table that
    has the name (sql/lookup.py); None when there is none, or it is not certain."""
    from codeassist.db import runner
    from codeassist.verify.sql import lookup
    from codeassist.verify.sql.fix import one_statement

    tables = _tables(subject)
    dialect = sql_dialect(subject.dialect)
    statement = one_statement(subject.code, dialect)
    if not subject.db or not tables or statement is None:
        return None
    keys, deadline = _foreign_keys(subject.db), runner.Deadline(LOOKUP_TIMEOUT_S)
    path = _sqlite_path(subject.db)
    try:
        if path is not None:
            with SqliteWorker(path) as worker:
                sqlite = runner.SqliteRunner(worker)
                changed = lookup.looked_up(sqlite, statement, tables, keys, deadline)
        else:
            from codeassist.db import postgres as pg

            with pg.connect_readonly(subject.db) as conn:
                postgres = runner.PostgresRunner(conn)
                changed = lookup.looked_up(postgres, statement, tables, keys, deadline)
    except CodeassistError:
        return None
    return statement.sql(dialect=dialect) if changed else None


def _foreign_keys(db: str | None) -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) of each one-column foreign key of
    the database (SQLite or PostgreSQL), read-only; none without a database or on an error."""
    from codeassist.verify.sql.result import foreign_keys

    path = _sqlite_path(db)
    if path is not None:
        return foreign_keys(path)
    if not db or not _postgres(db):
        return []
    from codeassist.db.postgres import postgres_tables

    try:
        rows = postgres_tables(db)[2]
    except CodeassistError:
        return []
    columns: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        if row[2] == "FOREIGN KEY" and row[6]:
            columns.setdefault((row[1], row[3]), []).append(row)
    return [(r[0][1], r[0][4], r[0][6], r[0][7]) for r in columns.values() if len(r) == 1]


def _tables(subject: Subject) -> Tables:
    if subject.db:
        try:
            return live_tables(subject.db)
        except CodeassistError:
            pass  # reported by sql.explain
    return tables_from_ddl(subject.schema, subject.dialect)


def tables_from_ddl(ddl: str, dialect: str = "sqlite") -> Tables:
    """Table -> columns from CREATE TABLE statements; statements that do not parse are skipped."""
    if not ddl.strip():
        return {}
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    quiet_sqlglot()

    dialect = sql_dialect(dialect)
    try:
        statements = sqlglot.parse(ddl, read=dialect)
    except (ParseError, TokenError):
        statements = []
        for part in ddl.split(";"):
            try:
                statements += sqlglot.parse(part, read=dialect)
            except (ParseError, TokenError):
                continue
    tables: Tables = {}
    for st in statements:
        if not isinstance(st, exp.Create) or st.kind not in ("TABLE", "VIEW"):
            continue
        target = st.this
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            continue
        cols: list[str] = []
        if isinstance(target, exp.Schema):
            cols = [c.name for c in target.expressions if isinstance(c, exp.ColumnDef)]
        elif isinstance(st.expression, exp.Query):  # CREATE VIEW v AS SELECT …
            cols = list(st.expression.named_selects)
        tables[table.name.lower()] = cols
    return tables


def live_tables(db: str) -> Tables:
    """Table -> columns of a live database, read through a read-only connection."""
    from codeassist.db.schema import connect_sqlite_readonly, sqlite_path

    path = sqlite_path(db)
    if path is None:
        from codeassist.db import postgres as pg

        return {t.lower(): cols for t, cols in pg.read_postgres_columns(db).items()}
    conn = connect_sqlite_readonly(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%'"
            )
        ]
        tables = {}
        for name in names:
            quoted = name.replace('"', '""')
            rows = conn.execute(f'PRAGMA table_info("{quoted}")').fetchall()
            tables[name.lower()] = [r[1] for r in rows]
        return tables
    finally:
        conn.close()


def schema_problems(statement: object, tables: Tables, dialect: str) -> list[str]:
    """Unknown tables and columns in one parsed statement, said so the model can fix them."""
    from sqlglot import exp
    from sqlglot.errors import OptimizeError, SqlglotError
    from sqlglot.optimizer.qualify import qualify

    assert isinstance(statement, exp.Expression)
    tree = statement.copy()
    if dialect == "sqlite":  # SQLite reads "text" that names no column as a string literal
        known = {c.lower() for cols in tables.values() for c in cols}
        for col in list(tree.find_all(exp.Column)):
            ident = col.this
            if (
                isinstance(ident, exp.Identifier)
                and ident.quoted
                and not col.table
                and ident.name.lower() not in known
            ):
                col.replace(exp.Literal.string(ident.name))
    for ident in tree.find_all(exp.Identifier):  # compare names case-insensitively
        ident.set("this", ident.name.lower())
        ident.set("quoted", False)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    problems = []
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name and name not in tables and name not in ctes and not table.args.get("db"):
            listed = ", ".join(sorted(tables)) or "none"
            problems.append(f"no such table: {table.name} (tables: {listed})")
    if problems:
        return problems
    problems = [p for col in statement.find_all(exp.Column) if (p := _misplaced(col, tables))]
    if problems:
        return list(dict.fromkeys(problems))
    mapping: dict[str, object] = {
        t: {c.lower(): "TEXT" for c in cols} for t, cols in tables.items() if cols
    }
    try:
        qualify(tree, schema=mapping, dialect=dialect, validate_qualify_columns=True)
    except OptimizeError as exc:
        message = str(exc).split(". Line:")[0]
        used = sorted({t.name.lower() for t in tree.find_all(exp.Table)} & set(tables))
        columns = "; ".join(f"{t}: {', '.join(tables[t])}" for t in used)
        return [f"{message} (columns of {columns})" if columns else message]
    except SqlglotError:
        return []  # a construct the qualifier does not handle: leave it to EXPLAIN
    return []


def _misplaced(column: Any, tables: Tables) -> str | None:
    """`T2.name` where T2's table has no such column: say so, and which alias has it."""
    alias, name = column.table, column.name.lower()
    if not alias or not name or name == "*":
        return None
    from codeassist.verify.sql.fix import scope_of

    scope = scope_of(column)  # alias (lower) -> (alias, table), innermost first
    table = scope.get(alias.lower(), ("", None))[1]
    columns = tables.get(table or "", [])
    if not columns or name in {c.lower() for c in columns}:
        return None

    def spelled(t: str) -> str | None:
        return next((c for c in tables.get(t, []) if c.lower() == name), None)

    shown = next((s for t in tables if (s := spelled(t))), name)
    message = f"{alias}.{shown}: {alias} is table {table}, which has no column {shown}"
    near = [f"{a}.{spelled(t)} ({a} is {t})" for a, t in scope.values() if spelled(t)]
    if near:
        return f"{message}; did you mean {' or '.join(near)}?"
    holders = [t for t in tables if spelled(t)]
    if holders:
        return f"{message}; {shown} is a column of {', '.join(holders)}: join it"
    return f"{message} (columns of {table}: {', '.join(columns)})"
