"""Secrets added in a change: known key formats and high-entropy values. No model needed."""

from __future__ import annotations

import math
import re
from collections import Counter

from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding

# (name, pattern, severity): formats that are secrets whatever surrounds them.
_FORMATS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"), "error"),
    (
        "private key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        "error",
    ),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "error"),
    ("GitHub token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"), "error"),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "error"),
    (
        "Slack webhook URL",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
        "error",
    ),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b"), "error"),
    ("Stripe test key", re.compile(r"\b(?:sk|rk)_test_[A-Za-z0-9]{16,}\b"), "warning"),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "error"),
    ("OpenAI-style API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b"), "error"),
    (
        "password in a URL",
        re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s:/@'\"]{3,})@[^\s/'\"]+"),
        "warning",
    ),
)

# `name = "value"`, `name: value`, `"name": "value"`, `NAME=value` (shell, .env).
_ASSIGN = re.compile(
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?::=|=|:)\s*(?P<q>["']?)(?P<value>[^\s"',;]{12,})(?P=q)"""
)
_SUSPICIOUS = re.compile(
    r"(secret|token|passw(or)?d|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credential|auth|client[_-]?secret|signing[_-]?key)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"^(x+|\*+|\.+|<.*>|\$\{?.*\}?|%\(.*|\{\{.*\}\}|your[_-].*|change[_-]?me.*|example.*|dummy.*"
    r"|test.*|fake.*|null|none|os\.environ.*|getenv.*|env\(.*)$",
    re.IGNORECASE,
)
ENTROPY_MIN = 3.5  # bits per character; random base64/hex tokens score above, words below


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _mask(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 8 else "…"


def _looks_random(value: str) -> bool:
    if _PLACEHOLDER.match(value) or len(set(value)) < 8:
        return False
    if re.fullmatch(r"[a-z_]+(\.[a-z_]+)*", value):  # a dotted name, not a token
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha and entropy(value) >= ENTROPY_MIN


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
    spans: list[tuple[int, int]] = []
    for what, pattern, severity in _FORMATS:
        for m in pattern.finditer(line):
            spans.append(m.span())
            shown = _mask(m.group(0)) if what != "private key" else m.group(0)
            found.append(
                Finding(change.path, line_no, severity, f"{what} added: {shown}", "secrets")
            )
    for m in _ASSIGN.finditer(line):
        name, value = m.group("name"), m.group("value")
        if any(a <= m.start("value") < b for a, b in spans):
            continue
        if _SUSPICIOUS.search(name) and _looks_random(value):
            found.append(
                Finding(
                    change.path,
                    line_no,
                    "error",
                    f"high-entropy value assigned to {name}: {_mask(value)} (a secret?)",
                    "secrets",
                    _suggestion(change, line, name, value),
                )  # fmt: skip
            )
    return found


def check(change: FileChange) -> list[Finding]:
    """Secrets in the lines this change adds (never in lines it only keeps)."""
    found: list[Finding] = []
    for line_no, line in change.added:
        if len(line) > 2000:  # minified or generated: scan the head only
            line = line[:2000]
        found.extend(scan_line(change, line_no, line))
    return found
