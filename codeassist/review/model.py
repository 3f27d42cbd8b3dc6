"""Ask the model for likely bugs in each changed symbol, within a time budget.

The model's answer is free text from a small model: it is parsed defensively, and its
findings are never more than warnings (a guess must not block a commit under --strict).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from codeassist import syntax
from codeassist.backends.base import Backend, Message, Options
from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding

MAX_ITEM_LINES = 80  # a symbol longer than this is reviewed around its changed lines
MAX_FINDINGS_PER_ITEM = 5
OPTIONS = Options(max_tokens=120, temperature=0.0)
CODE_SUFFIXES = frozenset(
    ".py .pyi .js .jsx .mjs .cjs .ts .tsx .sh .bash .zsh .sql .go .rs .java .kt .c .h .cc .cpp "
    ".hpp .cs .rb .php .swift .scala .lua .pl .r .m".split()
)  # the model reviews code; the rules cover every other text file

SYSTEM = (
    "You are a careful code reviewer. You are shown a changed piece of code with line "
    "numbers; lines marked + were added or changed. Report only likely bugs in the changed "
    "lines: wrong logic, wrong names, unhandled errors, off-by-one, resource leaks. "
    "Answer with one line per bug, exactly: LINE: warning: MESSAGE. "
    "If there is no bug, answer exactly: NONE."
)

_ANSWER = re.compile(
    r"^\s*[-*•]?\s*(?:line\s*)?L?(\d+)\s*[:)\-.]\s*(?:(info|warning|error|bug)\s*[:\-]\s*)?(.+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Item:
    """One unit of model review: a changed symbol, or a window of a file around its changes."""

    path: str
    symbol: str | None
    first: int  # first line shown (1-based, in the new file)
    last: int
    changed: frozenset[int]

    def render(self, lines: list[str]) -> str:
        width = len(str(self.last))
        out = []
        for n in range(self.first, self.last + 1):
            mark = "+" if n in self.changed else " "
            out.append(f"{n:>{width}} {mark} {lines[n - 1] if n - 1 < len(lines) else ''}")
        return "\n".join(out)


def _symbols(change: FileChange) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of Python functions and classes, innermost last."""
    if syntax.language_of(change.path) != "python":
        return []
    found = []
    for node in syntax.walk(syntax.parse("python", change.new_text)):
        if node.type in ("function_definition", "class_definition"):
            name = syntax.text_of(node.child_by_field_name("name"))
            found.append((name, node.start_point[0] + 1, node.end_point[0] + 1))
    return found


def items(change: FileChange) -> list[Item]:
    """Split a file's added lines into review items: per innermost changed symbol, else windows."""
    changed = sorted(change.added_lines)
    if not changed or change.suffix not in CODE_SUFFIXES:
        return []
    symbols = _symbols(change)
    groups: dict[tuple[str | None, int, int], set[int]] = {}
    for n in changed:
        holders = [s for s in symbols if s[1] <= n <= s[2] and s[2] - s[1] < MAX_ITEM_LINES]
        key: tuple[str | None, int, int]
        if holders:
            key = min(holders, key=lambda s: s[2] - s[1])
        else:  # no small enough symbol: a window around the line, merged with its neighbours
            key = (None, max(1, n - 5), n + 5)
            for other in list(groups):
                if other[0] is None and other[1] <= n <= other[2] + 5:
                    groups[(None, other[1], n + 5)] = groups.pop(other)
                    key = (None, other[1], n + 5)
                    break
        groups.setdefault(key, set()).add(n)
    total = change.new_text.count("\n") + 1
    out = []
    for (name, first, last), lines in sorted(groups.items(), key=lambda kv: kv[0][1]):
        last = min(last, total, first + 2 * MAX_ITEM_LINES)
        out.append(Item(change.path, name, first, last, frozenset(lines)))
    return out


def messages(item: Item, text: str) -> list[Message]:
    what = f"{item.path}, {item.symbol}" if item.symbol else item.path
    code = item.render(text.splitlines())
    return [Message("system", SYSTEM), Message("user", f"File {what}:\n```\n{code}\n```")]


def parse_answer(item: Item, answer: str) -> list[Finding]:
    """Findings from the model's reply: well-formed lines within the item only, deduplicated."""
    found: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for raw in answer.splitlines():
        m = _ANSWER.match(raw.strip().strip("`"))
        if not m:
            continue
        line, severity, message = int(m.group(1)), (m.group(2) or "warning").lower(), m.group(3)
        message = " ".join(message.split()).strip(" .")
        if not item.first <= line <= item.last or len(message) < 8 or message.upper() == "NONE":
            continue
        message = message if len(message) <= 160 else message[:157] + "..."
        severity = "info" if severity == "info" else "warning"
        if (line, message) in seen:
            continue
        seen.add((line, message))
        found.append(Finding(item.path, line, severity, message, "model"))
        if len(found) >= MAX_FINDINGS_PER_ITEM:
            break
    return found


class OutOfTime(Exception):
    """The time budget ran out in the middle of an item."""


def review_item(backend: Backend, item: Item, text: str, deadline: float) -> list[Finding]:
    """Ask the model about one item; stop as soon as the deadline passes."""
    if time.monotonic() >= deadline:
        raise OutOfTime
    answer = ""
    for piece in backend.stream(messages(item, text), OPTIONS):
        answer += piece
        if time.monotonic() >= deadline:
            raise OutOfTime
    return parse_answer(item, answer)
