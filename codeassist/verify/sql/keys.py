"""`sql.keys`: a join that compares keys of two different things.

`FROM countries AS T1 JOIN car_makers AS T2 ON T1.Continent = T2.Country`: countries.Continent
holds continent ids (its foreign key names continents.ContId), car_makers.Country holds
country ids (its key names countries.CountryId). Both columns exist and the types match, so
every other check passes, and the join pairs continent 2 with country 2.

The database's foreign keys split the key columns into classes: a key column and the column
it references are one class, and so on through the chain. An equality between two columns of
different tables fails when both are key columns and their classes differ. A column that is in
no foreign key says nothing (the database may simply not declare it), nor does a key that
names a table or column the database lacks, and nothing is judged without a database's keys.
"""

from __future__ import annotations

from typing import Any

from codeassist.terminal import one_line
from codeassist.verify import Check
from codeassist.verify.sql.fix import Tables, has_column, scope_of
from codeassist.verify.sql.rejoin import Key

NAME = "sql.keys"
Column = tuple[str, str]  # table, column (lower case)


def classes(keys: list[Key]) -> dict[Column, Column]:
    """Each key column's class, named by one of its members (union-find over the keys)."""
    parent: dict[Column, Column] = {}

    def root(c: Column) -> Column:
        parent.setdefault(c, c)
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for table, column, target, target_column in keys:
        a, b = root((table.lower(), column.lower())), root((target.lower(), target_column.lower()))
        parent[a] = b
    return {c: root(c) for c in list(parent)}


def sound(keys: list[Key], tables: Tables) -> list[Key]:
    """The keys whose columns, both ends, are in the database: a key into a table that is not
    there (SQLite does not refuse one) says nothing of what its column holds."""
    return [
        k
        for k in keys
        if has_column(tables, k[0].lower(), k[1]) and has_column(tables, k[2].lower(), k[3])
    ]


def crossed(statement: Any, tables: Tables, keys: list[Key]) -> list[tuple[Any, Column, Column]]:
    """(the equality, left column, right column) for each that compares keys of two classes."""
    from sqlglot import exp

    of = classes(sound(keys, tables))
    out = []
    for eq in statement.find_all(exp.EQ):
        left, right = eq.this, eq.expression
        if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
            continue
        a, b = _resolve(left, tables), _resolve(right, tables)
        if a is None or b is None or a[0] == b[0]:
            continue
        if a in of and b in of and of[a] != of[b]:
            out.append((eq, a, b))
    return out


def _resolve(column: Any, tables: Tables) -> Column | None:
    """(table, column) the column reads, lower case; None when unsure."""
    scope = scope_of(column)
    name = column.name
    if column.table:
        table = scope.get(column.table.lower(), ("", ""))[1]
        return (table, name.lower()) if has_column(tables, table, name) else None
    owners = {t for _, t in scope.values() if has_column(tables, t, name)}
    return (owners.pop(), name.lower()) if len(owners) == 1 else None


def check(statements: list[Any], tables: Tables, keys: list[Key], dialect: str) -> Check | None:
    """sql.keys; None without tables or keys (nothing to judge by)."""
    if not tables or not keys:
        return None
    said = []
    for statement in statements:
        for eq, a, b in crossed(statement, tables, keys):
            said.append(
                f"`{eq.sql(dialect=dialect)}` compares {_what(a, keys)} with {_what(b, keys)}"
            )
    return Check(NAME, not said, one_line("; ".join(dict.fromkeys(said))))  # names: one line


def _what(column: Column, keys: list[Key]) -> str:
    """'countries.Continent (a key into continents.ContId)', or 'continents.ContId (the key
    countries.Continent refers to)' for a column that is only referenced."""
    for table, name, target, target_column in keys:
        if (table.lower(), name.lower()) == column:
            return f"{table}.{name} (a key into {target}.{target_column})"
    for table, name, target, target_column in keys:
        if (target.lower(), target_column.lower()) == column:
            return f"{target}.{target_column} (the key {table}.{name} refers to)"
    return ".".join(column)
