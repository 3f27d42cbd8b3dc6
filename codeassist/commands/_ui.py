"""Terminal rendering shared by commands: live, highlighted code, and what the checks said."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist import pipeline
from codeassist.backends.base import Backend
from codeassist.pipeline.extract import extract
from codeassist.syntax import LEXERS
from codeassist.terminal import sanitize

if TYPE_CHECKING:
    from rich.console import Console

    from codeassist.verify import Check


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
    from rich.syntax import Syntax

    console = console or Console()
    notes = notes or Console(stderr=True)
    lexer = LEXERS[language]
    text = ""

    def view(code: str, whole: bool = False) -> Syntax:
        code = sanitize(code)  # highlighting is rich's; the code's own escapes are not
        width = max((len(line) for line in code.splitlines()), default=1) if whole else None
        return Syntax(
            code or " ", lexer, theme="ansi_dark", background_color="default", code_width=width
        )

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
    console.print(view(result.code, whole=True), crop=False)  # long lines: never cut
    report_checks(result.checks, notes)
    return result


def report_checks(checks: list[Check], console: Console) -> None:
    """The checks the final code still fails or that did not run, one line each on stderr.

    A detail quotes the code, the schema or the database: printed as text, never as markup.
    """
    from rich.text import Text

    for check in checks:
        if not check.ran:
            note = Text(sanitize(f"{check.name}: {check.detail}"), style="dim")
            console.print(note, highlight=False)
        elif not check.passed:
            detail = f": {check.detail}" if check.detail else ""
            line = Text.assemble(("check failed", "yellow"), sanitize(f" {check.name}{detail}"))
            console.print(line, highlight=False)
