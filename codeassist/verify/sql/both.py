"""`sql.both`: a WHERE that asks one column to equal two values in the same row.

"the channels that play cartoons by Ben Jones and Michael Chang" becomes
`WHERE T1.directed_by = 'Ben Jones' AND T1.directed_by = 'Michael Chang'`: no row holds two
values in one column, so the query returns nothing (or counts 0), whatever the data. It is
always a mistake, so the check needs no request and no database.

What was meant is nearly always the things that have both: each value on its own, then the
rows both give. The fix (`intersected`) writes that for a plain SELECT without aggregates,
ORDER BY or LIMIT, one INTERSECT branch a value (the other conditions kept in each), and for
`SELECT COUNT(DISTINCT x)` counts the intersection of x. Anything else is left to a repair
round, which is told the two readings.
"""

from __future__ import annotations

from typing import Any

from codeassist.terminal import one_line
from codeassist.verify import Check
from codeassist.verify.sql.empty import and_parts

NAME = "sql.both"


def check(statements: list[Any]) -> Check | None:
    """The finding for the WHEREs of the statements; None when none compares a column twice."""
    found = [pair for s in statements for pair in _contradictions(s)]
    if not found:
        return None
    said = "; ".join(
        f"the WHERE asks {column} to equal {' and '.join(values)} in the same row, which no "
        "row can: for rows with either value use IN (…); for things that have both, "
        "INTERSECT one query a value"
        for column, values in found
    )
    return Check(NAME, False, one_line(said))


def intersected(code: str, dialect: str) -> str | None:
    """The query as an INTERSECT of one branch a value; None where that is not certain."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from codeassist.verify.sql.fix import one_statement

    tree = one_statement(code, dialect)
    if not isinstance(tree, exp.Select):
        return None
    try:
        counted = _counted_distinct(tree)
        if counted is not None:
            inner = tree.copy()
            inner.set("expressions", [counted.copy()])
            branches = _branches(inner)
            if branches is None:
                return None
            text = f"SELECT COUNT(*) FROM ({branches.sql(dialect=dialect)}) AS both_values"
        else:
            branches = _branches(tree)
            if branches is None:
                return None
            text = branches.sql(dialect=dialect)
    except SqlglotError:
        return None
    return text + (";" if code.rstrip().endswith(";") else "")


def _branches(select: Any) -> Any:
    """`… WHERE c = 'a' AND c = 'b' AND rest` as `… c = 'a' AND rest INTERSECT … c = 'b' AND
    rest`; None for aggregates, GROUP BY, ORDER BY, LIMIT, or other than one such column."""
    from sqlglot import exp

    if any(select.args.get(k) for k in ("group", "having", "order", "limit", "offset")):
        return None
    if any(e.find(exp.AggFunc, exp.Window) for e in select.expressions):
        return None
    where = select.args.get("where")
    found = _contradictions_of(select)
    if where is None or len(found) != 1:
        return None
    key = found[0][0].lower()
    parts = and_parts(where.this)
    equal = [p for p in parts if (_compared(p) or ("",))[0] == key]
    rest = [p for p in parts if all(p is not e for e in equal)]
    out: Any = None
    for eq in equal:
        branch = select.copy()
        branch.set("where", exp.Where(this=exp.and_(*(x.copy() for x in [eq, *rest]))))
        out = branch if out is None else exp.intersect(out, branch, distinct=True)
    return out


def _counted_distinct(select: Any) -> Any:
    """x of a SELECT whose only column is COUNT(DISTINCT x) (no GROUP BY); else None."""
    from sqlglot import exp

    if len(select.expressions) != 1 or select.args.get("group"):
        return None
    count = select.expressions[0].unalias()
    if not isinstance(count, exp.Count) or not isinstance(count.this, exp.Distinct):
        return None
    counted = count.this.expressions
    return counted[0] if len(counted) == 1 else None


def _contradictions(statement: Any) -> list[tuple[str, list[str]]]:
    """(column, its values as written) for each column some WHERE compares with two values."""
    from sqlglot import exp

    return [pair for s in statement.find_all(exp.Select) for pair in _contradictions_of(s)]


def _contradictions_of(select: Any) -> list[tuple[str, list[str]]]:
    from sqlglot import exp

    where = select.args.get("where")
    if where is None:
        return []
    seen: dict[str, dict[tuple[bool, str], str]] = {}
    shown: dict[str, str] = {}  # the column as first written
    for part in and_parts(where.this):
        compared = _compared(part)
        if compared is not None:
            column, value, written = compared
            seen.setdefault(column, {})[value] = written
            shown.setdefault(column, part.find(exp.Column).sql())
    return [
        (shown[column], list(values.values()))
        for column, values in seen.items()
        if len(values) > 1 and len({is_text for is_text, _ in values}) == 1
    ]


def _compared(node: Any) -> tuple[str, tuple[bool, str], str] | None:
    """(column as written, lower case; (is text, value); the literal as written) for
    `column = literal`, either way round; None for anything else."""
    from sqlglot import exp

    if not isinstance(node, exp.EQ):
        return None
    column, literal = node.this, node.expression
    if isinstance(column, exp.Literal):
        column, literal = literal, column
    if not isinstance(column, exp.Column) or not isinstance(literal, exp.Literal):
        return None
    # 'Ben' and 'ben' may both match under a case-blind collation: not called two values
    value = str(literal.this).casefold() if literal.is_string else _number(str(literal.this))
    return column.sql().lower(), (literal.is_string, value), literal.sql()


def _number(text: str) -> str:
    try:
        return repr(float(text))
    except ValueError:
        return text
