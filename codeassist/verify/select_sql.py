"""SQL candidates compared by the rows they return; the result most of them agree on wins.

Only candidates that pass the checks run (or, when none does, those passing the most), under
the `sql.result` limits: on SQLite the check's child process with its read-only authorizer and
a deadline, on PostgreSQL a read-only transaction with a statement timeout; at most MAX_ROWS
rows each. Results are compared as multisets of rows (row order is not compared: two right
queries may order differently). Without a database the queries are compared as sqlglot
normalizes them. The shortest query breaks every tie, between groups and within the winner's.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from codeassist.db.runner import Runner
from codeassist.db.sqlite_worker import QueryError
from codeassist.errors import CodeassistError
from codeassist.verify import Subject
from codeassist.verify.select import Candidate, Choice, alone, group, largest, passing, score

MAX_ROWS = 1000  # rows compared per candidate; a longer result is compared by its first rows
RUN_TIMEOUT_S = 2.0  # per candidate, as sql.result


def choose(subject: Subject, candidates: Sequence[Candidate]) -> Choice:
    """The shortest query of the largest group of candidates returning the same rows."""
    eligible = passing(candidates)
    if len(eligible) == 1:
        return alone(candidates, min(eligible))
    codes = [c.code.strip().rstrip(";").strip() for c in candidates]
    ran = bool(subject.db)
    found = results(subject, [codes[i] for i in eligible]) if ran else None
    if found is None:
        ran = False
        found = [_normal(codes[i], subject.dialect) for i in eligible]
    signatures: list[Hashable | None] = [None] * len(candidates)
    for i, sig in zip(eligible, found, strict=True):
        signatures[i] = sig
    groups = group(signatures)

    def shortest(i: int) -> tuple[int, ...]:
        return (len(" ".join(codes[i].split())), i)

    members = largest(groups, shortest)
    scores = [score(c.checks) for c in candidates]
    if not members:
        return Choice(eligible[0], "no candidate's query ran", groups, scores)
    winner = min(members, key=shortest)
    k, n = len(candidates), len(members)
    what = "the result rows" if ran else "the normalized query"
    reason = (
        f"{n} of {k} candidates agree on {what}"
        if n > 1
        else f"no two of {k} candidates agree on {what}: the shortest query"
    )
    return Choice(winner, reason, groups, scores)


def results(subject: Subject, queries: list[str]) -> list[Hashable | None] | None:
    """Each query's rows as a sorted tuple (None where it failed); None: no database to ask."""
    from codeassist.db import runner
    from codeassist.db.schema import dialect_of, sqlite_path
    from codeassist.db.sqlite_worker import SqliteWorker

    db = subject.db or ""
    path = sqlite_path(db)
    if path is not None and path.is_file():
        with SqliteWorker(path) as worker:
            return _each(runner.SqliteRunner(worker), queries)
    if dialect_of(db) != "postgres":
        return None
    from codeassist.db import postgres as pg

    try:
        with pg.connect_readonly(db) as conn:
            return _each(runner.PostgresRunner(conn), queries)
    except CodeassistError:
        return None


def _each(runner: Runner, queries: list[str]) -> list[Hashable | None]:
    """Each query's rows; a query asked twice runs once (samples often repeat an answer)."""
    found: dict[str, Hashable | None] = {}
    return [found[q] if q in found else found.setdefault(q, _rows(runner, q)) for q in queries]


def _rows(runner: Runner, query: str) -> Hashable | None:
    try:
        rows = runner.rows(query, limit=MAX_ROWS, timeout_s=RUN_TIMEOUT_S, user=True)
    except QueryError:
        return None
    return tuple(sorted(repr(row) for row in rows))


def _normal(query: str, dialect: str) -> Hashable | None:
    """The query as sqlglot writes it back (None when it does not parse)."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    from codeassist.syntax import quiet_sqlglot, sql_dialect

    quiet_sqlglot()

    try:
        parsed = [s for s in sqlglot.parse(query, read=sql_dialect(dialect)) if s is not None]
    except (ParseError, TokenError):
        return None
    return tuple(s.sql(dialect=sql_dialect(dialect), normalize=True) for s in parsed) or None
