"""Pull the code out of a model's reply: no fences, no prose."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.M)

_ALIASES = {
    "python": {"python", "py", "python3"},
    "sql": {"sql", "sqlite", "postgresql", "postgres", "mysql", "psql"},
    "shell": {"bash", "sh", "shell", "zsh", "fish", "console", "terminal", "shellscript"},
}


@dataclass(frozen=True)
class Extracted:
    code: str
    prose: str  # what the model said outside the code (used as the explanation)
    closed: bool  # False while a fence is still open (streaming)
    fenced: bool = False  # the code came from a fenced block

    @property
    def closed_block(self) -> bool:
        """A complete fenced block is there: nothing after it can change the code."""
        return self.fenced and self.closed


def extract(reply: str, language: str | None = None) -> Extracted:
    """The best fenced block (matching `language` if possible), else the whole reply."""
    blocks: list[tuple[str, str, int, int, bool]] = []  # (lang, code, start, end, closed)
    pos = 0
    while (m := _FENCE.search(reply, pos)) is not None:
        fence, lang = m.group(1), m.group(2).lower()
        body_start = m.end() + 1
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M)
        closing = close.search(reply, body_start)
        if closing is None:
            blocks.append((lang, reply[body_start:], m.start(), len(reply), False))
            break
        blocks.append((lang, reply[body_start : closing.start()], m.start(), closing.end(), True))
        pos = closing.end()
    if not blocks:
        return Extracted(_clean(reply, language), "", True)
    wanted = _ALIASES.get(language or "", set())
    chosen = next((b for b in blocks if b[0] in wanted), blocks[0])
    lang, code, start, end, closed = chosen
    prose = (reply[:start] + reply[end:]).strip()
    return Extracted(_clean(code, language), prose, closed, fenced=True)


def _clean(code: str, language: str | None) -> str:
    code = code.strip("\n").rstrip()
    if language == "shell":
        lines = code.splitlines()
        if lines and all(line.startswith("$ ") or not line.strip() for line in lines):
            code = "\n".join(line[2:] for line in lines if line.strip())
        code = _without_blank_lines(code)
    return code


def commandless(code: str) -> bool:
    """Is there no shell command at all: nothing, or only comments (`# list the files here`)?"""
    return not any(line.strip() and not line.lstrip().startswith("#") for line in code.splitlines())


_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")
# Where a blank line is data: quoted strings and here-documents.
_VERBATIM = {"string", "raw_string", "ansi_c_string", "translated_string", "heredoc_redirect"}


def _without_blank_lines(code: str) -> str:
    """A shell answer without its blank lines, but in quotes and here-documents.

    They mean nothing to a shell, and forty of them put what comes before above the top of
    the screen: on the line the shell widget fills, the user saw `ls -la` and pressed Enter on
    `rm -rf ./victim` too (new-user audit)."""
    if _BLANK_LINE.search(code) is None:  # nearly every answer: no parse
        return code
    from codeassist import syntax

    verbatim = [(n.start_byte, n.end_byte) for n in syntax.walk(syntax.parse("bash", code))
                if n.type in _VERBATIM]  # fmt: skip
    kept: list[str] = []
    start = 0
    for line in code.split("\n"):
        end = start + len(line.encode("utf-8", "replace"))  # bytes, as syntax.parse counts
        continued = bool(kept) and kept[-1].endswith("\\")  # the blank line ends that command
        if line.strip() or continued or any(a <= start and end <= b for a, b in verbatim):
            kept.append(line)
        start = end + 1
    return "\n".join(kept)
