"""A column put on the wrong alias, moved to the one alias in scope whose table has it.

`SELECT T2.description FROM pros AS T1 JOIN treatments AS T2 … JOIN treatment_types AS T3 …`
names a column that treatments lacks and only treatment_types (T3) has: the fix is certain,
so it is made without asking the model again. A move that would leave a join comparing a
column with itself, or a column no alias (or several) could take, is not made.
"""

from __future__ import annotations

from typing import Any

Tables = dict[str, list[str]]


def scope_of(column: Any) -> dict[str, tuple[str, str]]:
    """alias (lower) -> (alias, table) visible where the column is, innermost first."""
    from sqlglot import exp

    scope: dict[str, tuple[str, str]] = {}
    select = column.find_ancestor(exp.Select)
    while select is not None:
        for t in select.find_all(exp.Table):
            if t.find_ancestor(exp.Select) is select:
                scope.setdefault(t.alias_or_name.lower(), (t.alias_or_name, t.name.lower()))
        parent = select.parent
        select = parent.find_ancestor(exp.Select) if parent is not None else None
    return scope


def has_column(tables: Tables, table: str, name: str) -> bool:
    return name.lower() in {c.lower() for c in tables.get(table, [])}


def table_named(name: str) -> Any:
    """A table of the database as a reference, built from its name and never parsed as SQL:
    a table called `air lines` or `my"tab` is quoted, not read as `air AS lines` or an error."""
    from sqlglot import exp

    return exp.Table(this=exp.to_identifier(name))


def one_statement(code: str, dialect: str) -> Any:
    """The code's one SQL statement (a sqlglot tree); None when it does not parse, or holds
    none or several."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    from codeassist.syntax import quiet_sqlglot

    quiet_sqlglot()
    try:
        statements = [s for s in sqlglot.parse(code, read=dialect) if s is not None]
    except SqlglotError:
        return None
    return statements[0] if len(statements) == 1 else None


def requalified(code: str, tables: Tables, dialect: str) -> str | None:
    """The SQL with each misplaced column on the only alias that has it; None when no move."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    tree = one_statement(code, dialect)
    if tree is None:
        return None
    moved = False
    for column in list(tree.find_all(exp.Column)):
        alias, name = column.table, column.name
        if not alias or not name or name == "*":
            continue
        scope = scope_of(column)
        table = scope.get(alias.lower(), ("", ""))[1]
        if table not in tables or not tables[table] or has_column(tables, table, name):
            continue
        near = {a for a, t in scope.values() if has_column(tables, t, name)}
        if len(near) != 1:
            return None  # not certain: leave it to the model
        column.set("table", exp.to_identifier(near.pop()))
        moved = True
    if not moved:
        return None
    for eq in tree.find_all(exp.EQ):
        left, right = eq.this, eq.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column) and left == right:
            return None
    try:
        return str(tree.sql(dialect=dialect))
    except SqlglotError:
        return None
