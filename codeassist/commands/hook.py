"""`codeassist hook install|uninstall`: git hooks that review and propose commit messages."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from codeassist.review.findings import Report

app = typer.Typer(
    help="Git hooks: review staged changes, propose commit messages.", no_args_is_help=True
)
TYPES = "pre-commit|prepare-commit-msg"
MARGIN_S = 0.5  # past the time budget: for the report to be printed, before the watchdog fires


def _exe() -> str:
    """The codeassist next to this interpreter (the hook calls it by absolute path)."""
    here = os.path.join(os.path.dirname(sys.executable), "codeassist")
    return here if os.access(here, os.X_OK) else "codeassist"


@app.command("install")
def install(
    kind: str = typer.Option("pre-commit", "--type", "-t", help=f"Hook type: {TYPES}."),
    strict: bool = typer.Option(False, "--strict", help="Block commits with error findings."),
    timeout: float = typer.Option(None, "--timeout", help="Seconds per run."),
) -> None:
    """Install a hook in this repository (core.hooksPath respected; an existing hook is kept)."""
    from codeassist.config import check_option
    from codeassist.review import hooks

    check_option("--timeout", "hook_timeout", timeout)
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


def _since_start() -> float:
    """Seconds since this process started (Linux /proc), so the budget counts Python's start."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        with open("/proc/uptime", encoding="ascii") as f:
            return max(0.0, float(f.read().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return 0.0


def _leave(code: int) -> NoReturn:
    """Exit now: no wait for a model being freed, a stuck socket or thread at shutdown."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@app.command("run", hidden=True)
def run(
    kind: str = typer.Argument(..., help=f"Hook type: {TYPES}."),
    args: list[str] = typer.Argument(None, help="The arguments git gave the hook."),  # noqa: B008
    strict: bool = typer.Option(False, "--strict"),
    timeout: float = typer.Option(None, "--timeout", min=0.0),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 to block (pre-commit.com)."),
) -> None:
    """What the installed hook calls. Exits 0; prints "block" on stdout to block (or exits 1).

    The commit waits at most the time budget, counted from this process's start, plus
    MARGIN_S: at the deadline the review stops where it is (the model between tokens), and a
    watchdog ends the process if it is stuck where it cannot stop (a load, a silent server).
    """
    from codeassist import config as configuration
    from codeassist.errors import CodeassistError
    from codeassist.terminal import sanitize

    what = "review" if kind == "pre-commit" else "commit message"
    try:
        budget = configuration.load().hook_timeout if timeout is None else timeout
    except CodeassistError as exc:
        sys.stderr.write(f"codeassist: skipped {what}: {sanitize(exc.message)}\n")
        _leave(0)
    deadline = time.monotonic() - _since_start() + budget
    result: list[str] = []
    rules: list[Report] = []  # the rules' report, once they are done and the model starts

    def work() -> None:
        from codeassist.review import hookrun

        try:
            if kind == "pre-commit":
                result.append(hookrun.pre_commit(sys.stderr, os.environ, strict=strict,
                                                 timeout=budget, deadline=deadline,
                                                 rules_done=rules.append))  # fmt: skip
            elif kind == "prepare-commit-msg":
                hookrun.prepare_commit_msg(sys.stderr, os.environ, args or [], timeout=budget,
                                           deadline=deadline)  # fmt: skip
            else:
                sys.stderr.write(f"codeassist: skipped: unknown hook type {kind!r}\n")
        except CodeassistError as exc:
            sys.stderr.write(f"codeassist: skipped {what}: {sanitize(exc.message)}\n")
        except Exception as exc:  # fail open: our own bug must not block a commit
            sys.stderr.write(f"codeassist: skipped {what}: internal error: {exc!r}\n")

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(max(0.0, deadline + MARGIN_S - time.monotonic()))
    verdict = result[0] if result else "ok"
    if worker.is_alive() and rules:  # stuck in the model: the rules' findings still stand
        from codeassist.review import hookrun  # imported by the worker: no wait on its lock

        verdict = hookrun.cut_short(sys.stderr, rules[-1], budget, strict=strict)
    elif worker.is_alive():  # stuck before (e.g. reading the change): let the commit go ahead
        sys.stderr.write(f"codeassist: skipped {what}: time budget of {budget:g} s ran out\n")
        _leave(0)
    if verdict == "block":
        if exit_code:
            _leave(1)
        typer.echo("block")
    _leave(0)
