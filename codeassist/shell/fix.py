"""A failed command line, corrected: a mistyped program from PATH at once, the rest by the model.

The model sees the command, its exit status, its error output when there is some, and the
start of the failing program's help text; its answer goes through the shell checks like any
shell request. Nothing here runs the command or prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from codeassist import pipeline
from codeassist.backends.base import Backend, Options
from codeassist.errors import CodeassistError, UsageError
from codeassist.shell import typos
from codeassist.terminal import sanitize

MAX_ERROR = 4000  # characters of error output kept for the prompt (its end: where errors are)
MAX_READ = 4 << 20  # bytes read from stdin at most
MAX_HELP = 3000  # characters of help text in the prompt
NOT_FOUND = 127
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
_STATUS = {126: "the program could not be executed", 127: "the program was not found"}


@dataclass(frozen=True)
class Failure:
    """What failed: the command line, its exit status (None: unknown), its error output."""

    command: str
    exit_code: int | None = None
    error: str = ""


@dataclass(frozen=True)
class Fix:
    """The corrected command line and where it came from: `typo` (PATH) or `model`."""

    command: str
    source: str
    failure: Failure
    result: pipeline.Result | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "command": self.command, "original": self.failure.command,
            "exit_code": self.failure.exit_code, "source": self.source,
        }  # fmt: skip
        if self.result is not None:
            full = self.result.to_json()
            data.update({k: full[k] for k in ("model", "checks", "timings", "repairs")})
        return data


def fix(failure: Failure, open_backend: Callable[[], Backend], cwd: Path, options: Options) -> Fix:
    """Correct the failed command; the backend is opened only when PATH cannot fix it."""
    if not failure.command.strip() and not failure.error.strip():
        raise UsageError(
            "no failed command to fix",
            hint='pass --command "CMD" (and --exit-code N), pipe its errors in, or press the '
            "widget key on an empty line right after a failure (codeassist shell-init)",
        )
    if quick := typo_fix(failure):
        return quick
    request = pipeline.Request(fix_prompt(failure), language="shell", cwd=cwd, options=options)
    result = pipeline.run(request, open_backend())
    command = result.code.strip()
    if not command or _same(command, failure.command):
        raise CodeassistError(
            "no fix found: the model " + ("gave no command" if not command else "kept the command"),
            hint="pipe the command's errors in for more to go on: CMD 2>&1 | codeassist fix "
            '--command "CMD"',
        )
    return Fix(command, "model", failure, result)


def typo_fix(failure: Failure) -> Fix | None:
    """A mistyped program replaced by the one on PATH it was meant to be, when certain."""
    if failure.exit_code not in (None, NOT_FOUND):
        return None  # the program ran: its name was right
    typo = typos.correct(failure.command)
    return Fix(typo.command, "typo", failure) if typo else None


def fix_prompt(failure: Failure) -> str:
    """The request the model answers: what ran, how it ended, what it said, how it is used."""
    parts = [
        "This shell command line failed. Write the corrected command line that does what the "
        "user meant.",
        f"Command: {failure.command.strip() or '(unknown)'}",
    ]
    if failure.exit_code is not None:
        meaning = _STATUS.get(failure.exit_code, "")
        if failure.exit_code > 128:
            meaning = f"killed by signal {failure.exit_code - 128}"
        parts.append(f"Exit status: {failure.exit_code}" + (f" ({meaning})" if meaning else ""))
    if failure.error.strip():
        parts.append(f"Error output:\n```text\n{failure.error.strip()}\n```")
    program = failing_program(failure.command)
    if program and failure.exit_code == NOT_FOUND:
        if near := typos.candidates(program):
            parts.append(f"Programs on PATH with similar names: {', '.join(near)}")
    elif program and (help_text := _help_text(program)):
        parts.append(f"Start of `{program} --help`:\n```text\n{help_text}\n```")
    return "\n\n".join(parts)


def failing_program(command: str) -> str:
    """The program the command line runs first (past assignments and wrappers such as sudo)."""
    words = typos.command_words(command)
    return words[0].text if words else ""


def _help_text(program: str) -> str:
    """The start of the program's documentation (its `--help`, else its man page), cached.

    codeassist/shell/docs.py decides what may run: only a real file on PATH, under a time limit.
    """
    from codeassist.shell import docs

    if program in typos.BUILTINS or (path := docs.resolve(program)) is None:
        return ""
    found = docs.Program(path)
    doc = found.help() or found.man()
    return clean(doc.text)[:MAX_HELP].strip() if doc else ""


def read_error(stream: BinaryIO) -> str:
    """Error output piped in, up to MAX_READ bytes (so a writer rarely blocks); its tail."""
    kept, total = b"", 0
    while total < MAX_READ and (chunk := stream.read(1 << 16)):
        total += len(chunk)
        kept = (kept + chunk)[-MAX_ERROR * 4 :]
    return clean(kept.decode("utf-8", "replace"))[-MAX_ERROR:]


def clean(text: str) -> str:
    """Colors and other escape sequences dropped; what control characters remain, made visible."""
    return sanitize(_ESCAPES.sub("", text.replace("\r\n", "\n")))


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()
