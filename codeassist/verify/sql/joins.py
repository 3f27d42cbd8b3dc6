"""`sql.joins`: a joined table that gives the query nothing, where the request never asked for it.

A small model joins tables the question does not need: "the song names of singers older than
average" becomes `FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id =
T2.singer_id WHERE …`. No column of T2 is used beyond its join condition, so the join only
filters (singers never in a concert vanish) and repeats rows (once per concert). Each such
query passes every other check and returns the wrong rows.

A join is idle when it is an inner join of the outermost SELECT to a table none of whose
columns is used outside that join's own ON (not selected, filtered, grouped, ordered, or used
to join another table). It fails the check only when the request does not name the table
either: "singers who performed in a concert" names concert, and there the join is the filter
asked for. The table's name is matched by its words (`singer_in_concert`: concert; the words
it shares with the tables the query does use are not evidence, and a table with no word of
its own, such as the other side of a self-join, is not judged), by stem, so "concerts" and
"concert" are one. Nothing is judged where the join's rows may be what is counted or summed
(an aggregate, GROUP BY, HAVING), where `*` selects its columns, where a column has no table
and the schema cannot say whose it is, where a source is a subquery or a CTE, or for LEFT,
CROSS, NATURAL and USING joins; a join whose ON is more than one equality between its table's
column and another table's column (`AND T2.year = 2014`) filters, and stays; a column of the
join's table inside a subquery (correlated) uses it. Nor is anything judged without a request
(`codeassist check` on the user's own SQL). A column on the wrong alias is moved first
(fix.py), and the fix is kept only when the query then passes more checks than before.

The fix (`without_idle`) drops the idle joins, last first, so that a chain of them goes.
On Spider dev (300 items, qwen2.5-coder-1.5b, checks and repair) it turned 4 wrong answers
right and none wrong (benchmarks/quality/RESULTS.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from codeassist.verify import Check

if TYPE_CHECKING:
    from sqlglot import exp

NAME = "sql.joins"
Tables = dict[str, list[str]]
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def check(statements: list[Any], tables: Tables, request: str) -> Check | None:
    """The finding for a single SELECT with joins; None when there is nothing to judge."""
    select = _select(statements)
    if select is None or not request.strip():  # code of the user's own: nothing asked to judge by
        return None
    idle = _idle(select, tables, request)
    if idle is None:
        return None
    if not idle:
        return Check(NAME, True, "")
    said = "; ".join(
        f"joins {j.this.name} ({j.this.alias_or_name}) but uses none of its columns past the "
        "join condition, and the request does not mention it: the join only drops and "
        "repeats rows"
        for j in idle
    )
    return Check(NAME, False, said)


def without_idle(code: str, tables: Tables, request: str, dialect: str) -> str | None:
    """The query with its idle joins dropped (last first, until none is left); None if none."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    from codeassist.syntax import quiet_sqlglot

    quiet_sqlglot()
    try:
        statements = [s for s in sqlglot.parse(code, read=dialect) if s is not None]
    except SqlglotError:
        return None
    select = _select(statements)
    if select is None:
        return None
    dropped = False
    while idle := _idle(select, tables, request):
        idle[-1].pop()
        dropped = True
    if not dropped:
        return None
    try:
        text = select.sql(dialect=dialect, pretty="\n" in code.strip())
    except SqlglotError:
        return None
    return text + (";" if code.rstrip().endswith(";") else "")


def _select(statements: list[Any]) -> exp.Select | None:
    from sqlglot import exp

    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        return None
    select: exp.Select = statements[0]
    return select if select.args.get("joins") else None


