"""What the installed hooks do when git runs them. Every path ends in "go ahead"."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from codeassist import config as configuration
from codeassist.errors import CodeassistError
from codeassist.review import commitmsg, findings
from codeassist.review.cache import Cache
from codeassist.review.diff import open_repo, read_change
from codeassist.review.engine import review
from codeassist.review.hooks import skip_reason
from codeassist.review.session import settings
from codeassist.terminal import sanitize

MAX_SHOWN = 40  # findings shown by the hook; the rest are counted


def render_for_hook(report: findings.Report) -> str:
    """Findings in full (up to MAX_SHOWN), what was not reviewed summed up by reason."""
    shown = findings.Report(findings=report.findings[:MAX_SHOWN])
    lines = [findings.render(shown)] if shown.findings else []
    if len(report.findings) > MAX_SHOWN:
        lines.append(f"codeassist: … and {len(report.findings) - MAX_SHOWN} more findings")
    if len(report.not_reviewed) <= 5:
        for n in report.not_reviewed:
            path = findings.shown_path(n.path)
            where = f"{path} ({n.symbol})" if n.symbol else path
            lines.append(f"codeassist: not reviewed: {where}: {n.reason}")
    else:
        for reason, count in Counter(n.reason for n in report.not_reviewed).most_common():
            lines.append(f"codeassist: not reviewed: {count} files or symbols: {reason}")
    lines.extend(f"codeassist: {note}" for note in report.notes)
    if not report.findings and not report.not_reviewed:
        lines.append(
            f"codeassist: reviewed {report.files} file(s), no findings ({report.elapsed_s:.1f} s)"
        )
    return sanitize("\n".join(lines)) + "\n"  # paths from the diff, messages from the model


def model_for_hook(cfg: configuration.Config) -> tuple[bool, str]:
    """Use the model in the hook? With `hook_model = "warm"`, only if it answers without a load."""
    if cfg.hook_model == "never":
        return False, ""
    if cfg.hook_model == "always":
        return True, ""
    from codeassist.backends.select import warm

    if warm(cfg):
        return True, ""
    return False, (
        "no resident server runs, and a commit should not wait for a model load "
        '(start one with `codeassist serve --detach`, or set hook_model = "always")'
    )


def pre_commit(
    err: TextIO, environ: Mapping[str, str], *, strict: bool = False,
    timeout: float | None = None, deadline: float | None = None,
    rules_done: Callable[[findings.Report], None] | None = None,
) -> str:  # fmt: skip
    """Review the staged change; "block" only with strict and an error finding, else "ok"."""
    repo = open_repo()
    reason = skip_reason(Path(repo.git_dir), dict(environ))
    if reason:
        err.write(f"codeassist: skipped review: {reason}\n")
        return "ok"
    cfg = configuration.load()
    change = read_change()
    if not change.files:
        err.write("codeassist: skipped review: nothing staged\n")
        return "ok"
    use_model, why_not = model_for_hook(cfg)
    cache = Cache()
    try:
        s = settings(cfg, timeout=timeout, use_model=use_model, deadline=deadline)
        s = dataclasses.replace(s, rules_done=rules_done)
        report = review(change, s, cache)
    finally:
        cache.close()

    if (
        report.not_reviewed
        and all("time budget" in n.reason for n in report.not_reviewed)
        and len({n.path for n in report.not_reviewed}) == len(change.files)
        and not report.findings
    ):
        why = sanitize(report.not_reviewed[0].reason.removeprefix("model: "))
        err.write(f"codeassist: skipped review: {why} ({len(change.files)} file(s) not reviewed)\n")
        return "ok"
    if why_not:
        err.write(f"codeassist: model review skipped: {why_not}\n")
    return _verdict(err, report, strict)


def _verdict(err: TextIO, report: findings.Report, strict: bool) -> str:
    err.write(render_for_hook(report))
    if strict and report.errors:
        err.write(f"codeassist: commit blocked: {report.errors} error finding(s) (--strict)\n")
        return "block"
    return "ok"


def cut_short(
    err: TextIO, rules: findings.Report | None, budget: float, *, strict: bool = False
) -> str:
    """What the hook says when its time ran out in a model that would not stop: the rules' part."""
    out_of_time = f"time budget of {budget:g} s ran out"
    if rules is None:
        err.write(f"codeassist: skipped review: {out_of_time}\n")
        return "ok"
    rules.notes.append(f"model review skipped: {out_of_time}")
    return _verdict(err, rules, strict)


def prepare_commit_msg(
    err: TextIO, environ: Mapping[str, str], args: list[str], *, timeout: float | None = None,
    deadline: float | None = None,
) -> None:  # fmt: skip
    """Propose a message when the user gave none; -m, merges, squashes and amends are left alone."""
    message_file, source = (args + ["", ""])[:2]
    if not message_file or source:
        return
    repo = open_repo()
    reason = skip_reason(Path(repo.git_dir), dict(environ))
    if reason:
        err.write(f"codeassist: no commit message proposed: {reason}\n")
        return
    cfg = configuration.load()
    budget = cfg.hook_timeout if timeout is None else timeout
    deadline = time.monotonic() + budget if deadline is None else deadline
    change = read_change()
    if not change.files:
        return
    backend = None
    opener = settings(cfg, timeout=budget).backend
    if opener is not None:
        try:
            backend = opener()
        except CodeassistError as exc:
            said = sanitize(exc.message)
            err.write(f"codeassist: commit message from file names ({said})\n")
    message, _origin = commitmsg.propose(change, backend, deadline)
    commitmsg.write(message_file, message)
