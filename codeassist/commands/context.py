"""`codeassist context`: what repository context a request would carry, and why."""

from __future__ import annotations

import json
from pathlib import Path

import typer


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
    from codeassist.commands import _ui
    from codeassist.pipeline.grounding import preview

    cfg = configuration.load()
    budget = cfg.context_budget if budget is None else budget
    shown = preview(Path.cwd(), request, budget, cfg.model, lang, enabled=cfg.context,
                    forced=use_context)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(shown.to_json()))
    else:
        _ui.show_context(shown)
