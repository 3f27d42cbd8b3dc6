"""`codeassist hook install|uninstall`: git hooks that review and propose commit messages."""

from __future__ import annotations

import os
import sys
import threading

import typer

app = typer.Typer(
    help="Git hooks: review staged changes, propose commit messages.", no_args_is_help=True
)
TYPES = "pre-commit|prepare-commit-msg"
GRACE_S = 5.0  # beyond the time budget, for loading and cleanup, before the watchdog fires


def _exe() -> str:
    """The codeassist next to this interpreter (the hook calls it by absolute path)."""
    here = os.path.join(os.path.dirname(sys.executable), "codeassist")
    return here if os.access(here, os.X_OK) else "codeassist"


@app.command("install")
def install(
    kind: str = typer.Option("pre-commit", "--type", "-t", help=f"Hook type: {TYPES}."),
    strict: bool = typer.Option(False, "--strict", help="Block commits with error findings."),
    timeout: float = typer.Option(None, "--timeout", min=0.0, help="Seconds per run."),
) -> None:
    """Install a hook in this repository (core.hooksPath respected; an existing hook is kept)."""
    from codeassist.review import hooks

    outcome = hooks.install(kind, _exe(), strict=strict, timeout=timeout)
    extra = " (the existing hook still runs first)" if outcome.action == "chained" else ""
    typer.echo(f"{outcome.action} {kind} hook: {outcome.path}{extra}", err=True)


@app.command("uninstall")
def uninstall(
    kind: str = typer.Option("pre-commit", "--type", "-t", help=f"Hook type: {TYPES}."),
) -> None:
    """Remove the hook and restore the one that was there before, exactly."""
    from codeassist.review import hooks

    outcome = hooks.uninstall(kind)
    said = {
        "absent": "no hook installed at",
        "removed": "removed",
        "restored": "restored previous hook:",
    }
    typer.echo(f"{said[outcome.action]} {outcome.path}", err=True)


@app.command("run", hidden=True)
def run(
    kind: str = typer.Argument(..., help=f"Hook type: {TYPES}."),
    args: list[str] = typer.Argument(None, help="The arguments git gave the hook."),  # noqa: B008
    strict: bool = typer.Option(False, "--strict"),
    timeout: float = typer.Option(None, "--timeout", min=0.0),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 to block (pre-commit.com)."),
) -> None:
    """What the installed hook calls. Exits 0; prints "block" on stdout to block (or exits 1)."""
    from codeassist import config as configuration
    from codeassist.errors import CodeassistError
    from codeassist.terminal import sanitize

    what = "review" if kind == "pre-commit" else "commit message"
    try:
        budget = configuration.load().hook_timeout if timeout is None else timeout
    except CodeassistError as exc:
        sys.stderr.write(f"codeassist: skipped {what}: {sanitize(exc.message)}\n")
        return
    result: list[str] = []

    def work() -> None:
        from codeassist.review import hookrun

        try:
            if kind == "pre-commit":
                result.append(hookrun.pre_commit(sys.stderr, os.environ, strict=strict,
                                                 timeout=budget))  # fmt: skip
            elif kind == "prepare-commit-msg":
                hookrun.prepare_commit_msg(sys.stderr, os.environ, args or [], timeout=budget)
            else:
                sys.stderr.write(f"codeassist: skipped: unknown hook type {kind!r}\n")
        except CodeassistError as exc:
            sys.stderr.write(f"codeassist: skipped {what}: {sanitize(exc.message)}\n")
        except Exception as exc:  # fail open: our own bug must not block a commit
            sys.stderr.write(f"codeassist: skipped {what}: internal error: {exc!r}\n")

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(budget + GRACE_S)
    if worker.is_alive():  # stuck (e.g. loading a model): give up, let the commit go ahead
        sys.stderr.write(f"codeassist: skipped {what}: timed out after {budget:g} s\n")
        sys.stderr.flush()
        os._exit(0)
    if result == ["block"]:
        if exit_code:
            raise typer.Exit(1)
        typer.echo("block")
