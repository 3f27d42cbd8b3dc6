"""`codeassist gen "REQUEST"`: one-shot generation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

LANGS = "python|sql|shell|auto"


def gen(
    request: str = typer.Argument(..., help="What you want, in plain words."),
    lang: str = typer.Option("auto", "--lang", "-l", help=f"Language: {LANGS}."),
    model: str = typer.Option(None, "--model", "-m", help="Model name or path to a .gguf."),
    endpoint: str = typer.Option(None, "--endpoint", help="OpenAI-compatible server URL."),
    schema: Path = typer.Option(None, "--schema", help="A .sql file with the database schema."),
    db: str = typer.Option(
        None, "--db", help="A database (SQLite path or URL) to read the schema from."
    ),
    explain: bool = typer.Option(False, "--explain", help="Also explain the code (on stderr)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    max_tokens: int = typer.Option(None, "--max-tokens", min=1, help="Most tokens to generate."),
    temperature: float = typer.Option(
        None, "--temperature", min=0.0, max=2.0, help="0 = deterministic."
    ),
) -> None:
    """Turn a request into Python, SQL or shell code."""
    from codeassist import config as configuration
    from codeassist import pipeline
    from codeassist.backends.base import Options
    from codeassist.backends.select import open_backend
    from codeassist.commands import render
    from codeassist.schema import dialect_of, read_database_schema, read_schema_file

    cfg = configuration.load()
    options = Options(
        max_tokens=max_tokens or cfg.max_tokens,
        temperature=cfg.temperature if temperature is None else temperature,
    )
    ddl = "\n".join([read_schema_file(schema)] if schema else []) + (
        read_database_schema(db) if db else ""
    )
    req = pipeline.Request(
        request, language=lang, explain=explain, schema=ddl, dialect=dialect_of(db),
        cwd=Path.cwd(), options=options,
    )  # fmt: skip
    target = pipeline.resolve_language(req)  # reject bad input before loading a model
    backend = open_backend(cfg, model=model, endpoint=endpoint)
    if as_json:
        result = pipeline.run(req, backend)
        typer.echo(json.dumps(result.to_json()))
        return
    if sys.stdout.isatty():
        result = render.stream_code(req, backend, target)
    else:
        result = pipeline.run(req, backend)
        typer.echo(result.code)
    if explain and result.explanation:
        typer.echo(result.explanation, err=True)
