"""Review a change: the rules (no model) on every file, then the model while time remains."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from codeassist.backends.base import Backend
from codeassist.errors import CodeassistError
from codeassist.review import leftovers, lint, model, risky, secrets, signatures
from codeassist.review.cache import Cache, key
from codeassist.review.diff import Change, FileChange, grep_side, read_side
from codeassist.review.findings import Finding, NotReviewed, Report, shown_path

BackendFactory = Callable[[], Backend]


@dataclass(frozen=True)
class Settings:
    timeout: float = 20.0  # seconds for the whole review, model loading included
    deadline: float | None = None  # time.monotonic() to stop at, when it began before review()
    model_id: str = ""  # names the model in cache keys; "" with no backend
    backend: BackendFactory | None = None  # None: rules only (--no-model)
    # Given the rules' report before the model runs (the hook shows it if the model hangs).
    rules_done: Callable[[Report], None] | None = None


def _rules(fc: FileChange, report: Report) -> list[Finding]:
    found: list[Finding] = []
    checks = (
        ("secrets", secrets.check), ("leftovers", leftovers.check), ("risk", risky.check),
        ("shellcheck", lint.check),
    )  # fmt: skip
    for name, check in checks:
        try:
            found.extend(check(fc))
        except ImportError:  # a missing part of codeassist is a bug: it must not pass unseen
            raise
        except Exception as exc:  # a check's own bug must not hide the others' findings
            report.not_reviewed.append(NotReviewed(fc.path, f"{name} check failed: {exc}"))
    return found


def _skip_reason(fc: FileChange) -> str | None:
    if fc.binary:
        return "binary file"
    if fc.too_large:
        return "file too large"
    if fc.submodule:
        return "submodule (a commit of another repository)"
    return None


def _why(exc: Exception) -> str:
    if isinstance(exc, CodeassistError):
        return exc.message
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _out_of_time(settings: Settings) -> str:
    return f"time budget of {settings.timeout:g} s ran out"


def review(change: Change, settings: Settings, cache: Cache | None = None) -> Report:
    """Findings for the change; whatever could not be reviewed is listed, never dropped."""
    start = time.monotonic()
    deadline = start + settings.timeout if settings.deadline is None else settings.deadline
    report = Report(files=len(change.files))
    todo: list[FileChange] = []
    for fc in change.files:
        reason = _skip_reason(fc)
        if reason:
            report.not_reviewed.append(NotReviewed(fc.path, reason))
            continue
        if fc.status == "deleted" or not fc.added:
            continue
        if time.monotonic() >= deadline:
            report.not_reviewed.append(NotReviewed(fc.path, _out_of_time(settings)))
            continue
        if not fc.utf8:
            said = f"{shown_path(fc.path)}: not UTF-8; reviewed with undecodable bytes replaced"
            report.notes.append(said)
        k = key("rules", fc.path, fc.old_blob, fc.new_blob) if fc.new_blob else None
        cached = cache.get(k) if cache and k else None
        if cached is not None:
            report.findings.extend(cached)
            report.cached += 1
        else:
            found = _rules(fc, report)
            report.findings.extend(found)
            if cache and k:
                cache.put(k, found)
        todo.append(fc)
    _signatures(change, todo, report, deadline, settings)
    if settings.backend is not None:
        if settings.rules_done is not None:
            settings.rules_done(_snapshot(report, start))
        _model(todo, report, deadline, settings, cache)
    if cache is not None and cache.note:
        report.notes.append(cache.note)
    report.sort()
    report.elapsed_s = time.monotonic() - start
    return report


def _snapshot(report: Report, start: float) -> Report:
    """A sorted copy of the report as it stands, for a caller to keep while the model runs."""
    copy = dataclasses.replace(report, findings=list(report.findings),
                               not_reviewed=list(report.not_reviewed), notes=list(report.notes),
                               elapsed_s=time.monotonic() - start)  # fmt: skip
    copy.sort()
    return copy


def _signatures(
    change: Change, files: list[FileChange], report: Report, deadline: float, settings: Settings
) -> None:
    for fc in files:
        if fc.suffix != ".py":
            continue
        if time.monotonic() >= deadline:
            report.not_reviewed.append(
                NotReviewed(fc.path, f"callers not checked: {_out_of_time(settings)}")
            )
            continue
        try:
            pairs = signatures.changed(fc)
            if not pairs:
                continue
            found, skipped = signatures.check(
                fc.path, pairs,
                lambda p: read_side(change.root, change.rev, p),
                lambda w: grep_side(change.root, change.rev, w),
            )  # fmt: skip
        except Exception as exc:
            report.not_reviewed.append(NotReviewed(fc.path, f"signature check failed: {exc}"))
            continue
        report.findings.extend(found)
        for name in skipped:
            report.not_reviewed.append(
                NotReviewed(fc.path, "too many files mention it to check them all", name)
            )


def _model(
    files: list[FileChange], report: Report, deadline: float, settings: Settings,
    cache: Cache | None,
) -> None:  # fmt: skip
    assert settings.backend is not None
    pending: list[tuple[FileChange, str | None]] = []
    for fc in files:
        if not model.items(fc):  # not code: the rules have covered it
            continue
        mk = key("model", fc.path, fc.old_blob, fc.new_blob, settings.model_id)
        cached = cache.get(mk) if cache and fc.new_blob else None
        if cached is not None:
            report.findings.extend(cached)
        else:
            pending.append((fc, mk if fc.new_blob else None))
    if not pending:
        return
    if time.monotonic() >= deadline:
        for fc, _ in pending:
            report.not_reviewed.append(NotReviewed(fc.path, f"model: {_out_of_time(settings)}"))
        return
    try:
        backend = settings.backend()
    except Exception as exc:  # missing, corrupt, unloadable, server gone: the rules still stand
        report.notes.append(f"model review skipped: {_why(exc)}")
        return
    for i, (fc, k) in enumerate(pending):
        found: list[Finding] = []
        items = model.items(fc)
        for j, item in enumerate(items):
            try:
                found.extend(model.review_item(backend, item, fc.new_text, deadline))
            except Exception as exc:  # out of time, or the backend failed mid-way
                why = _out_of_time(settings) if isinstance(exc, model.OutOfTime) else _why(exc)
                report.findings.extend(found)
                report.not_reviewed.extend(
                    NotReviewed(fc.path, f"model: {why}", rest.symbol) for rest in items[j:]
                )
                report.not_reviewed.extend(
                    NotReviewed(other.path, f"model: {why}") for other, _ in pending[i + 1 :]
                )
                return
        report.findings.extend(found)
        if cache and k:
            cache.put(k, found)
