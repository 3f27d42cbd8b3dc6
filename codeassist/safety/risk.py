"""How risky a shell command or SQL statement is, decided from its parsed syntax tree.

`assess_shell` parses with tree-sitter-bash (codeassist/safety/shell.py), `assess_sql` with
sqlglot (codeassist/safety/sql.py), `assess_python` with Python's `ast`
(codeassist/safety/python.py). Both return a `Risk`: the highest level found, every
reason in the order found, and what the command would touch (paths, devices, tables, remotes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LEVELS = ("low", "medium", "high")
SHELL_PARSE_ERROR = "parts of the command do not parse as shell: read it"


@dataclass(frozen=True)
class Finding:
    """One rule that matched: a level, why, and what it touches."""

    level: str
    reason: str
    touches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Risk:
    level: str  # "low" | "medium" | "high"
    reasons: tuple[str, ...]
    touches: tuple[str, ...]  # paths/devices/targets the command would touch

    @property
    def high(self) -> bool:
        return self.level == "high"

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "reasons": list(self.reasons), "touches": list(self.touches)}


def combine(findings: Iterable[Finding]) -> Risk:
    """The highest level among the findings; reasons and touches deduplicated, in order."""
    level, reasons, touches = 0, dict[str, None](), dict[str, None]()
    for finding in findings:
        level = max(level, LEVELS.index(finding.level))
        reasons.setdefault(finding.reason, None)
        for target in finding.touches:
            touches.setdefault(target, None)
    return Risk(LEVELS[level], tuple(reasons), tuple(touches))


def assess_shell(command: str) -> Risk:
    """The risk of running a shell command line (bash syntax)."""
    from codeassist.safety.shell import findings

    return combine(findings(command))


def assess_python(code: str) -> Risk:
    """The risk of running Python code: what it deletes, writes or runs, as the shell rules
    judge the same done by a shell command (codeassist/safety/python.py)."""
    from codeassist.safety import python
    from codeassist.safety.shell import findings

    return combine(python.findings(code, findings))


def assess_sql(statement: str, dialect: str = "sqlite") -> Risk:
    """The risk of running one or more SQL statements in the given dialect."""
    from codeassist.safety.sql import findings

    return combine(findings(statement, dialect))
