"""`codeassist doctor`: what runs the model here, how fast, and what is installed."""

from __future__ import annotations

import json

import typer


def doctor(
    bench: bool = typer.Option(True, "--bench/--no-bench", help="Measure tokens/s (a short run)."),
    tokens: int = typer.Option(32, "--tokens", min=2, help="Tokens to generate when measuring."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Report the llama.cpp backend (CPU/CUDA/Metal), GPU memory, models, server and speed."""
    from codeassist import config as configuration
    from codeassist.commands import _ui
    from codeassist.doctor import diagnose

    report = diagnose(configuration.load(), run_bench=bench, tokens=tokens)
    if as_json:
        typer.echo(json.dumps({"checks": report.data, "problems": report.problems}, indent=2))
    else:
        _ui.show_rows(report.rows, problems=report.problems)
    if report.problems:
        raise typer.Exit(1)
