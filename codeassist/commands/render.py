"""Terminal rendering shared by commands: live, highlighted code."""

from __future__ import annotations

from codeassist import pipeline
from codeassist.backends.base import Backend
from codeassist.extract import extract

LEXERS = {"python": "python", "sql": "sql", "shell": "bash"}


def stream_code(req: pipeline.Request, backend: Backend, language: str) -> pipeline.Result:
    """Run the pipeline, showing the code highlighted as it streams in; leave the final code."""
    from rich.console import Console
    from rich.live import Live
    from rich.syntax import Syntax

    console = Console()
    lexer = LEXERS[language]
    text = ""

    def view(code: str) -> Syntax:
        return Syntax(code or " ", lexer, theme="ansi_dark", background_color="default")

    with Live(view(""), console=console, refresh_per_second=15, transient=False) as live:

        def on_piece(piece: str) -> None:
            nonlocal text
            text += piece
            live.update(view(extract(text, language).code))

        result = pipeline.run(req, backend, on_piece)
        live.update(view(result.code))
    return result
