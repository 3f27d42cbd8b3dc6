"""`codeassist explain "COMMAND"`: each part of a shell command, from this machine's docs."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

from codeassist.commands._options import not_empty

if TYPE_CHECKING:
    from codeassist.shell.explain import Explanation


def explain(
    command: str = typer.Argument(..., help='A shell command line ("-": read it from stdin).'),
    as_json: bool = typer.Option(
        False, "--json", help='Print {"parts": [{"text", "kind", "doc", "source"}], "risk"}.'
    ),
    summary: bool = typer.Option(False, "--summary", help="Also ask the model for a summary."),
    model: str = typer.Option(
        None, "--model", "-m", callback=not_empty, help="Model for --summary."
    ),
    endpoint: str = typer.Option(
        None, "--endpoint", callback=not_empty, help="OpenAI-compatible server URL."
    ),
) -> None:
    """Explain each part of a command from the installed man pages and --help; show its risk.

    Nothing is run but `man` and `PROGRAM --help`. The model is asked only with --summary.
    """
    from codeassist.errors import UsageError
    from codeassist.shell.explain import explain as explain_command

    text = sys.stdin.read() if command == "-" else command
    if not text.strip():
        raise UsageError("nothing to explain", hint='e.g. codeassist explain "du -sh * | sort -h"')
    found = explain_command(text.strip())
    if as_json:
        typer.echo(json.dumps(found.to_json()))
        return
    from rich.console import Console

    from codeassist.commands._ui import show_explanation

    console = Console(highlight=False, soft_wrap=False, file=sys.stdout)
    show_explanation(found, console)
    if summary:
        console.print(_summary(found, model, endpoint), markup=False)


def _summary(found: Explanation, model: str | None, endpoint: str | None) -> str:
    """The model's one or two sentences, from the documented parts only."""
    from codeassist import config as configuration
    from codeassist.backends.base import Options, Response
    from codeassist.backends.select import open_backend
    from codeassist.shell.explain import summary_messages
    from codeassist.terminal import sanitize

    cfg = configuration.load()
    backend = open_backend(cfg, model=model, endpoint=endpoint)
    messages = summary_messages(found)
    text = Response(backend.stream(messages, Options(max_tokens=160))).drain()
    return "summary: " + sanitize(text.strip())
