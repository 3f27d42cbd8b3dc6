"""`codeassist repl`: an interactive session (prompt-toolkit) around one loaded model."""

from __future__ import annotations

from pathlib import Path

import typer

from codeassist.commands._options import not_empty


def repl(
    lang: str = typer.Option("auto", "--lang", "-l", help="Language: python|sql|shell|auto."),
    model: str = typer.Option(
        None, "--model", "-m", callback=not_empty, help="Model name or path to a .gguf."
    ),
    endpoint: str = typer.Option(
        None, "--endpoint", callback=not_empty, help="OpenAI-compatible server URL."
    ),
) -> None:
    """Ask for code again and again with one loaded model; /help lists the commands.

    Enter sends, Alt-Enter (or Esc then Enter) starts a new line. After each answer:
    /run (shows the risk and asks), /explain, /revise TEXT, /copy. History is kept.
    """
    from rich.console import Console

    from codeassist.commands._ui import ReplView
    from codeassist.repl import loop

    view = ReplView(Console(highlight=False))
    loop.run(view, language=lang, model=model, endpoint=endpoint, cwd=Path.cwd())
