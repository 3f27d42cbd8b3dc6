"""Secrets added in a change, found by codeassist.secrets (the context's redaction uses it too)."""

from __future__ import annotations

import re

from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding
from codeassist.secrets import entropy, find

__all__ = ["check", "entropy", "scan_line"]
MAX_LINE = 2000  # longer lines (minified, generated) are scanned up to here


def _mask(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 8 else "…"


def _suggestion(change: FileChange, line: str, name: str, value: str) -> str | None:
    if change.suffix != ".py":
        return None
    var = re.sub(r"[^A-Za-z0-9]+", "_", name).upper().strip("_")
    for q in ('"', "'"):
        quoted = f"{q}{value}{q}"
        if quoted in line:
            return line.replace(quoted, f'os.environ["{var}"]').strip()
    return None


def scan_line(change: FileChange, line_no: int, line: str) -> list[Finding]:
    found: list[Finding] = []
    for hit in find(line):
        value = hit.value(line)
        if hit.name:  # a value bound to a secret's name
            message = f"{hit.what}: {_mask(value)} (a secret?)"
            suggestion = _suggestion(change, line, hit.name, value)
        else:
            message = f"{hit.what} added: {value if hit.what == 'private key' else _mask(value)}"
            suggestion = None
        found.append(Finding(change.path, line_no, hit.severity, message, "secrets", suggestion))
    return found


def check(change: FileChange) -> list[Finding]:
    """Secrets in the lines this change adds (never in lines it only keeps)."""
    found: list[Finding] = []
    for line_no, line in change.added:
        found.extend(scan_line(change, line_no, line[:MAX_LINE]))
    return found
