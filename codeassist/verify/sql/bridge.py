"""A join across a many-to-many link, made through the link table the query left out.

`FROM student_enrolment AS T1 JOIN courses AS T2 ON T1.course_id = T2.course_id`: an
enrolment has no course_id. The database's link table student_enrolment_courses has a foreign
key to each (its course_id to courses, its student_enrolment_id to student_enrolment), so the
join goes through it: `… JOIN student_enrolment_courses AS T3 ON T3.student_enrolment_id =
T1.student_enrolment_id JOIN courses AS T2 ON T3.course_id = T2.course_id`. The rewrite is
made only when certain: the join's own table has the column, the other lacks it, and exactly
one table outside the query links the two by one key to each, the key to the join's table
being on that very column. Else the query is left to the model.
"""

from __future__ import annotations

from typing import Any

from codeassist.verify.sql.fix import Tables, has_column, one_statement, scope_of, table_named
from codeassist.verify.sql.reach import new_alias
from codeassist.verify.sql.rejoin import Key


def bridged(code: str, tables: Tables, keys: list[Key], dialect: str) -> str | None:
    """The SQL with each such join made through its link table; None when none was."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    tree = one_statement(code, dialect)
    if tree is None or not keys:
        return None
    changed = False
    for select in list(tree.find_all(exp.Select)):
        joins = select.args.get("joins") or []
        for join in list(joins):
            on = join.args.get("on")
            if not isinstance(on, exp.EQ):
                continue
            link = _link(on, join, tables, keys)
            if link is None:
                continue
            table, to_other, other_alias, other_key, to_own = link
            scope = scope_of(on.this)
            alias = new_alias(table, scope, [])
            joined: Any = table_named(table)
            if alias != table:
                joined = exp.alias_(joined, alias, table=True)
            through = exp.Join(
                this=joined,
                on=exp.EQ(
                    this=exp.column(to_other, table=alias),
                    expression=exp.column(other_key, table=other_alias),
                ),
            )
            own_side = on.this if _alias(on.this) == _alias_of(join) else on.expression
            on.set("this", exp.column(to_own, table=alias))
            on.set("expression", own_side.copy())
            joins.insert(joins.index(join), through)
            changed = True
    if not changed:
        return None
    try:
        text = str(tree.sql(dialect=dialect))
    except SqlglotError:
        return None
    return text + (";" if code.rstrip().endswith(";") else "")


def _link(
    on: Any, join: Any, tables: Tables, keys: list[Key]
) -> tuple[str, str, str, str, str] | None:
    """(link table, its key column to the other table, the other alias, the other table's
    key column, its key column to the join's table) for `on`; None when not certain."""
    from sqlglot import exp

    left, right = on.this, on.expression
    if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
        return None
    scope = scope_of(left)
    own = _alias_of(join)
    sides = {_alias(left): left, _alias(right): right}
    if own not in sides or len(sides) != 2:
        return None
    own_column = sides.pop(own)
    ((_, other_column),) = sides.items()
    other_alias = str(other_column.table)
    own_table = scope.get(own, ("", ""))[1]
    other_table = scope.get(other_alias.lower(), ("", ""))[1]
    if not own_table or not other_table or own_table == other_table:
        return None
    if not has_column(tables, own_table, own_column.name):
        return None
    if has_column(tables, other_table, other_column.name):
        return None  # both columns exist: a join as written, or for rejoin to judge
    in_query = {t for _, t in scope.values()}
    found = set()
    joined_on = own_column.name.lower()
    spelled = {k[0].lower(): k[0] for k in keys}  # as the database names it
    for table in set(spelled) - in_query:
        mine = [(c, rt.lower(), rc) for t, c, rt, rc in keys if t.lower() == table]
        to_own = [c for c, rt, rc in mine if rt == own_table and rc.lower() == joined_on]
        to_other = [(c, rc) for c, rt, rc in mine if rt == other_table]
        if len(to_own) == 1 and len(to_other) == 1:
            found.add((table, to_other[0][0], to_other[0][1], to_own[0]))
    if len(found) != 1:
        return None
    table, to_other_column, other_key, to_own_column = found.pop()
    if not has_column(tables, other_table, other_key):
        return None
    return spelled[table], to_other_column, other_alias, other_key, to_own_column


def _alias(column: Any) -> str:
    return str(column.table).lower()


def _alias_of(join: Any) -> str:
    return str(join.this.alias_or_name).lower()
