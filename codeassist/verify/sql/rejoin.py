"""A join on a column its table lacks, joined again on the foreign key between the two tables.

`FROM cars_data AS T1 JOIN car_names AS T2 ON T1.MakeId = T2.MakeId`: cars_data has no
MakeId, and the database's one foreign key between the two tables says
`cars_data.Id = car_names.MakeId`. With exactly one key between them the fix is certain, so
it is made without asking the model again (which, shown the schema error and the keys,
wrote the same join twice more on Spider's car_1). A join whose columns both exist is left
as written, unless it compares keys of two different things (sql/keys.py:
`countries.Continent = car_makers.Country`), where the one key between the tables says how.
"""

from __future__ import annotations

from typing import Any

from codeassist.verify.sql.fix import Tables, has_column, one_statement, scope_of

Key = tuple[str, str, str, str]  # table, column, referenced table, referenced column


def rejoined(code: str, tables: Tables, keys: list[Key], dialect: str) -> str | None:
    """The SQL with each such join condition on its foreign key; None when none changed."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    tree = one_statement(code, dialect)
    if tree is None or not keys:
        return None
    from codeassist.verify.sql.keys import classes, sound

    of = classes(sound(keys, tables))
    changed = False
    for join in tree.find_all(exp.Join):
        on = join.args.get("on")
        for eq in list(on.find_all(exp.EQ)) if on is not None else []:
            fixed = _on_key(eq.this, eq.expression, tables, keys, of)
            if fixed is not None:
                eq.set("this", fixed[0])
                eq.set("expression", fixed[1])
                changed = True
    if not changed:
        return None
    try:
        return str(tree.sql(dialect=dialect))
    except SqlglotError:
        return None


def _on_key(
    left: Any, right: Any, tables: Tables, keys: list[Key], of: dict[tuple[str, str], Any]
) -> tuple[Any, Any] | None:
    """The two columns of the one key joining the tables of `left` and `right`, on their
    aliases; None when both columns exist and do not compare keys of two classes (`of`), or
    no single key joins the two tables."""
    from sqlglot import exp

    if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
        return None
    scope = scope_of(left)
    (l_alias, l_table), (r_alias, r_table) = (
        scope.get(c.table.lower(), ("", "")) for c in (left, right)
    )
    if not l_table or not r_table or l_table == r_table:
        return None  # an alias out of scope, or a self-join: which side is which is unclear
    if has_column(tables, l_table, left.name) and has_column(tables, r_table, right.name):
        a, b = (l_table, left.name.lower()), (r_table, right.name.lower())
        if a not in of or b not in of or of[a] == of[b]:
            return None  # a join as the keys allow, or one they say nothing of
    links = set()
    for table, column, target, target_column in keys:
        pair = (table.lower(), target.lower())
        if pair == (l_table, r_table):
            links.add((column, target_column))
        elif pair == (r_table, l_table):
            links.add((target_column, column))
    if len(links) != 1:
        return None
    l_column, r_column = links.pop()
    if not has_column(tables, l_table, l_column) or not has_column(tables, r_table, r_column):
        return None
    return exp.column(l_column, table=l_alias), exp.column(r_column, table=r_alias)
