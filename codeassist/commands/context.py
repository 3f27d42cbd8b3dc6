"""`codeassist context "REQUEST"`: show the repository context a request would carry."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer


def _counter(model: str) -> tuple[Any, str]:
    """The configured model's token counts (kept in the cache) when it is installed, else the
    byte estimate. The tokenizer itself is loaded only for texts not counted before."""
    from codeassist.backends.base import estimate_tokens
    from codeassist.errors import CodeassistError

    try:
        from codeassist import models
        from codeassist.ctx.counts import model_counter

        ref = models.resolve(model)

        def load() -> Any:
            from codeassist.backends.llamacpp import tokenizer

            return tokenizer(ref.path)

        return model_counter(ref.name or ref.path.stem, ref.path, load), f"the {ref.name} tokenizer"
    except (CodeassistError, ImportError, AttributeError, OSError, ValueError):
        return estimate_tokens, f"an estimate (about 4 bytes a token; model {model} not installed)"


def context(
    request: str = typer.Argument(
        "", help="What you want, in plain words (none: the stable part)."
    ),
    lang: str = typer.Option("auto", "--lang", "-l", help="Language: python|sql|shell|auto."),
    budget: int = typer.Option(None, "--budget", "-b", min=0, help="Most tokens of context."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Show what repository context a request would send to the model, and why."""
    from codeassist import config as configuration
    from codeassist.context import find_root, request_context
    from codeassist.pipeline import Request, resolve_language

    cfg = configuration.load()
    budget = cfg.context_budget if budget is None else budget
    count, counted_with = _counter(cfg.model)
    root = find_root(Path.cwd())
    lang = resolve_language(Request(request or "the repository", language=lang))
    found = request_context(root, request, lang, budget=budget, count_tokens=count, cwd=Path.cwd())
    if getattr(count, "loads", 1) == 0:
        counted_with += " (counts from the cache)"
    pack = found.specific
    if as_json:
        files = [f._asdict() for f in pack.files]
        typer.echo(json.dumps({
            "root": str(root), "language": lang, "budget": budget,
            "tokens": found.tokens, "counted_with": counted_with,
            "stable": found.stable, "stable_tokens": found.stable_tokens,
            "overview": found.overview, "files": files, "notes": pack.notes,
            "schema": found.schema or pack.schema, "text": pack.text, "facts": found.facts,
        }))  # fmt: skip
        return
    _show(root, lang, budget, counted_with, found)


def _show(root: Path, lang: str, budget: int, counted_with: str, found: Any) -> None:
    """The parts in prompt order, each under a `#` heading; notes on stderr."""
    from codeassist.terminal import sanitize

    # File names and contents are the repository's: sanitized (only ESC and C1 when piped).
    piped = not sys.stdout.isatty()
    pack = found.specific
    head = f"# {root}: {lang}, {found.tokens} of {budget} tokens, counted with {counted_with}"
    typer.echo(sanitize(head))
    typer.echo(
        f"# stable part, the same for every {lang} request here: {found.stable_tokens} tokens"
    )
    if found.overview:
        typer.echo(sanitize("# overview of " + ", ".join(found.overview)))
    typer.echo(sanitize(found.stable.rstrip("\n"), piped=piped))
    typer.echo(f"\n# this request's part: {pack.tokens} tokens")
    for f in pack.files:
        typer.echo(sanitize(f"# {f.tokens:6d} tokens  {f.path}  ({f.reason})"))
    if pack.text:
        typer.echo(sanitize(pack.text, piped=piped), nl=False)
    if found.facts:
        typer.echo(sanitize(found.facts, piped=piped))
    for note in pack.notes:
        typer.echo(sanitize(f"note: skipped {note}"), err=True)
