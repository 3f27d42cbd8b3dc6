"""`codeassist fix`: the last failed command, corrected (never run)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from codeassist.commands._options import not_empty


def fix(
    command: str = typer.Option("", "--command", "-c", help="The command line that failed."),
    exit_code: int = typer.Option(
        None, "--exit-code", "-e", min=0, max=255, help="Its exit status (0 to 255)."
    ),
    model: str = typer.Option(
        None, "--model", "-m", callback=not_empty, help="Model name or path to a .gguf."
    ),
    endpoint: str = typer.Option(
        None, "--endpoint", callback=not_empty, help="OpenAI-compatible server URL."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Correct a failed command: prints the fixed command line; nothing runs.

    Pipe its errors in for a better fix: `make 2>&1 | codeassist fix --command make`.
    A mistyped program (`gti status`) is fixed from your PATH at once, without a model.
    In your shell (codeassist shell-init), the widget key on an empty line right after a
    failure puts the fixed command on the line.
    """
    from codeassist import config as configuration
    from codeassist.errors import UsageError
    from codeassist.pipeline import prepare
    from codeassist.shell import fix as core
    from codeassist.terminal import sanitize

    error = "" if sys.stdin is None or sys.stdin.isatty() else core.read_error(sys.stdin.buffer)
    if exit_code == 0 and not error.strip():
        raise UsageError(
            "the command succeeded (exit status 0) and said no error: nothing to fix",
            hint="pipe in what went wrong (`make 2>&1 | codeassist fix --command make`)",
        )
    cfg = configuration.load()
    failure = core.Failure(command, exit_code, error)
    found = core.fix(failure, lambda: prepare.open_backend(cfg, model, endpoint), Path.cwd(),
                     prepare.options(cfg))  # fmt: skip
    if as_json:
        typer.echo(json.dumps(found.to_json()))
        return
    typer.echo(sanitize(found.command))  # for the command line: no control or bidi character
    if found.result is not None:
        from rich.console import Console

        from codeassist.commands._ui import report_checks, report_fixed

        notes = Console(stderr=True)
        report_fixed(found.result, notes)
        report_checks(found.result.checks, notes)
