"""Terminal rendering shared by commands: code, checks, risks, errors, progress, the REPL.

Everything the core returns is shown from here. Data from a model, a file or a database is
sanitized and printed as text, never as rich markup. rich is imported inside the functions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

import typer

from codeassist.errors import CodeassistError
from codeassist.syntax import LEXERS
from codeassist.terminal import sanitize

if TYPE_CHECKING:
    from rich.console import Console
    from rich.syntax import Syntax

    from codeassist import pipeline
    from codeassist.backends.base import Backend
    from codeassist.pipeline.prepare import Prepared
    from codeassist.safety.risk import Risk
    from codeassist.shell.explain import Explanation
    from codeassist.verify import Check

COLORS = {"low": "green", "medium": "yellow", "high": "bold red"}  # risk levels
ANSI = {"red": "\x1b[31m", "dim": "\x1b[2m"}  # for stderr without rich
Say = Callable[[str, str, str], None]  # label (ours), data (sanitized), style of the label


def show_error(error: CodeassistError, say: Say) -> None:
    """One red line and a hint: how every user error is shown, on stderr or in the REPL."""
    say("error:", error.message, "red")
    if error.hint:
        say("hint:", error.hint, "dim")


def say_on_stderr(label: str, data: str, style: str = "") -> None:
    """The label, coloured on a terminal (unless NO_COLOR), then the data sanitized."""
    color = style and sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    on, off = (ANSI[style], "\x1b[0m") if color else ("", "")
    # The data may quote a path, a server's answer or a model's words: sanitized.
    sys.stderr.write(f"{on}{label}{off} {sanitize(data)}\n")


def show_risk(risk: Risk, console: Console, none_found: bool = False) -> None:
    """The level in its colour, then the reasons and what it touches (they quote the code)."""
    console.print(f"risk: [{COLORS[risk.level]}]{risk.level}[/]")
    for reason in risk.reasons:
        console.print(sanitize(f"  - {reason}"), markup=False, highlight=False)
    if none_found and not risk.reasons:
        console.print("  - nothing risky found", markup=False, highlight=False)
    if risk.touches:
        touches = sanitize("touches: " + ", ".join(risk.touches))
        console.print(touches, markup=False, highlight=False)


_PART_STYLES = {"program": "bold", "option": "cyan", "redirect": "magenta", "operator": "magenta"}


def show_explanation(found: Explanation, console: Console) -> None:
    """A table of a command's parts (man page text is sanitized, never markup), then its risk."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("part", "meaning", "from"):
        table.add_column(column, overflow="fold")
    for part in found.parts:
        shown = Text("  " * part.depth + sanitize(part.text), style=_PART_STYLES.get(part.kind, ""))
        missing = "" if part.kind == "argument" else "(no documentation found)"
        meaning = Text(sanitize(part.doc or missing))
        table.add_row(shown, meaning, Text(sanitize(part.source), style="dim"))
    console.print(table)
    if not found.parses:
        console.print("parts of the command do not parse as shell", style="yellow")
    show_risk(found.risk, console)


def confirm_and_run(code: str, language: str, console: Console, ask: Callable[[str], str]) -> int:
    """Show the risk, ask, run: the code's exit status, or DECLINED (1) when not run."""
    from codeassist.safety import execute

    status = execute.confirm_and_run(code, language, lambda r: show_risk(r, console), ask)
    if status is None:
        console.print("not run", style="dim")
        return execute.DECLINED
    return status


def ask_on_stderr(question: str) -> str:
    """Like input(), but the question goes to stderr: stdout stays the answer."""
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def show_generation(ready: Prepared, explain: bool = False) -> pipeline.Result:
    """Highlighted code streaming on a terminal, bare code when piped; the rest on stderr."""
    from codeassist import pipeline

    if sys.stdout.isatty():
        result = stream_code(ready.request, ready.backend, ready.language)
    else:
        result = pipeline.run(ready.request, ready.backend)
        # bare code, but no raw ESC or C1; a shell command (the widget puts it on the command
        # line, where a bidi override would show one command and run another) no control or
        # invisible character at all: they are made visible, as on a terminal
        typer.echo(sanitize(result.code, piped=result.language != "shell"))
        if _to_report(result):  # rich only when there is a line to print: the widget waits
            from rich.console import Console

            notes = Console(stderr=True)
            report_fixed(result, notes)
            report_checks(result.checks, notes)
            report_samples(result, notes)
    if explain and result.explanation:
        typer.echo(sanitize(result.explanation), err=True)
    return result


def syntax(code: str, language: str, width: int | None = None) -> Syntax:
    """Code highlighted by rich (the code's own escapes sanitized away); " " when empty."""
    from rich.syntax import Syntax

    lexer = LEXERS.get(language, "text")
    return Syntax(sanitize(code) or " ", lexer, theme="ansi_dark", background_color="default",
                  code_width=width)  # fmt: skip


def whole(code: str, language: str) -> Syntax:
    """All of the code, however wide: print it with crop=False. What may run is never cut off
    at the screen's edge (a reply can hide a second command 200 columns to the right)."""
    code = sanitize(code)
    width = max((len(line) for line in code.splitlines()), default=1)
    return syntax(code, language, width)


