"""SQL risk from sqlglot's syntax tree: DROP, TRUNCATE, DELETE/UPDATE without WHERE, ALTER."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist.safety.risk import Finding
from codeassist.syntax import sql_dialect

if TYPE_CHECKING:
    from sqlglot import exp

_DATA_KINDS = frozenset({"TABLE", "DATABASE", "SCHEMA"})
_READ_ONLY_COMMANDS = frozenset({"EXPLAIN", "SHOW", "DESCRIBE", "ANALYZE", "VACUUM"})


def findings(statement: str, dialect: str = "sqlite") -> list[Finding]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    from codeassist.safety import sql_rules
    from codeassist.syntax import quiet_sqlglot

    quiet_sqlglot()

    read = sql_dialect(dialect)
    by_words = sql_rules.findings(statement, read)
    try:
        trees = [t for t in sqlglot.parse(statement, read=read) if t is not None]
    except (ParseError, TokenError, ValueError) as exc:
        first = (str(exc).splitlines() or ["syntax error"])[0].split(" but got ")[0][:80]
        return [
            Finding("medium", f"the statement does not parse as {read} SQL: {first}")
        ] + by_words
    found: list[Finding] = list(by_words)
    for tree in trees:
        if isinstance(tree, (exp.Condition, exp.Alias)):  # sqlglot reads `SELEC x` this way
            found.append(Finding("medium", "this is not a SQL statement: read it"))
            continue
        for node in tree.find_all(
            *(getattr(exp, name) for name in _JUDGED_NAMES)
        ):  # the statement itself and any nested in it
            if not (isinstance(node, exp.Drop) and isinstance(node.parent, exp.Alter)):
                found.extend(_statement(node, explained=bool(by_words)))
    return found


def dialects() -> list[str]:
    """The SQL dialects sqlglot reads, by the names --dialect takes."""
    from sqlglot.dialects.dialect import Dialects

    return sorted(d.value for d in Dialects if d.value)


def knows(dialect: str) -> bool:
    """Does sqlglot read this dialect (`postgresql` and the other names of syntax.py too)?"""
    from sqlglot.dialects.dialect import Dialect

    if not dialect.strip():
        return False  # sqlglot's own base dialect has no name to give
    try:
        Dialect.get_or_raise(sql_dialect(dialect))
    except ValueError:
        return False
    return True


_JUDGED_NAMES = ("Drop", "TruncateTable", "Delete", "Update", "Alter", "Merge", "Create",
                 "Command")  # fmt: skip


def _tables(tree: exp.Expr) -> tuple[str, ...]:
    from sqlglot import exp

    target = tree.this if isinstance(tree.this, exp.Expression) else tree
    tables = [target] if isinstance(target, exp.Table) else list(target.find_all(exp.Table))
    return tuple(dict.fromkeys(t.sql() for t in tables))


def _constant(condition: exp.Expr) -> bool:
    """A WHERE that names no column (`WHERE 1 = 1`, `WHERE true`) matches every row or none;
    so does one that ORs such a test in (`WHERE id = 1 OR 1 = 1`) or compares a column with
    itself (`WHERE id = id`)."""
    from sqlglot import exp

    if isinstance(condition, exp.Paren):
        return _constant(condition.this)
    if isinstance(condition, exp.Or):  # `OR 1 = 0` adds no row
        return any(
            _constant(side) and not _false(side) for side in (condition.left, condition.right)
        )
    if isinstance(condition, exp.And):
        return _constant(condition.left) and _constant(condition.right)
    if isinstance(condition, exp.EQ) and condition.left == condition.right:
        return True
    return condition.find(exp.Column) is None


def _false(condition: exp.Expr) -> bool:
    """A constant test that holds for no row: `1 = 0`, `FALSE`, `0`, `NULL`."""
    from sqlglot import exp
    from sqlglot.optimizer.simplify import simplify

    value = simplify(condition.copy())
    return value.sql().upper() in ("FALSE", "0", "NULL") or isinstance(value, exp.Null)


def _statement(tree: exp.Expr, explained: bool = False) -> list[Finding]:
    from sqlglot import exp

    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "object").upper()
        level = "high" if kind in _DATA_KINDS else "medium"
        return [Finding(level, f"DROP {kind} deletes it and everything in it", _tables(tree))]
    if isinstance(tree, exp.TruncateTable):
        tables = tuple(t.sql() for t in tree.expressions)
        return [Finding("high", "TRUNCATE deletes every row", tables)]
    if isinstance(tree, (exp.Delete, exp.Update)):
        verb = "DELETE" if isinstance(tree, exp.Delete) else "UPDATE"
        where = tree.args.get("where")
        if where is None:
            return [Finding("high", f"{verb} without WHERE changes every row", _tables(tree))]
        if _constant(where.this):
            return [
                Finding("high", f"{verb} with a constant WHERE changes every row", _tables(tree))
            ]
        return [Finding("low", f"{verb} changes the rows matching its WHERE", _tables(tree))]
    if isinstance(tree, exp.Alter):
        actions = tree.args.get("actions") or []
        if any(isinstance(a, exp.Drop) for a in actions):
            return [Finding("high", "ALTER … DROP deletes a column and its data", _tables(tree))]
        return [Finding("medium", "ALTER changes the structure of a table", _tables(tree))]
    if isinstance(tree, exp.Merge):
        name = type(tree).__name__.upper()
        return [Finding("medium", f"{name} changes data or permissions", _tables(tree))]
    if isinstance(tree, exp.Create) and tree.args.get("replace"):
        return [Finding("medium", "CREATE OR REPLACE overwrites an existing object", _tables(tree))]
    if isinstance(tree, exp.Command):
        keyword = str(tree.this).upper()
        if keyword in ("DROP", "TRUNCATE") and not explained:
            return [Finding("high", f"{keyword} deletes data", ())]
        if keyword not in _READ_ONLY_COMMANDS and not explained:
            return [Finding("medium", f"{keyword} is not understood: read it", ())]
    return []
