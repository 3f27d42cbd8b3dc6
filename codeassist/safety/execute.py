"""Confirm, then run generated code: the one way anything generated is ever executed.

Shows the risk (codeassist.safety), asks y/N, and asks for a typed "yes" when the risk is
high. Shell code runs with the user's shell, Python with this interpreter; SQL is not run
here (it needs a database connection).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.shell.user import user_shell
from codeassist.terminal import sanitize

if TYPE_CHECKING:
    from rich.console import Console

    from codeassist.safety.risk import Risk

InputFn = Callable[[str], str]
RUNNABLE = ("shell", "python")
DECLINED = 1  # what confirm_and_run returns when the user says no
COLORS = {"low": "green", "medium": "yellow", "high": "bold red"}


def risk_of(code: str, language: str) -> Risk:
    from codeassist.safety.risk import Finding, assess_shell, assess_sql, combine

    if language == "shell":
        return assess_shell(code)
    if language == "sql":
        return assess_sql(code)
    return combine([Finding("medium", f"{language} code is not risk-checked: read it first")])


def show_risk(risk: Risk, console: Console) -> None:
    """The level, then the reasons and what it touches (they quote the code: sanitized)."""
    console.print(f"risk: [{COLORS[risk.level]}]{risk.level}[/]")
    for reason in risk.reasons:
        console.print(sanitize(f"  - {reason}"), markup=False, highlight=False)
    if risk.touches:
        touches = sanitize("touches: " + ", ".join(risk.touches))
        console.print(touches, markup=False, highlight=False)


def confirm(risk: Risk, console: Console, input_fn: InputFn) -> bool:
    """y/N; a high risk needs the word "yes" typed out. EOF or Ctrl-C mean no."""
    question = 'High risk. Type "yes" to run it anyway: ' if risk.high else "Run it? [y/N] "
    try:
        answer = input_fn(question).strip().lower()
    except (EOFError, KeyboardInterrupt):
        answer = ""
    return answer == "yes" if risk.high else answer in ("y", "yes")


def ask_on_stderr(question: str) -> str:
    """Like input(), but the question goes to stderr: stdout stays the answer."""
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def run_code(code: str, language: str, cwd: Path | None = None) -> int:
    """Run it attached to this terminal; returns its exit code."""
    check_runnable(language)
    argv = [user_shell() if language == "shell" else sys.executable, "-c", code]
    return subprocess.run(argv, cwd=cwd, check=False).returncode


def check_runnable(language: str) -> None:
    from codeassist.errors import UsageError

    if language not in RUNNABLE:
        raise UsageError(
            f"codeassist does not run {language} code itself",
            hint="copy it into your database client (or /copy in the REPL)",
        )


def confirm_and_run(code: str, language: str, console: Console, input_fn: InputFn) -> int:
    """Show the risk, ask, run: the exit code of the code, or DECLINED (1) when not run."""
    check_runnable(language)
    risk = risk_of(code, language)
    show_risk(risk, console)
    if not confirm(risk, console, input_fn):
        console.print("not run", style="dim")
        return DECLINED
    return run_code(code, language)
