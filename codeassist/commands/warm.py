"""`codeassist warm`: have the resident server evaluate this directory's prompt prefix now."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from codeassist.commands._options import not_empty, one_schema

HINT = "start one with `codeassist serve --detach`; the shell widget then warms it by itself"


def warm(
    lang: str = typer.Option("shell", "--lang", "-l", help="Language: shell|python|sql."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing, whatever happens."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    start: bool = typer.Option(
        False, "--start", help="Start the server first when none runs (serve --detach)."
    ),
    schema: Path = typer.Option(None, "--schema", help="SQL: a .sql file with the schema."),
    db: str = typer.Option(
        None, "--db", callback=not_empty, help="SQL: the database (SQLite path or URL)."
    ),
) -> None:
    """Evaluate the prompt's stable part for this directory in the running server, if any.

    The shell widget runs it in the background at load and on each `cd`, so the first
    request in a repository finds its context already evaluated. With no server, does nothing.
    """
    if quiet:
        _silence()
    from codeassist import config
    from codeassist.errors import CodeassistError, Exit, UsageError
    from codeassist.serve.warm import summary
    from codeassist.serve.warm import warm as send
    from codeassist.terminal import sanitize

    try:
        if (schema or db) and lang != "sql":
            raise UsageError(
                "--db and --schema are for SQL", hint="add --lang sql, or leave them out"
            )
        one_schema(schema, db)
        done = send(config.load(), Path.cwd(), lang, start=start, schema_file=schema, db=db)
    except CodeassistError as exc:
        if quiet:
            raise typer.Exit(int(exc.exit_code)) from None
        raise
    except Exception:  # noqa: BLE001 - a background warm must never show a traceback
        if quiet:
            raise typer.Exit(int(Exit.FAILURE)) from None
        raise
    if quiet:
        return
    if as_json:
        typer.echo(json.dumps(done.to_json()))
    elif done.skipped:
        typer.echo(f"{done.note}: nothing to warm", err=True)
        if done.skipped == "no_server":
            typer.echo(f"hint: {HINT}", err=True)
    else:
        typer.echo(sanitize(summary(done)))


def _silence() -> None:
    """Point stdout and stderr at /dev/null: nothing reaches a terminal, not even a warning."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
        os.dup2(devnull, stream.fileno())
    os.close(devnull)