def stream_code(
    req: pipeline.Request,
    backend: Backend,
    language: str,
    console: Console | None = None,
    notes: Console | None = None,
) -> pipeline.Result:
    """Run the pipeline, showing the code highlighted as it streams in; leave the final code.

    A repair round starts the code over, with a dim line on stderr saying what it fixes.
    """
    from rich.console import Console
    from rich.live import Live

    from codeassist import pipeline
    from codeassist.pipeline.extract import extract

    console = console or Console()
    notes = notes or Console(stderr=True)
    text = ""

    def view(code: str) -> Syntax:
        return syntax(sanitize(code), language)

    # The live view is a preview (cropped to the screen); the whole code is printed after it.
    with Live(view(""), console=console, refresh_per_second=15, transient=True) as live:

        def on_piece(piece: str) -> None:
            nonlocal text
            text += piece
            live.update(view(extract(text, language).code))

        def on_round(failures: list[Check]) -> None:
            nonlocal text
            text = ""
            names = ", ".join(c.name for c in failures)
            said = f"checks failed ({names}): asking the model again…"
            live.console.print(said, style="dim", markup=False, highlight=False)
            live.update(view(""))

        result = pipeline.run(req, backend, on_piece, on_round)
    console.print(whole(result.code, language), crop=False)
    report_fixed(result, notes)
    report_checks(result.checks, notes)
    report_samples(result, notes)
    return result


def report_checks(checks: list[Check], console: Console) -> None:
    """The checks the final code still fails or that did not run, one line each on stderr.

    A detail quotes the code, the schema or the database: printed as text, never as markup.
    Into a file or a pipe (the shell widget reads them) lines are never wrapped at 80 columns.
    """
    from rich.text import Text

    unwrapped = not console.is_terminal
    for check in checks:
        if not check.ran:
            note = Text(sanitize(f"{check.name}: {check.detail}"), style="dim")
            console.print(note, highlight=False, soft_wrap=unwrapped)
        elif not check.passed:
            detail = f": {check.detail}" if check.detail else ""
            line = Text.assemble(("check failed", "yellow"), sanitize(f" {check.name}{detail}"))
            console.print(line, highlight=False, soft_wrap=unwrapped)


def _to_report(result: pipeline.Result) -> bool:
    """Whether report_fixed, report_checks or report_samples would print a line."""
    drawn = result.samples
    return bool(
        result.fixed
        or any(not c.ran or not c.passed for c in result.checks)
        or (drawn is not None and drawn.drawn > 1)
    )


def report_fixed(result: pipeline.Result, console: Console) -> None:
    """One dim line when the code shown is not the code the model wrote: a mechanical fix
    made it pass checks the model's own code failed."""
    from rich.text import Text

    if result.fixed:
        said = f"fixed by the checks: the model's code failed {', '.join(result.fixed)}"
        console.print(Text(said, style="dim"), highlight=False, soft_wrap=not console.is_terminal)


def report_samples(result: pipeline.Result, console: Console) -> None:
    """One dim line when several candidates were drawn: "best of 5: 3 of 5 candidates agree…"."""
    from rich.text import Text

    drawn = result.samples
    if drawn is not None and drawn.drawn > 1:
        line = Text(sanitize(f"best of {drawn.drawn}: {drawn.reason}"), style="dim")
        console.print(line, highlight=False, soft_wrap=not console.is_terminal)


def show_rows(rows: list[tuple[str, str]], problems: list[str]) -> None:
    """Aligned `key  value` rows on stdout (values name models and paths), problems on stderr."""
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        typer.echo(sanitize(f"{key:<{width}}  {value}"))
    for problem in problems:
        typer.echo(sanitize(f"problem: {problem}"), err=True)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A byte progress bar on stderr, fed by the core's (stage, done, total) callback."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )  # fmt: skip

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label}: {stage}", completed=done, total=total)

        yield update


class ReplView:
    """The REPL session's display on a rich Console (see codeassist.repl.session.View)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def answer(self, result: pipeline.Result) -> None:
        if not result.code.strip():
            self.line("(no code in the answer)", "dim")
            return
        self.console.print(whole(result.code, result.language), crop=False)
        report_fixed(result, self.console)
        report_checks(result.checks, self.console)  # as gen says them: risk, missing programs

    def line(self, text: str, style: str = "") -> None:
        self.console.print(text, style=style, markup=False, highlight=False)

    def said(self, label: str, data: str, style: str = "") -> None:
        """A label of ours, then data from a model, a file or the user: sanitized, never markup."""
        from rich.text import Text

        text = Text.assemble((label, style), " " if label else "", sanitize(data))
        self.console.print(text, highlight=False)

    def error(self, error: CodeassistError) -> None:
        show_error(error, self.said)

    def risk(self, risk: Risk) -> None:
        show_risk(risk, self.console)

    def explanation(self, found: Explanation) -> None:
        show_explanation(found, self.console)

    def status(self, message: str) -> AbstractContextManager[object]:
        return self.console.status(message) if self.console.is_terminal else nullcontext()
