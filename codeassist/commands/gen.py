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
    db: str = typer.Option(None, "--db", help="Database (SQLite path or URL), opened read-only."),
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
) -> None:
    """Turn a request into Python, SQL or shell code."""
    from codeassist import config as configuration
    from codeassist import pipeline
    from codeassist.backends.base import Options
    from codeassist.backends.select import open_backend
    from codeassist.commands import _ui as render
    from codeassist.pipeline import grounding
    from codeassist.terminal import sanitize

    cfg = configuration.load()
    configuration.check_option("--max-tokens", "max_tokens", max_tokens, cfg.n_ctx)
    configuration.check_option("--temperature", "temperature", temperature)
    options = Options(
        max_tokens=cfg.max_tokens if max_tokens is None else max_tokens,
        temperature=cfg.temperature if temperature is None else temperature,
    )
    req = pipeline.Request(request, language=lang, explain=explain, cwd=Path.cwd(),
                           options=options, verify=verify)  # fmt: skip
    target = pipeline.resolve_language(req)  # reject bad input before loading a model
    req = grounding.with_schema(req, schema, db, budget=cfg.schema_budget)
    if req.schema_sent and req.schema_sent.note and not as_json:
        typer.echo(req.schema_sent.note, err=True)
    backend = open_backend(cfg, model=model, endpoint=endpoint)
    if cfg.context and grounding.wants_context(req.cwd or Path.cwd(), context):
        req = grounding.with_context(req, backend, target, cfg.context_budget)
    if as_json:
        typer.echo(json.dumps(pipeline.run(req, backend).to_json()))
        return
    if sys.stdout.isatty():
        result = render.stream_code(req, backend, target)
    else:
        result = pipeline.run(req, backend)
        typer.echo(sanitize(result.code, piped=True))  # bare code, but no raw ESC or C1
        from rich.console import Console

        render.report_checks(result.checks, Console(stderr=True))
    if explain and result.explanation:
        typer.echo(sanitize(result.explanation), err=True)
    if run:
        from rich.console import Console

        from codeassist.safety.execute import ask_on_stderr, confirm_and_run

        console = Console(stderr=True)
        raise typer.Exit(confirm_and_run(result.code, result.language, console, ask_on_stderr))
