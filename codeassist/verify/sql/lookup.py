"""A name compared with a column that holds its key, looked up in the table that has the name.

`SELECT COUNT(*) FROM flights WHERE Airline = 'JetBlue Airways'` counts nothing: flights.Airline
holds airline numbers, and the name is stored in airlines.Airline. The fix reads the number
where the name is: `Airline IN (SELECT uid FROM airlines WHERE Airline = 'JetBlue Airways')`.
It is made only when certain:
- the comparison alone matches no row of its table, and the string is stored in one column of
  one other table;
- one column of that table is the key the compared column holds: a declared foreign key, or
  else the one column whose values are unique and include every value the compared column
  holds (Spider's flight_2 declares no key for Airline).
Otherwise the query is left to the model, with the finding that says where the string is.
"""

from __future__ import annotations

from typing import Any

from codeassist.db.runner import Deadline, Runner
from codeassist.db.sqlite_worker import QueryError
from codeassist.verify.sql.empty import MAX_SELECTS, conjuncts
from codeassist.verify.sql.fix import Tables, table_named
from codeassist.verify.sql.near import holders_of, quote
from codeassist.verify.sql.rejoin import Key


def looked_up(
    runner: Runner, statement: Any, tables: Tables, keys: list[Key], deadline: Deadline
) -> bool:
    """Rewrite each such comparison in `statement` (in place); True when one was."""
    from sqlglot import exp

    changed = False
    selects = [s for s in statement.find_all(exp.Select) if s.args.get("from_")]
    try:
        for select in selects[:MAX_SELECTS]:
            for c in conjuncts(select, tables, runner.dialect):
                if not c.exact or len(c.values) != 1 or not isinstance(c.node, exp.EQ):
                    continue
                table = c.source.name.lower()
                if not _matches_none(runner, table, c.column, c.values[0], deadline):
                    continue
                found = _lookup(runner, (table, c.column), c.values[0], tables, keys, deadline)
                if found is not None:
                    column = next(n for n in c.node.find_all(exp.Column) if n.name == c.column)
                    c.node.replace(exp.In(this=column.copy(), query=exp.Subquery(this=found)))
                    changed = True
    except QueryError:
        return changed  # out of time: what was rewritten so far
    return changed


def _matches_none(runner: Runner, table: str, column: str, value: str, deadline: Deadline) -> bool:
    """True when the column holds values, and none of them is the string."""
    t, c = quote(table), quote(column)
    if not runner.rows(f"SELECT 1 FROM {t} WHERE {c} IS NOT NULL", timeout_s=deadline.left()):
        return False
    sql = f"SELECT 1 FROM {t} WHERE CAST({c} AS TEXT) = ?"
    return not runner.rows(sql, (value,), timeout_s=deadline.left())


def _lookup(
    runner: Runner, compared: tuple[str, str], value: str, tables: Tables, keys: list[Key],
    deadline: Deadline,
) -> Any:  # fmt: skip
    """`SELECT key FROM holder WHERE name = 'value'`, or None when not certain."""
    from sqlglot import exp

    holders = holders_of(runner, value, tables, (compared[0], compared[1].lower()), deadline)
    if len(holders) != 1:
        return None
    holder, name = holders[0].rsplit(".", 1)
    if holder.lower() == compared[0]:
        return None
    key = _declared(compared, holder, keys) or _inferred(runner, compared, holder, name, tables,
                                                          deadline)  # fmt: skip
    if key is None:
        return None
    h, n = quote(holder), quote(name)
    sql = f"SELECT {n} FROM {h} WHERE lower(CAST({n} AS TEXT)) = lower(?)"
    stored = runner.rows(sql, (value,), timeout_s=deadline.left())
    spelled = stored[0][0] if stored and isinstance(stored[0][0], str) else value
    where = exp.EQ(this=exp.column(name, table=holder), expression=exp.Literal.string(spelled))
    return exp.select(exp.column(key, table=holder)).from_(table_named(holder)).where(where)


def _declared(compared: tuple[str, str], holder: str, keys: list[Key]) -> str | None:
    """The holder's column that a foreign key from the compared column names."""
    found = {
        target_column
        for table, column, target, target_column in keys
        if (table.lower(), column.lower()) == (compared[0], compared[1].lower())
        and target.lower() == holder.lower()
    }
    return found.pop() if len(found) == 1 else None


def _inferred(
    runner: Runner, compared: tuple[str, str], holder: str, name: str, tables: Tables,
    deadline: Deadline,
) -> str | None:  # fmt: skip
    """The one other column of the holder whose values are unique and include every value of
    the compared column; None when there are none or several."""
    t, c = quote(compared[0]), quote(compared[1])
    found = []
    for key in tables.get(holder, []):
        if key.lower() == name.lower():
            continue
        h, k = quote(holder), quote(key)
        missing = (
            f"SELECT 1 FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN "
            f"(SELECT {k} FROM {h} WHERE {k} IS NOT NULL)"
        )
        repeated = f"SELECT {k} FROM {h} GROUP BY {k} HAVING COUNT(*) > 1"
        try:
            if runner.rows(missing, timeout_s=deadline.left()):
                continue
            if runner.rows(repeated, timeout_s=deadline.left()):
                continue
        except QueryError as exc:
            if exc.kind != "sql":
                raise
            continue  # types that do not compare (PostgreSQL): not this one
        found.append(key)
    return found[0] if len(found) == 1 else None
