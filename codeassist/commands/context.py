"""`codeassist context "REQUEST"`: show the repository context a request would carry."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import typer


def _counter(model: str) -> tuple[Callable[[str], int], str]:
    """The configured model's tokenizer when it is installed, else the byte estimate."""
    from codeassist.backends.base import estimate_tokens
    from codeassist.errors import CodeassistError

    try:
        from codeassist import models
        from codeassist.backends.llamacpp import tokenizer

        ref = models.resolve(model)
        return tokenizer(ref.path), f"the {ref.name} tokenizer"
    except (CodeassistError, ImportError, AttributeError, OSError, ValueError):
        return estimate_tokens, f"an estimate (about 4 bytes a token; model {model} not installed)"


def context(
    request: str = typer.Argument(..., help="What you want, in plain words."),
    budget: int = typer.Option(None, "--budget", "-b", min=0, help="Most tokens of context."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Show what repository context a request would send to the model, and why."""
    from codeassist import config as configuration
    from codeassist.context import build_context, find_root
    from codeassist.pipeline.language import detect
    from codeassist.terminal import sanitize

    cfg = configuration.load()
    budget = cfg.context_budget if budget is None else budget
    count, counted_with = _counter(cfg.model)
    root = find_root(Path.cwd())
    lang = detect(request)
    pack = build_context(
        root, request, budget=budget, count_tokens=count, cwd=Path.cwd(), language=lang
    )
    if as_json:
        files = [f._asdict() for f in pack.files]
        typer.echo(json.dumps({
            "root": str(root), "budget": budget, "tokens": pack.tokens,
            "counted_with": counted_with, "files": files, "notes": pack.notes,
            "schema": pack.schema, "text": pack.text,
        }))  # fmt: skip
        return
    # File names and contents are the repository's: sanitized (only ESC and C1 when piped).
    piped = not sys.stdout.isatty()
    typer.echo(sanitize(f"# {root}: {pack.tokens} of {budget} tokens, counted with {counted_with}"))
    for f in pack.files:
        typer.echo(sanitize(f"# {f.tokens:6d} tokens  {f.path}  ({f.reason})"))
    typer.echo("")
    typer.echo(sanitize(pack.text, piped=piped), nl=False)
    if pack.schema:
        typer.echo(f"\n# schema found in the repository ({lang} request):")
        typer.echo(sanitize(pack.schema, piped=piped))
    for note in pack.notes:
        typer.echo(sanitize(f"note: skipped {note}"), err=True)
