"""Which comparison with a string leaves a query, or one of its subqueries, nothing to read.

`SELECT COUNT(*) FROM customers WHERE name = 'Smith'` returns one row, 0, when no name is
exactly 'Smith': the result looks fine while the query reads nothing. For each SELECT of the
query (the outermost, subqueries, CTE bodies) a probe with the same WITH, FROM, JOINs and
WHERE (`SELECT 1 … LIMIT 1`) asks whether it reads any row. Where it reads none, each conjunct
of its WHERE (and of its inner joins' ON) that compares a column of one table with a string
(`=`, `IN`, `LIKE`, `GLOB`) is tried alone on that table: one that matches no row there is
what empties the query (a pattern only when some value is near it: `LIKE '2023%'` on dates
of 2024 may rightly count nothing). The finding names it and shows values the column does
hold, those nearest to the compared string first (same letters in another case, containing
it, sharing a word with it, spelled alike). A query emptied by anything else (an anti-join,
`o.id IS NULL`, comparisons that each match rows but not together) can rightly find nothing:
no finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from codeassist.db.runner import Deadline, Runner
from codeassist.db.sqlite_worker import QueryError
from codeassist.verify.sql.near import exp_table_sql, held, holders_of, values_near

MAX_SELECTS = 6  # SELECTs of one query probed


@dataclass(frozen=True)
class Conjunct:
    """A conjunct comparing one table's column with strings."""

    node: Any  # the predicate (sqlglot)
    source: Any  # the exp.Table it reads, with its alias
    column: str
    values: tuple[str, ...]  # the strings compared with; LIKE patterns without wildcards
    exact: bool  # `=` or `IN`: the strings are whole values


def findings(
    runner: Runner, statement: Any, tables: dict[str, list[str]], deadline: Deadline,
    skip_outer: bool = False,
) -> list[str]:  # fmt: skip
    """Each comparison that alone empties a SELECT of the query, said with the column's values."""
    from sqlglot import exp

    out: list[str] = []
    selects = [s for s in statement.find_all(exp.Select) if s.args.get("from_")]
    if skip_outer:
        selects = [s for s in selects if s is not statement]
    try:
        for select in selects[:MAX_SELECTS]:
            if not _reads_nothing(runner, _probe(select, statement), deadline):
                continue
            for c in conjuncts(select, tables, runner.dialect):
                table = exp.select("1").from_(c.source.copy()).limit(1)
                alone = table.copy().where(c.node.copy())
                if _reads_nothing(runner, alone, deadline) and not _reads_nothing(
                    runner, table, deadline
                ):  # the comparison matches nothing in a table that has rows
                    said = describe(runner, c, tables, deadline)
                    out += [said] if said else []
    except QueryError:
        pass  # out of time: what was found so far
    return list(dict.fromkeys(out))


def _probe(select: Any, root: Any) -> Any:
    """`SELECT 1` with the select's FROM, JOINs and WHERE, and the query's WITH: one row."""
    from sqlglot import exp

    probe = exp.Select(expressions=[exp.Literal.number(1)])
    for key in ("from_", "joins", "where"):
        value = select.args.get(key)
        if value is not None:
            probe.set(key, [v.copy() for v in value] if isinstance(value, list) else value.copy())
    if root.args.get("with_") is not None and select is not root:
        probe.set("with_", root.args["with_"].copy())
    elif select.args.get("with_") is not None:
        probe.set("with_", select.args["with_"].copy())
    return probe.limit(1)


def _reads_nothing(runner: Runner, probe: Any, deadline: Deadline) -> bool:
    """True when the probe finds no row; False when it finds one or cannot run (correlated)."""
    try:
        rows = runner.rows(probe.sql(dialect=runner.dialect), timeout_s=deadline.left(), user=True)
    except QueryError as exc:
        if exc.kind != "sql":
            raise
        return False
    return not rows


def conjuncts(select: Any, tables: dict[str, list[str]], dialect: str) -> list[Conjunct]:
    """The select's conjuncts (WHERE, inner joins' ON) comparing one table's column with strings."""
    from sqlglot import exp

    sources = {}
    for node in [select.args["from_"].this] + [j.this for j in select.args.get("joins") or []]:
        if isinstance(node, exp.Table) and node.name:
            sources[node.alias_or_name.lower()] = node
    parts = and_parts(select.args["where"].this) if select.args.get("where") else []
    for join in select.args.get("joins") or []:
        if not join.side and join.args.get("on") is not None:
            parts += and_parts(join.args["on"])
    out = []
    for part in parts:
        found = _compared(part, dialect, tables, sources)
        if found is not None:
            out.append(found)
    return out


