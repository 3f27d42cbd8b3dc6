"""The installed hook's guard: a deadline from process start, a watchdog, and fail-open.

A commit waits at most the time budget, counted from this process's start (so Python's own
start counts), plus MARGIN_S. At the deadline the review stops where it is (the model between
tokens); a watchdog gives up on a worker stuck where it cannot stop (a load, a silent server)
and the process ends with os._exit, so no stuck thread or socket holds the commit at exit.
Whatever goes wrong (bad config, our own bug, the time), the verdict is "ok": the commit goes
ahead and the reason is said on `err`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from codeassist.review.findings import Report

MARGIN_S = 0.5  # past the time budget: for the report to be printed, before the watchdog fires


def since_start() -> float:
    """Seconds since this process started (Linux /proc), so the budget counts Python's start."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        with open("/proc/uptime", encoding="ascii") as f:
            return max(0.0, float(f.read().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return 0.0


def clamped(budget: float) -> float:
    """The budget as a wait can take it: 0 to MAX_HOOK_TIMEOUT (NaN or below 0 count as 0)."""
    from codeassist.config import MAX_HOOK_TIMEOUT

    return min(budget, MAX_HOOK_TIMEOUT) if budget >= 0 else 0.0


def leave(code: int) -> NoReturn:
    """Exit now: no wait for a model being freed, a stuck socket or thread at shutdown."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def guarded(
    kind: str, args: list[str], err: TextIO, environ: Mapping[str, str], *,
    strict: bool = False, timeout: float | None = None,
) -> str:  # fmt: skip
    """Run the `kind` hook within its budget: "block" (strict, error finding), else "ok".

    Returns by the deadline plus MARGIN_S even when the work is stuck; the caller must then
    end the process with leave(), as a stuck worker thread is still running.
    """
    from codeassist import config as configuration
    from codeassist.errors import CodeassistError
    from codeassist.terminal import sanitize

    what = "review" if kind == "pre-commit" else "commit message"
    try:
        budget = configuration.load().hook_timeout if timeout is None else timeout
    except CodeassistError as exc:
        err.write(f"codeassist: skipped {what}: {sanitize(exc.message)}\n")
        return "ok"
    if clamped(budget) != budget:  # --timeout, which the config's bounds do not check
        used = clamped(budget)
        err.write(f"codeassist: time budget {budget:g} s is out of range; using {used:g} s\n")
        budget = used
    deadline = time.monotonic() - since_start() + budget
    result: list[str] = []
    rules: list[Report] = []  # the rules' report, once they are done and the model starts

    def work() -> None:
        from codeassist.review import hookrun

        try:
            if kind == "pre-commit":
                said = hookrun.pre_commit(err, environ, strict=strict, timeout=budget,
                                          deadline=deadline, rules_done=rules.append)  # fmt: skip
                result.append(said)
            elif kind == "prepare-commit-msg":
                hookrun.prepare_commit_msg(err, environ, args, timeout=budget, deadline=deadline)
            else:
                err.write(f"codeassist: skipped: unknown hook type {kind!r}\n")
        except CodeassistError as exc:
            err.write(f"codeassist: skipped {what}: {sanitize(exc.message)}\n")
        except Exception as exc:  # fail open: our own bug must not block a commit
            err.write(f"codeassist: skipped {what}: internal error: {exc!r}\n")

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(max(0.0, deadline + MARGIN_S - time.monotonic()))
    if worker.is_alive() and rules:  # stuck in the model: the rules' findings still stand
        from codeassist.review import hookrun  # imported by the worker: no wait on its lock

        return hookrun.cut_short(err, rules[-1], budget, strict=strict)
    if worker.is_alive():  # stuck before (e.g. reading the change): let the commit go ahead
        err.write(f"codeassist: skipped {what}: time budget of {budget:g} s ran out\n")
        return "ok"
    return result[0] if result else "ok"