def _idle(select: exp.Select, tables: Tables, request: str) -> list[exp.Join] | None:
    """The idle joins not named by the request, in order; None when the query cannot be judged."""
    from sqlglot import exp

    joins: list[exp.Join] = list(select.args.get("joins") or [])
    start = select.args.get("from_") or select.args.get("from")
    found = [start.this if start is not None else None] + [j.this for j in joins]
    sources: list[exp.Table] = [t for t in found if isinstance(t, exp.Table)]
    if len(sources) != len(found):
        return None  # a subquery or a function as a source: not judged
    if any(isinstance(e, exp.Star) for e in select.expressions):
        return None
    if _own(select, exp.AggFunc) or select.args.get("group") or select.args.get("having"):
        return None  # what is counted or summed may be the join's rows
    ctes = {c.alias_or_name.lower() for c in select.find_all(exp.CTE)}
    if any(t.name.lower() in ctes for t in sources):
        return None  # a CTE's rows are the query's own making
    columns = list(_own(select, exp.Column))
    if any(isinstance(c.this, exp.Star) for c in columns):
        return None  # T2.*
    named = {e.alias.lower() for e in select.expressions if e.alias}  # ORDER BY total
    owner: dict[int, str] = {}  # id(column) -> the alias whose table holds it (lower case)
    for c in columns:
        if not c.table and c.name.lower() in named:
            owner[id(c)] = ""
            continue
        alias = c.table.lower() if c.table else _unqualified(c.name, sources, tables)
        if alias is None:
            return None
        owner[id(c)] = alias
    needed = {
        t.alias_or_name.lower()
        for t in sources
        if any(owner[id(c)] == t.alias_or_name.lower() and not _in_any(c, joins) for c in columns)
    }
    taken = {w for t in sources if t.alias_or_name.lower() in needed for w in _words(t.name)}
    outer = _outer_uses(select)  # T2.x inside a correlated subquery uses T2
    judged = [j for j in joins if _plain(j)]
    if not judged:
        return None
    idle = []
    for join in judged:
        alias = join.this.alias_or_name.lower()
        used = alias in outer or any(
            owner[id(c)] == alias and not _inside(c, join) for c in columns
        )
        own = _words(join.this.name) - taken  # none left (a self-join): no evidence either way
        if not used and own and not _named(own, request):
            idle.append(join)
    return idle


def _plain(join: exp.Join) -> bool:
    """An inner join whose ON is one equality of a column of its table with another's column:
    dropping it drops nothing else (`ON … AND T2.year = 2014` filters, and stays)."""
    from sqlglot import exp

    if join.side or join.method or (join.kind or "").upper() not in ("", "INNER"):
        return False  # LEFT, RIGHT, FULL, CROSS, NATURAL
    on = join.args.get("on")
    if not isinstance(on, exp.EQ) or join.args.get("using"):
        return False
    sides = (on.this, on.expression)
    if not all(isinstance(side, exp.Column) and side.table for side in sides):
        return False
    alias = join.this.alias_or_name.lower()
    return sorted(side.table.lower() == alias for side in sides) == [False, True]


def _outer_uses(select: exp.Select) -> set[str]:
    """Aliases of this SELECT named by columns of the subqueries in it (correlated)."""
    from sqlglot import exp

    found = set()
    for column in select.find_all(exp.Column):
        inner = column.find_ancestor(exp.Select)
        if inner is select or inner is None or not column.table:
            continue
        defined = {t.alias_or_name.lower() for t in inner.find_all(exp.Table)}
        if column.table.lower() not in defined:
            found.add(column.table.lower())
    return found


def _own(select: exp.Select, kind: type) -> list[Any]:
    """The nodes of a kind that belong to this SELECT, not to a subquery in it."""
    from sqlglot import exp

    found: list[Any] = list(select.find_all(kind))
    return [n for n in found if n.find_ancestor(exp.Select) is select]


def _unqualified(name: str, sources: list[Any], tables: Tables) -> str | None:
    """The alias of the one source whose table has the column; None when not exactly one."""
    having = [t for t in sources if name.lower() in _lower(tables.get(t.name.lower(), []))]
    return having[0].alias_or_name.lower() if len(having) == 1 else None


def _lower(names: list[str]) -> set[str]:
    return {n.lower() for n in names}


def _inside(node: Any, ancestor: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _in_any(node: Any, joins: list[Any]) -> bool:
    return any(_inside(node, j) for j in joins)


def _words(name: str) -> set[str]:
    """A table name's words of three letters or more, lower case (`CountryLanguage`: both)."""
    return {w.lower() for w in _WORD.findall(name) if len(w) >= 3}


def _named(words: set[str], request: str) -> bool:
    """Does the request use one of the words, by stem ("concerts" for "concert")?"""
    text = request.lower()
    for word in words:
        stem = word[:-1] if word.endswith("s") else word
        if stem[: max(4, len(stem) - 2)] in text:
            return True
    return False
