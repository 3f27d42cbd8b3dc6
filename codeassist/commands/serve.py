"""`codeassist serve`: keep a model loaded on a private socket; `--status`, `--stop`."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def serve(
    model: str = typer.Option(None, "--model", "-m", help="Model name or path to a .gguf."),
    socket: Path = typer.Option(None, "--socket", help="Socket path (default: runtime dir)."),
    idle_timeout: float = typer.Option(
        None, "--idle-timeout", help="Exit after this many idle seconds."
    ),
    detach: bool = typer.Option(False, "--detach", "-d", help="Run in the background."),
    status: bool = typer.Option(False, "--status", help="Show the running server and exit."),
    stop: bool = typer.Option(False, "--stop", help="Stop the running server and exit."),
) -> None:
    """Keep a model loaded so gen, the shell widget, the repl and the hook start at once."""
    from codeassist import config as configuration
    from codeassist.serve import control

    cfg = configuration.load()
    configuration.check_option("--idle-timeout", "serve_idle_timeout", idle_timeout)
    spec = model or cfg.model
    path = socket or control.default_socket(spec)
    if status:
        info = control.status(path)
        if info is None:
            typer.echo(f"no server for {spec} on {path}", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(info, indent=2))
        return
    if stop:
        stopped = control.stop(path)
        typer.echo(f"stopped the server on {path}" if stopped else f"no server on {path}", err=True)
        return
    idle = cfg.serve_idle_timeout if idle_timeout is None else idle_timeout
    if detach:
        pid = control.detach(spec, path, idle)
        typer.echo(f"serving {spec} on {path} (pid {pid})", err=True)
        return
    control.preflight(path)
    typer.echo(f"loading {spec}…", err=True)
    control.run(
        cfg, spec, path, idle,
        ready=lambda: typer.echo(f"serving on {path}", err=True),
        log=lambda line: typer.echo(f"codeassist serve: {line}", err=True),
    )  # fmt: skip
