"""What a review reports: findings, the parts it could not review, and notes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from codeassist.terminal import one_line

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Finding:
    """One thing worth a look, at a line of the new version of a file."""

    path: str
    line: int
    severity: str  # info | warning | error
    message: str  # one line
    check: str  # secrets | leftovers | risky | shellcheck | signatures | model
    suggestion: str | None = None  # a replacement for the line; "" means delete it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            path=str(data["path"]), line=int(data["line"]), severity=str(data["severity"]),
            message=str(data["message"]), check=str(data["check"]),
            suggestion=None if data.get("suggestion") is None else str(data["suggestion"]),
        )  # fmt: skip


@dataclass(frozen=True)
class NotReviewed:
    """A file or symbol the review did not cover, and why (never a silent truncation)."""

    path: str
    reason: str
    symbol: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    not_reviewed: list[NotReviewed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "model review skipped: ..."
    files: int = 0
    cached: int = 0  # files whose results came from the cache
    elapsed_s: float = 0.0

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, -SEVERITIES.index(f.severity)))

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "not_reviewed": [n.to_json() for n in self.not_reviewed],
            "notes": list(self.notes),
            "files": self.files,
            "cached": self.cached,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def shown_path(path: str) -> str:
    """`path` on one line: the controls in a file name made visible (a newline as `\\x0a`).

    Else a file name with a newline would print a line of its own: a forged `path:line: ...`.
    Bytes that are not UTF-8 are written as `\\xNN`, as git and the context show them.
    """
    from codeassist.ctx.files import shown

    return one_line(shown(path))


def render(report: Report) -> str:
    """The compact form: `path:line: severity: message`, the suggestion indented below."""
    lines = []
    for f in report.findings:
        lines.append(f"{shown_path(f.path)}:{f.line}: {f.severity}: {f.message}")
        if f.suggestion == "":
            lines.append("    suggestion: delete this line")
        elif f.suggestion:
            first, *rest = f.suggestion.splitlines()
            lines.append(f"    suggestion: {first}")
            lines.extend(f"                {more}" for more in rest)
    for n in report.not_reviewed:
        where = f"{shown_path(n.path)} ({n.symbol})" if n.symbol else shown_path(n.path)
        lines.append(f"{where}: not reviewed: {n.reason}")
    lines.extend(report.notes)
    return "\n".join(lines)
