"""A column that no table in the query has, taken from the table one foreign key away.

`SELECT DISTINCT T2.Model FROM car_names AS T1 JOIN model_list AS T2 … WHERE T1.Year > 1980`:
Year is in neither table, but cars_data has it, and the database's one foreign key between
car_names and cars_data says how they join. The fix joins cars_data in on that key and reads
Year from it. It is made only when certain: exactly one table outside the query has the
column and exactly one key joins it to the table the column was written on. Otherwise the
query is left to the model.
"""

from __future__ import annotations

import re
from typing import Any

from codeassist.verify.sql.fix import Tables, has_column, one_statement, scope_of, table_named
from codeassist.verify.sql.rejoin import Key


def joined_in(code: str, tables: Tables, keys: list[Key], dialect: str) -> str | None:
    """The SQL with each such column read from its joined-in table; None when none was."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    tree = one_statement(code, dialect)
    if tree is None or not keys:
        return None
    added: dict[tuple[int, str, str], str] = {}  # (select, alias, table) -> the new alias
    for column in list(tree.find_all(exp.Column)):
        alias, name = column.table, column.name
        if not alias or not name or name == "*":
            continue
        scope = scope_of(column)
        own_alias, own_table = scope.get(alias.lower(), ("", ""))
        if not tables.get(own_table) or has_column(tables, own_table, name):
            continue
        if any(has_column(tables, t, name) for _, t in scope.values()):
            continue  # on the wrong alias, not missing: requalified moves it
        link = _one_link(own_table, name, {t for _, t in scope.values()}, tables, keys)
        select = _defining(column, own_alias)
        if link is None or select is None:
            return None  # not certain which table, or how it joins: left to the model
        table, table_column, own_column = link
        slot = (id(select), own_alias.lower(), table)
        if slot not in added:
            added[slot] = new_alias(table, scope, added.values())
            on = exp.EQ(
                this=exp.column(table_column, table=added[slot]),
                expression=exp.column(own_column, table=own_alias),
            )
            joined: Any = table_named(table)
            if added[slot] != table:
                joined = exp.alias_(joined, added[slot], table=True)
            select.join(joined, on=on, copy=False)
        column.set("table", exp.to_identifier(added[slot]))
    if not added:
        return None
    try:
        return str(tree.sql(dialect=dialect))
    except SqlglotError:
        return None


def _one_link(
    own: str, name: str, in_query: set[str], tables: Tables, keys: list[Key]
) -> tuple[str, str, str] | None:
    """(table, its key column, own table's key column) of the one table outside the query
    that has the column and one key to `own`; None when there are none or several."""
    links = set()
    for table, column, target, target_column in keys:
        pairs = [(table, column, target, target_column), (target, target_column, table, column)]
        for this, this_column, other, other_column in pairs:
            other, this = other.lower(), this.lower()
            if this == own and other not in in_query and has_column(tables, other, name):
                links.add((other, other_column, this_column))
    owners = {t for t, _, _ in links}
    return links.pop() if len(links) == 1 and len(owners) == 1 else None


def _defining(column: Any, alias: str) -> Any:
    """The innermost SELECT around the column whose FROM or JOIN names the alias."""
    from sqlglot import exp

    select = column.find_ancestor(exp.Select)
    while select is not None:
        for t in select.find_all(exp.Table):
            if t.find_ancestor(exp.Select) is select and t.alias_or_name.lower() == alias.lower():
                return select
        parent = select.parent
        select = parent.find_ancestor(exp.Select) if parent is not None else None
    return None


def new_alias(table: str, scope: dict[str, tuple[str, str]], taken: Any) -> str:
    """T<n> after the query's own T1, T2, … aliases; else the table's name, made unique."""
    used = {a.lower() for a, _ in scope.values()} | {a.lower() for a in taken}
    if used and all(re.fullmatch(r"t\d+", a) for a in used):
        n = 1 + max(int(a[1:]) for a in used)
        return f"T{n}"
    alias, n = table, 2
    while alias.lower() in used:
        alias, n = f"{table}_{n}", n + 1
    return alias
