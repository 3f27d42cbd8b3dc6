"""Propose a Conventional Commits message for the staged change: the model, else a rule."""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import PurePosixPath

from codeassist.backends.base import Backend, Message, Options
from codeassist.errors import CodeassistError
from codeassist.review.diff import Change

TYPES = ("feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore",
         "revert")  # fmt: skip
VALID = re.compile(rf"^({'|'.join(TYPES)})(\([\w./-]+\))?!?: \S.{{2,70}}$")
MAX_DIFF_CHARS = 3000
OPTIONS = Options(max_tokens=40, temperature=0.0, stop=("\n",))
SCISSORS = "------------------------ >8 ------------------------"  # after the comment character

SYSTEM = (
    "You write git commit messages in the Conventional Commits format: "
    "`type(scope): summary`, type one of " + ", ".join(TYPES) + ". "
    "Reply with the one summary line only, at most 72 characters, imperative mood, "
    "no period at the end."
)


def _names(change: Change) -> list[str]:
    return [plain(PurePosixPath(f.path).name) for f in change.files]


def plain(text: str) -> str:
    """`text` without control and format characters (escapes, bidi overrides): a message
    stays in the history, and `git log` prints it raw on every terminal that shows it."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def fallback(change: Change) -> str:
    """A deterministic message from the file names and what happened to them."""
    files = change.files
    paths = [PurePosixPath(f.path) for f in files]
    if all(p.parts[0] in ("tests", "test") or p.name.startswith("test_") for p in paths):
        kind = "test"
    elif all(p.suffix in (".md", ".rst", ".txt") or p.parts[0] == "docs" for p in paths):
        kind = "docs"
    elif any(p.parts[0] == ".github" for p in paths):
        kind = "ci"
    elif all(p.name in ("pyproject.toml", "setup.cfg", "setup.py", "requirements.txt",
                        "package.json", "Makefile", "Dockerfile") for p in paths):  # fmt: skip
        kind = "build"
    else:
        kind = "chore"
    statuses = {f.status for f in files}
    verb = (
        "add" if statuses == {"added"} else "remove" if statuses == {"deleted"}
        else "rename" if statuses == {"renamed"} else "update"
    )  # fmt: skip
    names = _names(change)
    listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    message = f"{kind}: {verb} {listed}"
    return message if len(message) <= 72 else f"{kind}: {verb} {len(names)} files"


def _diff_text(change: Change) -> str:
    parts = []
    for f in change.files:
        lines = [f"{f.status} {f.path}"]
        lines += [f"+{text}" for _, text in f.added[:40]]
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    return text if len(text) <= MAX_DIFF_CHARS else text[:MAX_DIFF_CHARS] + "\n[…]"


def clean(reply: str) -> str | None:
    """The model's first line, if it is a valid Conventional Commits summary."""
    for line in reply.strip().splitlines():
        line = line.strip().strip("`\"'").strip()
        line = re.sub(r"^(commit message|message)\s*:\s*", "", line, flags=re.IGNORECASE)
        if line:
            line = line.rstrip(".")
            return line if VALID.match(line) and plain(line) == line else None
    return None


def from_model(change: Change, backend: Backend, deadline: float) -> str | None:
    messages = [
        Message("system", SYSTEM),
        Message("user", f"Staged change:\n{_diff_text(change)}\n\nCommit message:"),
    ]
    reply = ""
    for piece in backend.stream(messages, OPTIONS):
        reply += piece
        if time.monotonic() >= deadline or "\n" in reply.strip():
            break
    return clean(reply)


def propose(change: Change, backend: Backend | None, deadline: float) -> tuple[str, str]:
    """(message, where it came from: "model" or "rule")."""
    if backend is not None and change.files and time.monotonic() < deadline:
        try:
            message = from_model(change, backend, deadline)
        except CodeassistError:  # the model failed: the rule still gives a message
            message = None
        if message:
            return message, "model"
    return fallback(change), "rule"


def users_message(template: str) -> str:
    """What git will keep of the message file: no comment lines, nothing from the scissors on.

    `git commit -v` (commit.verbose) puts the diff below a scissors line, `# --- >8 ---`,
    written after the comment character (core.commentChar); git drops everything from it on.
    """
    lines = template.splitlines()
    comment = "#"
    for i, line in enumerate(lines):
        if line.endswith(" " + SCISSORS) and len(line) > len(SCISSORS) + 1:
            comment, lines = line[: -len(SCISSORS) - 1], lines[:i]
            break
    return "\n".join(ln for ln in lines if not ln.startswith(("#", comment))).strip()


def write(message_file: str, message: str) -> bool:
    """Put the message above git's comments, unless the file already holds a message."""
    with open(message_file, encoding="utf-8", errors="replace") as f:
        current = f.read()
    if users_message(current):
        return False
    with open(message_file, "w", encoding="utf-8") as f:
        f.write(message + "\n" + current)
    return True
