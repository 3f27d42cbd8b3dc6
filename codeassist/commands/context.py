"""`codeassist context`: what repository context a request would carry, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from codeassist.pipeline.grounding import Preview


def context(
    request: str = typer.Argument(
        "", help="What you want, in plain words (none: the stable part)."
    ),
    lang: str = typer.Option("auto", "--lang", "-l", help="Language: python|sql|shell|auto."),
    budget: int = typer.Option(None, "--budget", "-b", min=0, help="Most tokens of context."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    use_context: bool = typer.Option(
        None, "--context/--no-context", help="As gen's [default: inside git]."
    ),
) -> None:
    """Show what repository context a request would send to the model, and why."""
    from codeassist import config as configuration
    from codeassist.pipeline.grounding import preview

    cfg = configuration.load()
    configuration.check_option("--budget", "context_budget", budget, cfg.n_ctx)
    budget = cfg.context_budget if budget is None else budget
    shown = preview(Path.cwd(), request, budget, cfg.model, lang, enabled=cfg.context,
                    forced=use_context)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(shown.to_json()))
    else:
        show(shown)


def show(shown: Preview) -> None:
    """The parts in prompt order, each under a `#` heading; skipped files noted on stderr."""
    from codeassist.ctx.files import shown as as_text
    from codeassist.terminal import sanitize

    if shown.off:
        typer.echo(f"no repository context: {shown.off}")
        return
    found, piped = shown.found, not sys.stdout.isatty()
    pack, lang = found.specific, shown.language
    # File names and contents are the repository's: sanitized (only ESC and C1 when piped).
    counted = f"{found.tokens} of {shown.budget} tokens, counted with {shown.counted_with}"
    typer.echo(sanitize(f"# {as_text(str(shown.root))}: {lang}, {counted}"))
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
