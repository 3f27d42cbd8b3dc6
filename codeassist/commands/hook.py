"""`codeassist hook install|uninstall`: git hooks that review and propose commit messages."""

from __future__ import annotations

import os
import sys
from typing import NoReturn, TextIO

import typer

from codeassist.terminal import sanitize

app = typer.Typer(
    help="Git hooks: review staged changes, propose commit messages.", no_args_is_help=True
)
TYPES = "pre-commit|prepare-commit-msg"


def _exe() -> str:
    """The codeassist next to this interpreter (the hook calls it by absolute path)."""
    here = os.path.join(os.path.dirname(sys.executable), "codeassist")
    return here if os.access(here, os.X_OK) else "codeassist"


@app.command("install")
def install(
    kind: str = typer.Option("pre-commit", "--type", "-t", help=f"Hook type: {TYPES}."),
    strict: bool = typer.Option(False, "--strict", help="Block commits with error findings."),
    timeout: float = typer.Option(None, "--timeout", help="Seconds per run."),
    force: bool = typer.Option(
        False, "--force", help="Install into a hooks directory the repository tracks or shares."
    ),
) -> None:
    """Install a hook in this repository (core.hooksPath respected; an existing hook is kept)."""
    from codeassist.config import check_option
    from codeassist.review import hooks

    check_option("--timeout", "hook_timeout", timeout)
    outcome = hooks.install(kind, _exe(), strict=strict, timeout=timeout, force=force)
    extra = " (the existing hook still runs first)" if outcome.action == "chained" else ""
    typer.echo(sanitize(f"{outcome.action} {kind} hook: {outcome.path}{extra}"), err=True)


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
    typer.echo(sanitize(f"{said[outcome.action]} {outcome.path}"), err=True)


@app.command("run", hidden=True)
def run(
    kind: str = typer.Argument(..., help=f"Hook type: {TYPES}."),
    args: list[str] = typer.Argument(None, help="The arguments git gave the hook."),  # noqa: B008
    strict: bool = typer.Option(False, "--strict"),
    timeout: str = typer.Option(None, "--timeout", help="Seconds (config hook_timeout)."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 to block (pre-commit.com)."),
) -> None:
    """What the installed hook calls. Exits 0; prints "block" on stdout to block (or exits 1).

    The commit waits at most the time budget plus half a second (codeassist.review.watchdog);
    every failure of ours lets it go ahead: with --exit-code, only a block exits non-zero.
    """
    from codeassist.review import watchdog

    what = "review" if kind == "pre-commit" else "commit message"
    try:
        seconds = None if timeout is None else float(timeout)
    except ValueError:
        _skipped(what, f"--timeout takes seconds, not {timeout!r}")
    # llama.cpp's quiet load points fds 1 and 2 (and sys.stdout, sys.stderr) at /dev/null
    # until it returns: what a hook says while a load runs past its budget needs fds of its own
    out, err = _own(sys.stdout), _own(sys.stderr)
    try:
        verdict = watchdog.guarded(kind, args or [], err, os.environ, strict=strict,
                                   timeout=seconds)  # fmt: skip
    except Exception as exc:  # fail open: our own bug must not block a commit
        _skipped(what, f"internal error: {exc!r}", err)
    if verdict == "block":
        if exit_code:
            watchdog.leave(1)
        out.write("block\n")
        out.flush()
    watchdog.leave(0)


def _own(stream: TextIO) -> TextIO:
    """A line-buffered stream on a duplicate of `stream`'s fd; `stream` itself without one."""
    try:
        fd = os.dup(stream.fileno())
    except (OSError, ValueError, AttributeError):  # no fd (a test's StringIO), or closed
        return stream
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return open(fd, "w", encoding=encoding, errors="backslashreplace", buffering=1)  # noqa: SIM115


def _skipped(what: str, why: str, err: TextIO | None = None) -> NoReturn:
    """Say why the hook did nothing, and let the commit go ahead."""
    from codeassist.review import watchdog

    said = err or sys.stderr
    said.write(sanitize(f"codeassist: skipped {what}: {why}") + "\n")
    said.flush()
    watchdog.leave(0)