def and_parts(node: Any) -> list[Any]:
    """The parts of a top-level AND chain (parentheses looked through)."""
    from sqlglot import exp

    node = node.unnest()
    if isinstance(node, exp.And):
        return and_parts(node.this) + and_parts(node.expression)
    return [node]


def _compared(
    part: Any, dialect: str, tables: dict[str, list[str]], sources: dict[str, Any]
) -> Conjunct | None:
    """The conjunct, when it compares a single column of a single table with strings only."""
    from sqlglot import exp

    if part.find(exp.Query) is not None:
        return None
    known = {c.lower() for s in sources.values() for c in tables.get(s.name.lower(), [])}
    matched = _strings(part, dialect, known)
    if matched is None:
        return None
    values, exact = matched
    columns = [c for c in part.find_all(exp.Column) if _text(c, dialect, known) is None]
    names = {(c.table.lower(), c.name.lower()) for c in columns}
    if len(names) != 1:
        return None
    alias, name = names.pop()
    if alias:
        owners = [alias] if alias in sources else []
    elif len(sources) == 1:
        owners = list(sources)
    else:
        owners = [a for a, t in sources.items() if name in _columns(tables, t.name)]
    if len(owners) != 1:
        return None
    return Conjunct(part, sources[owners[0]], columns[0].name, values, exact)


def _columns(tables: dict[str, list[str]], table: str) -> set[str]:
    return {c.lower() for c in tables.get(table.lower(), [])}


def _strings(part: Any, dialect: str, known: set[str]) -> tuple[tuple[str, ...], bool] | None:
    """The strings a positive `=`, `IN`, `LIKE`, `GLOB` (or an OR of them) compares with."""
    from sqlglot import exp

    part = part.unnest()
    if isinstance(part, exp.Or):
        left = _strings(part.this, dialect, known)
        right = _strings(part.expression, dialect, known)
        if left is None or right is None:
            return None
        return left[0] + right[0], left[1] and right[1]
    if isinstance(part, exp.EQ):
        for side, other in ((part.this, part.expression), (part.expression, part.this)):
            text = _text(side, dialect, known)
            if text is not None and _text(other, dialect, known) is None:
                return (text,), True
        return None
    if isinstance(part, exp.In) and not part.args.get("query"):
        texts = [_text(e, dialect, known) for e in part.expressions]
        if texts and all(t is not None for t in texts):
            return tuple(t for t in texts if t is not None), True
        return None
    if isinstance(part, exp.Like | exp.ILike | exp.Glob) and not part.args.get("negate"):
        text = _text(part.expression, dialect, known)
        if text is not None:
            return (re.sub(r"[%_*?\[\]]+", " ", text).strip(),), False
    return None


def _text(node: Any, dialect: str, known: set[str]) -> str | None:
    """A string literal's text; on SQLite also a "quoted" name that is no column's."""
    from sqlglot import exp

    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if (
        dialect == "sqlite"
        and isinstance(node, exp.Column)
        and not node.table
        and isinstance(node.this, exp.Identifier)
        and node.this.quoted
        and node.name.lower() not in known
    ):
        return str(node.name)
    return None


def describe(
    runner: Runner, c: Conjunct, tables: dict[str, list[str]], deadline: Deadline
) -> str | None:
    """`c.name = 'Smith'` matches no row of customers; values like … exist in customers.name.

    None for a pattern (LIKE '2023%') with no value near it: no sign another was meant.
    """
    table = c.source.name
    said = f"`{c.node.sql(dialect=runner.dialect)}` matches no row of {table}"
    if c.exact and len(c.values) == 1:
        skip = (table.lower(), c.column.lower())
        holders = holders_of(runner, c.values[0], tables, skip, deadline)
        if holders:
            return f"{said}; {c.values[0]!r} is stored in {' and '.join(holders)}"
    target = exp_table_sql(c.source, runner.dialect)
    near, other = values_near(runner, target, c.column, " ".join(c.values), deadline)
    if not near and not c.exact:
        return None
    return f"{said}; {held(near, other, f'{table}.{c.column}')}"
