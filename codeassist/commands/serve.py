"""`codeassist serve`: keep a model loaded on a private socket; `--status`, `--stop`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from codeassist.commands._options import not_empty


def serve(
    model: str = typer.Option(
        None, "--model", "-m", callback=not_empty, help="Model name or path to a .gguf."
    ),
    socket: Path = typer.Option(None, "--socket", help="Socket path (default: runtime dir)."),
    idle_timeout: float = typer.Option(
        None, "--idle-timeout", help="Exit after this many idle seconds."
    ),
    detach: bool = typer.Option(False, "--detach", "-d", help="Run in the background."),
    status: bool = typer.Option(False, "--status", help="Show the running server and exit."),
    stop: bool = typer.Option(False, "--stop", help="Stop the running server and exit."),
) -> None:
    """Keep a model loaded so gen, the shell widget, the repl and the hook start at once."""
    from codeassist.errors import UsageError
    from codeassist.serve import control

    where = control.target(model, socket, idle_timeout)
    spec, path = where.spec, where.path
    if sum((status, stop, detach)) > 1:
        raise UsageError(
            "--status, --stop and --detach cannot go together",
            hint="ask one thing at a time, e.g. `codeassist serve --stop`",
        )
    if status:
        info = control.status(path)
        if info is None:
            from codeassist.serve import protocol

            pid = protocol.owner(path) if protocol.alive(path) else None
            said = f"no server for {spec} on {path}" if pid is None else (
                f"the server on {path} (pid {pid}) does not answer: it is stopped or stuck; "
                "`codeassist serve --stop` ends it"
            )  # fmt: skip
            typer.echo(said, err=True)
            raise typer.Exit(1)
        info["fork_server"] = control.fork_server()
        typer.echo(json.dumps(info, indent=2))
    elif stop:
        stopped = control.stop(path)
        typer.echo(f"stopped the server on {path}" if stopped else f"no server on {path}", err=True)
    elif detach:
        typer.echo(f"serving {spec} on {path} (pid {control.detach(where)})", err=True)
    else:
        control.run(
            where,
            loading=lambda: typer.echo(f"loading {spec}…", err=True),
            ready=lambda: typer.echo(f"serving on {path}", err=True),
            log=lambda line: typer.echo(f"codeassist serve: {line}", err=True),
        )
