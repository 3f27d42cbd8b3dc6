"""`sql.repeats`: a join that lists the same rows more than once.

"the first name and age of students who have a pet" becomes `SELECT T1.fname, T1.age FROM
student AS T1 JOIN has_pet AS T2 ON …`: a student with three pets is listed three times. The
rows repeat because the join matched one student row three times, not because three students
share a name and an age. Nobody asking for a list wants that, so such a query fails and is
given DISTINCT (`distinct`).

How it is told apart from rows that only look alike: the query is counted as written, with
DISTINCT, and with DISTINCT over its columns plus the row identity of each table a selected
column comes from (SQLite's rowid, PostgreSQL's ctid). Only when that last count is still
below the first did a join repeat the same rows. Three COUNT queries, read-only, within the
check's time limit; a view, a WITHOUT ROWID table, or a query too slow to count is not judged
(a view's rows have no identity).

Judged only for the answers to a request (never the user's own SQL under `codeassist check`),
and only a single plain SELECT over two tables or more, with no aggregate, GROUP BY, LIMIT,
window, subquery source, or `*`: there the repeated rows can be what was asked. A SELECT
DISTINCT passes.
"""

from __future__ import annotations

from typing import Any

from codeassist.db.runner import Deadline, Runner
from codeassist.db.sqlite_worker import QueryError
from codeassist.verify import Check

NAME = "sql.repeats"
IDENTITY = {"sqlite": "rowid", "postgres": "ctid"}


def check(
    runner: Runner, statements: list[Any], tables: dict[str, list[str]], deadline: Deadline
) -> Check | None:
    """The finding for a plain SELECT over joined tables; None when it cannot be judged."""
    select = _judged(statements)
    if select is None:
        return None
    if select.args.get("distinct"):
        return Check(NAME, True, "")
    owners = _owners(select, tables)
    if owners is None:
        return None
    counted = select.copy()
    counted.set("order", None)
    try:
        total = _count(runner, counted, deadline)
        different = _count(runner, _distinct(counted), deadline)
        if different == total:
            return Check(NAME, True, "")
        rows = _count_identities(runner, counted, owners, deadline)
    except QueryError:
        return None  # too slow, or no row identity (PostgreSQL's view): not judged
    if rows is None:
        return None  # a view (SQLite gives its rows no rowid)
    if rows == total:
        return Check(NAME, True, "rows with equal values are different rows")
    said = (
        f"the joins list the same rows more than once ({total} rows, {different} different): "
        "add DISTINCT, or join only what the request needs"
    )
    return Check(NAME, False, said)


def distinct(code: str, dialect: str) -> str | None:
    """The query as SELECT DISTINCT; None when it is not a single plain SELECT."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from codeassist.verify.sql.fix import one_statement

    tree = one_statement(code, dialect)
    if not isinstance(tree, exp.Select) or tree.args.get("distinct"):
        return None
    tree.set("distinct", exp.Distinct())
    try:
        text = str(tree.sql(dialect=dialect, pretty="\n" in code.strip()))
    except SqlglotError:
        return None
    return text + (";" if code.rstrip().endswith(";") else "")


def _judged(statements: list[Any]) -> Any:
    """The one SELECT this check judges; None for anything else."""
    from sqlglot import exp

    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        return None
    select = statements[0]
    args = ("group", "having", "limit", "offset", "qualify")
    if any(select.args.get(k) for k in args) or not select.args.get("joins"):
        return None
    if any(e.find(exp.AggFunc, exp.Window, exp.Star, exp.Subquery) for e in select.expressions):
        return None
    start = select.args.get("from_") or select.args.get("from")
    found = [s.this for s in [start, *select.args["joins"]] if s is not None]
    tables = [t for t in found if isinstance(t, exp.Table)]
    if len(tables) != 1 + len(select.args["joins"]):
        return None  # a subquery or a function as a source
    ctes = {c.alias_or_name.lower() for c in select.find_all(exp.CTE)}
    return None if any(t.name.lower() in ctes for t in tables) else select


def _owners(select: Any, tables: dict[str, list[str]]) -> list[str] | None:
    """The aliases of the tables the selected columns come from, in order; None when a
    column's table is unclear."""
    from sqlglot import exp

    sources = {
        t.alias_or_name.lower(): t
        for t in select.find_all(exp.Table)
        if t.find_ancestor(exp.Select) is select
    }
    owners: dict[str, str] = {}
    for e in select.expressions:
        for column in e.find_all(exp.Column):
            if column.table:
                found = sources.get(column.table.lower())
                having = [found] if found is not None else []
            else:
                name = column.name.lower()
                having = [
                    t for t in sources.values()
                    if name in {c.lower() for c in tables.get(t.name.lower(), [])}
                ]  # fmt: skip
            if len(having) != 1:
                return None
            owners.setdefault(having[0].alias_or_name.lower(), having[0].alias_or_name)
    return list(owners.values()) or None


def _count(runner: Runner, select: Any, deadline: Deadline) -> int:
    sql = f"SELECT COUNT(*) FROM (\n{select.sql(dialect=runner.dialect)}\n) AS codeassist_rows"
    rows = runner.rows(sql, timeout_s=deadline.left(), user=True)
    return int(rows[0][0]) if rows else 0


def _count_identities(
    runner: Runner, select: Any, owners: list[str], deadline: Deadline
) -> int | None:
    """How many different rows the query gives with each owner's row identity beside its
    columns; None when a row has no identity."""
    from sqlglot import exp

    names = [f"codeassist_id_{n}" for n in range(len(owners))]
    ids = [
        exp.alias_(exp.column(IDENTITY[runner.dialect], table=alias), name)
        for alias, name in zip(owners, names, strict=True)
    ]
    query = _distinct(select)
    query.set("expressions", [*query.expressions, *ids])
    counts = ", ".join(f"COUNT({name})" for name in names)
    sql = (
        f"SELECT COUNT(*), {counts} FROM (\n{query.sql(dialect=runner.dialect)}\n)"
        " AS codeassist_rows"
    )
    found = runner.rows(sql, timeout_s=deadline.left(), user=True)
    if not found:
        return 0
    total, *with_id = (int(n) for n in found[0])
    return total if all(n == total for n in with_id) else None


def _distinct(select: Any) -> Any:
    from sqlglot import exp

    query = select.copy()
    query.set("distinct", exp.Distinct())
    return query
