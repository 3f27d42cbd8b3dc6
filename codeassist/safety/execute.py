"""Confirm, then run generated code: the one way anything generated is ever executed.

Hands the risk (codeassist.safety) to the caller to show, asks y/N, and asks for a typed
"yes" when the risk is high. Shell code runs with the user's shell, Python with this
interpreter; SQL is not run here (it needs a database connection). Nothing here prints.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist.shell.user import user_shell

if TYPE_CHECKING:
    from codeassist.safety.risk import Risk

InputFn = Callable[[str], str]
RUNNABLE = ("shell", "python")
DECLINED = 1  # the exit code of a front door when the user says no


def risk_of(code: str, language: str) -> Risk:
    from codeassist.safety.risk import Finding, assess_python, assess_shell, assess_sql, combine

    if language == "shell":
        return assess_shell(code)
    if language == "sql":
        return assess_sql(code)
    if language == "python":
        return assess_python(code)
    return combine([Finding("medium", f"{language} code is not risk-checked: read it first")])


def confirm(risk: Risk, input_fn: InputFn) -> bool:
    """y/N; a high risk needs the word "yes" typed out. EOF or Ctrl-C mean no."""
    question = 'High risk. Type "yes" to run it anyway: ' if risk.high else "Run it? [y/N] "
    try:
        answer = input_fn(question).strip().lower()
    except (EOFError, KeyboardInterrupt):
        answer = ""
    return answer == "yes" if risk.high else answer in ("y", "yes")


def run_code(code: str, language: str, cwd: Path | None = None) -> int:
    """Run it attached to this terminal; returns its exit code."""
    check_runnable(language)
    argv = [user_shell() if language == "shell" else sys.executable, "-c", code]
    return subprocess.run(argv, cwd=cwd, check=False).returncode


def check_shown_as_is(code: str) -> None:
    """Code holding a control or invisible character is refused: it was shown escaped
    (`\\x1b]52;…`), so the user read one program, and would run another (an escape sequence
    that writes the clipboard, rated low; new-user audit)."""
    from codeassist.errors import CodeassistError
    from codeassist.terminal import hidden

    seen = hidden(code)
    if seen is not None:
        raise CodeassistError(
            f"not run: the code holds a control character, shown as {seen}; what would run "
            "is not what you read",
            hint="ask again, or copy the code, read it in an editor and run it yourself",
        )


def check_runnable(language: str) -> None:
    from codeassist.errors import UsageError

    if language not in RUNNABLE:
        raise UsageError(
            f"codeassist does not run {language} code itself",
            hint="copy it into your database client (or /copy in the REPL)",
        )


def confirm_and_run(
    code: str, language: str, show: Callable[[Risk], None], input_fn: InputFn
) -> int | None:
    """Check it can run, `show` its risk, ask, run: the code's exit status, None when not run."""
    check_runnable(language)
    check_shown_as_is(code)
    risk = risk_of(code, language)
    show(risk)
    if not confirm(risk, input_fn):
        return None
    return run_code(code, language)
