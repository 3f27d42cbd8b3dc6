"""`codeassist risk "COMMAND"` / `--sql "STATEMENT"` / `--python CODE`: how risky it is to run,
and why. `-` reads the text from stdin."""

from __future__ import annotations

import json
import sys

import typer


def risk(
    text: str = typer.Argument(
        ..., help="A shell command line (SQL with --sql, Python with --python); - reads stdin."
    ),
    sql: bool = typer.Option(False, "--sql", help="Judge TEXT as SQL instead of shell."),
    python: bool = typer.Option(False, "--python", help="Judge TEXT as Python code."),
    dialect: str = typer.Option("sqlite", "--dialect", help="SQL dialect: sqlite, postgres…"),
    as_json: bool = typer.Option(
        False, "--json", help='Print {"level", "reasons", "touches"} as one JSON object.'
    ),
) -> None:
    """Say how risky a command or SQL statement is (low, medium, high), why, and what it touches.

    Nothing is run. The exit code is 0 whatever the level (2 for empty input): read the
    level from the output, e.g. with --json.
    """
    from codeassist.errors import UsageError
    from codeassist.safety.risk import assess_python, assess_shell, assess_sql

    if sql and python:
        raise UsageError("--sql and --python cannot go together", hint="pick the one TEXT is")
    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise UsageError("nothing to judge", hint='e.g. codeassist risk "rm -rf build"')
    if sql:
        from codeassist.safety import sql as sql_risk

        if not sql_risk.knows(dialect):
            raise UsageError(
                f"unknown SQL dialect {dialect!r}",
                hint="--dialect takes one of: " + ", ".join(sql_risk.dialects()),
            )
    if sql:
        found = assess_sql(text, dialect)
    else:
        found = assess_python(text) if python else assess_shell(text)
    if as_json:
        typer.echo(json.dumps(found.to_json()))
        return
    from rich.console import Console

    from codeassist.commands._ui import show_risk

    show_risk(found, Console(highlight=False, soft_wrap=True, file=sys.stdout), none_found=True)
