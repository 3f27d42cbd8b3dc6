"""Checks on generated code: does it parse, do its names exist, does it run as the request says.

Each checker returns a list of `Check` findings in a fixed order for its language; when a
prerequisite fails (the code does not parse), the checks that depend on it are reported as
failed too, so that two answers can be compared by how many checks they pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Check:
    """One finding: which check, whether it passed, and what it found (fed back to the model)."""

    name: str  # e.g. "python.parse", "sql.schema", "shell.programs"
    passed: bool
    detail: str = ""
    ran: bool = True  # False: not run at all (no sandbox here), neither passed nor failed


@dataclass(frozen=True)
class Subject:
    """What the checks need besides the code: the request's examples, schema, database, cwd."""

    language: str  # python | sql | shell
    code: str
    request: str = ""  # the request text: examples (doctests) in it are run
    tests: str = ""  # Python test code run after the code (asserts, or a check() call)
    schema: str = ""  # CREATE statements
    dialect: str = "sqlite"
    db: str | None = None  # SQLite path / URL or postgresql:// URL, for EXPLAIN
    cwd: Path | None = None  # the user's repository / working directory
    shell: str = "bash"
    timeout_s: float = 10.0  # per sandboxed run
    extra_paths: tuple[Path, ...] = field(default_factory=tuple)


def run_checks(subject: Subject) -> list[Check]:
    """All checks for the subject's language, in their fixed order."""
    if subject.language == "python":
        from codeassist.verify import python

        return python.check(subject)
    if subject.language == "sql":
        from codeassist.verify.sql import check as sql

        return sql.check(subject)
    if subject.language == "shell":
        from codeassist.verify import shell

        return shell.check(subject)
    return []


def autofix(subject: Subject, checks: list[Check]) -> str | None:
    """A mechanical fix for a failed finding, where one is certain; None otherwise.

    SQL values that exist in the data only with another letter case, spacing or punctuation are
    respelled as stored;
    a join on a column its table lacks, or on keys of two different things, is made on the one
    foreign key between the two tables;
    a column no table in the query has is read from the one table a foreign key away that has it;
    a join across a many-to-many link goes through the one link table the query left out;
    a name compared with a column that holds its key is looked up where the name is stored;
    a column on an alias whose table lacks it moves to the only alias in scope that has it;
    a WHERE that asks one column for two values in the same row becomes an INTERSECT;
    a join that lists the same rows more than once gets DISTINCT;
    a joined table that gives the query nothing, and that the request never names, is dropped
    (the one fix that is not certain: the request's words are its evidence, sql/joins.py).
    Shell paths under the working directory written absolute are made relative; Python
    imports the code never uses are dropped.
    """
    if subject.language == "python":
        from codeassist.verify import python_unused

        failed = any(c.name == python_unused.NAME and not c.passed for c in checks)
        return python_unused.without_unused(subject) if failed else None
    if subject.language == "shell":
        from codeassist.verify import shell_paths

        failed = any(c.name == shell_paths.NAME and not c.passed for c in checks)
        return shell_paths.relative(subject) if failed else None
    if subject.language != "sql":
        return None
    from codeassist.verify.sql import check as sql

    code = subject.code
    if any(c.name in ("sql.schema", "sql.keys") and not c.passed for c in checks):
        code = sql.rejoined(subject) or code  # first: a broken join leaves requalified unsure
        code = sql.bridged(replace(subject, code=code)) or code  # a link table left out
        code = sql.joined_in(replace(subject, code=code)) or code  # a column no alias can take
        code = sql.requalified(replace(subject, code=code)) or code
    if any(c.name == "sql.both" and not c.passed for c in checks):
        code = sql.intersected(replace(subject, code=code)) or code
    if any(c.name == "sql.repeats" and not c.passed for c in checks):
        code = sql.distinct(replace(subject, code=code)) or code
    if any(c.name == "sql.values" and not c.passed for c in checks):
        code = sql.respelled(replace(subject, code=code)) or code
    if any(c.name == "sql.result" and not c.passed for c in checks):
        code = sql.looked_up(replace(subject, code=code)) or code
    if code != subject.code or any(c.name == "sql.joins" and not c.passed for c in checks):
        code = sql.without_idle_joins(replace(subject, code=code)) or code  # moved: T2 idle now
    return code if code != subject.code else None


_TABLES_RESTATED = frozenset({"sql.schema", "sql.keys", "sql.explain", "sql.result"})


def hints(subject: Subject, failures: list[Check]) -> str:
    """What a repair round needs to see besides the findings ("" when nothing).

    SQL whose names, join keys, plan or result failed gets the tables it uses restated, with
    their columns and the foreign keys that join them.
    """
    names = {c.name for c in failures}
    if subject.language == "sql" and names & _TABLES_RESTATED:
        from codeassist.verify.sql import check as sql

        return sql.repair_hints(subject)
    return ""


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.ran and not c.passed]


__all__ = ["Check", "Subject", "autofix", "failed", "hints", "run_checks"]
