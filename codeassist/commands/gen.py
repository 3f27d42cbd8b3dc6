"""`codeassist gen "REQUEST"`: one-shot generation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from codeassist.commands._options import not_empty, one_schema

LANGS = "python|sql|shell|auto"


def gen(
    request: str = typer.Argument(..., help="What you want, in plain words ('-': from stdin)."),
    lang: str = typer.Option("auto", "--lang", "-l", help=f"Language: {LANGS}."),
    model: str = typer.Option(
        None, "--model", "-m", callback=not_empty, help="Model name or path to a .gguf."
    ),
    endpoint: str = typer.Option(
        None, "--endpoint", callback=not_empty, help="OpenAI-compatible server URL."
    ),
    schema: Path = typer.Option(
        None, "--schema", readable=False, help="A .sql file with the database schema."
    ),
    db: str = typer.Option(
        None, "--db", callback=not_empty, help="Database (SQLite path or URL), opened read-only."
    ),
    context: bool = typer.Option(
        None, "--context/--no-context", help="Ground in the repository [default: inside git]."
    ),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check the code, repair it."),
    explain: bool = typer.Option(False, "--explain", help="Also explain the code (on stderr)."),
    run: bool = typer.Option(
        False, "--run", help="Offer to run the code: shows its risk, asks first, never unasked."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    max_tokens: int = typer.Option(None, "--max-tokens", help="Most tokens to generate."),
    temperature: float = typer.Option(None, "--temperature", help="0 = deterministic (at most 2)."),
    samples: str = typer.Option(
        None, "--samples", metavar="K", help="Best of K (1-16, auto) unless checks confirm one."
    ),
) -> None:
    """Turn a request into Python, SQL or shell code."""
    from codeassist import config
    from codeassist.commands import _ui
    from codeassist.errors import UsageError
    from codeassist.pipeline.prepare import Ask, prepare

    one_schema(schema, db)
    if request == "-":  # as check, explain and risk read it
        request = _request_from_stdin(run)
    if run and as_json:
        raise UsageError(
            "--run and --json cannot go together: --run asks before it runs",
            hint="drop --json to be asked, or run the code from the JSON yourself",
        )
    ask = Ask(request, lang, Path.cwd(), explain=explain, verify=verify, model=model,
              endpoint=endpoint, schema_file=schema, db=db, context=context,
              max_tokens=max_tokens, temperature=temperature, samples=samples)  # fmt: skip
    ready = prepare(config.load(), ask)
    if run:  # SQL is never run by codeassist: say so before the model answers, not after
        from codeassist.safety.execute import check_runnable

        check_runnable(ready.language)
    sent = ready.request.schema_sent
    if sent and sent.note and not as_json:
        typer.echo(sent.note, err=True)  # "schema: 12 of 300 tables sent; --json lists the rest"
    if as_json:
        from codeassist import pipeline

        typer.echo(json.dumps(pipeline.run(ready.request, ready.backend).to_json()))
        return
    result = _ui.show_generation(ready, explain)
    if run:
        from rich.console import Console

        status = _ui.confirm_and_run(result.code, result.language, Console(stderr=True),
                                     _ui.ask_on_stderr)  # fmt: skip
        raise typer.Exit(status)


def _request_from_stdin(run: bool) -> str:
    """The request piped in for `gen -`; a terminal there, or --run (which asks on stdin), is a
    usage error."""
    from codeassist.errors import UsageError

    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(
            "'-' reads the request from stdin, and stdin is a terminal",
            hint='pipe it in (echo "list files by size" | codeassist gen -), or give it as words',
        )
    if run:
        raise UsageError(
            "--run asks on stdin, so the request cannot come from it too",
            hint="give the request as an argument",
        )
    return sys.stdin.read()
