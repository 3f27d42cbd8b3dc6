"""Install and uninstall the git hooks, chaining to whatever hook was there before.

The hook is a small POSIX shell script. It runs the previous hook first (its exit code
stands; a shell script still sees its own path as `$0`, see chaining.py), then codeassist,
and fails open: if codeassist is missing, crashes or hangs, the
commit goes ahead with one line saying the review was skipped and why.
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from codeassist.errors import UsageError
from codeassist.review import chaining
from codeassist.review.diff import open_repo

TYPES = ("pre-commit", "prepare-commit-msg")
MARKER = "# codeassist-hook:"
CHAINED_SUFFIX = ".codeassist-chained"
HARD_LIMIT_S = 120  # the shell kills a codeassist that ignores its own time budget

_SCRIPT = """\
#!/bin/sh
{marker} {kind}
# Installed by `codeassist hook install`; `codeassist hook uninstall` restores what was here.
# It never blocks a commit because of its own trouble (set CODEASSIST_SKIP=1 to skip it).
chained="$(dirname "$0")/{kind}{chained_suffix}"
if [ -x "$chained" ]; then
{run_chained} || exit $?
fi
if [ "${{CODEASSIST_SKIP:-}}" = "1" ]; then
    echo "codeassist: skipped {what} (CODEASSIST_SKIP=1)" >&2
    exit 0
fi
# Python settings meant for the user's project must not reach codeassist: with PYTHONPATH=.
# a file of the repository (enum.py) would be imported, and run, in its place.
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONINSPECT PYTHONUSERBASE
if [ -n "${{CODEASSIST_HOOK_PYTHONPATH:-}}" ]; then  # codeassist run from a source checkout
    PYTHONPATH=$CODEASSIST_HOOK_PYTHONPATH
    export PYTHONPATH
fi
exe={exe}
if [ ! -x "$exe" ]; then
    exe=$(command -v codeassist 2>/dev/null) || exe=""
fi
if [ -z "$exe" ]; then
    echo "codeassist: skipped {what}: the codeassist command was not found" >&2
    exit 0
fi
limit="${{CODEASSIST_HOOK_HARD_LIMIT:-{hard_limit}}}"
if command -v timeout >/dev/null 2>&1; then
    verdict=$(timeout -k 5 "$limit" "$exe" hook run {kind}{options} -- "$@" </dev/null)
else
    verdict=$("$exe" hook run {kind}{options} -- "$@" </dev/null)
fi
status=$?
if [ "$verdict" = "block" ]; then
    exit 1
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "codeassist: skipped {what}: timed out after $limit s" >&2
elif [ "$status" -ne 0 ]; then
    echo "codeassist: skipped {what}: codeassist failed (exit status $status)" >&2
fi
exit 0
"""


@dataclass(frozen=True)
class Outcome:
    """What install/uninstall did, for the command to say."""

    path: Path
    action: str  # installed | reinstalled | chained | removed | restored | absent


def hooks_dir(repo_path: Path | None = None) -> Path:
    """The hooks directory git will use, `core.hooksPath` respected."""
    repo = open_repo(repo_path)
    root = Path(repo.working_tree_dir or repo.git_dir)
    return (root / str(repo.git.rev_parse("--git-path", "hooks"))).resolve()


def script(
    kind: str, exe: str, *, strict: bool = False, timeout: float | None = None,
    chained_shell: list[str] | None = None,
) -> str:  # fmt: skip
    """The hook's text; `chained_shell` is the shell (and options) of the hook it chains to."""
    options = (" --strict" if strict else "") + (
        f" --timeout {timeout:g}" if timeout is not None else ""
    )
    what = "review" if kind == "pre-commit" else "commit message"
    return _SCRIPT.format(
        marker=MARKER, kind=kind, chained_suffix=CHAINED_SUFFIX, exe=shlex.quote(exe),
        hard_limit=HARD_LIMIT_S, options=options, what=what,
        run_chained=chaining.command(chained_shell),
    )  # fmt: skip


def is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return MARKER.encode() in f.read(200)
    except OSError:
        return False


def _check(kind: str) -> None:
    if kind not in TYPES:
        raise UsageError(f"unknown hook type {kind!r}", hint=f"use {' or '.join(TYPES)}")


def install(
    kind: str, exe: str, repo_path: Path | None = None, *, strict: bool = False,
    timeout: float | None = None, force: bool = False,
) -> Outcome:  # fmt: skip
    """Write the hook; an existing foreign hook is moved aside and called first.

    A hooks directory that is not git's own (`core.hooksPath` to a folder in the work tree, as
    hook managers such as husky set it, tracked or not, or to a folder outside the repository,
    as a global setting does) is changed only with `force`.
    """
    _check(kind)
    directory = hooks_dir(repo_path)
    if not force and (shared := _shared(directory, repo_path)):
        raise UsageError(
            f"the hooks directory {directory} {shared}; installing would change it for them",
            hint="pass --force to install there anyway, or call `codeassist review --staged` "
            "from the shared hook yourself",
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / kind
    chained = directory / (kind + CHAINED_SUFFIX)
    action = "installed"
    if path.exists() or path.is_symlink():
        if is_ours(path):
            action = "reinstalled"
        elif chained.exists() or chained.is_symlink():
            raise UsageError(
                f"{path} is not codeassist's, and {chained.name} already exists",
                hint="move one of them away, then install again",
            )
        else:
            action = "chained"
    user_hook = path if action == "chained" else chained
    shell = chaining.shell_of(user_hook) if user_hook.exists() else None
    # Ours is written whole before the user's hook is moved: a failed write (a full disk)
    # leaves their hook where it was, and no half-written one of ours.
    tmp = path.with_name(path.name + ".codeassist-tmp")
    text = script(kind, exe, strict=strict, timeout=timeout, chained_shell=shell)
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        if action == "chained":
            os.rename(path, chained)  # bytes, mode and links untouched
        try:
            os.replace(tmp, path)
        except OSError:
            if action == "chained":
                os.rename(chained, path)
            raise
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return Outcome(path, action)


def _shared(directory: Path, repo_path: Path | None) -> str:
    """Whose the hooks directory is, when it is not git's own ("" when it is)."""
    repo = open_repo(repo_path)
    common = Path(repo.git.rev_parse("--path-format=absolute", "--git-common-dir")).resolve()
    if directory == common or common in directory.parents:
        return ""
    tree = Path(repo.working_tree_dir).resolve() if repo.working_tree_dir else None
    if tree is None or (directory != tree and tree not in directory.parents):
        return "is outside this repository (every repository using it runs its hooks)"
    if repo.git.ls_files("--", str(directory)):
        return "holds files the repository tracks (everyone who clones it runs them)"
    return "is inside the work tree, where a hook manager (such as husky) keeps its hooks"


def uninstall(kind: str, repo_path: Path | None = None) -> Outcome:
    """Remove our hook and put back the one it chained to, exactly as it was."""
    _check(kind)
    directory = hooks_dir(repo_path)
    path = directory / kind
    chained = directory / (kind + CHAINED_SUFFIX)
    if not (path.exists() or path.is_symlink()):
        return Outcome(path, "absent")
    if not is_ours(path):
        raise UsageError(f"{path} was not installed by codeassist", hint="it was left as it is")
    path.unlink()
    if chained.exists() or chained.is_symlink():
        os.rename(chained, path)
        return Outcome(path, "restored")
    return Outcome(path, "removed")


def skip_reason(git_dir: Path, environ: dict[str, str]) -> str | None:
    """Why the hook should not review now: asked not to, or a rebase/merge/cherry-pick."""
    if environ.get("CODEASSIST_SKIP") == "1":
        return "CODEASSIST_SKIP=1"
    if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
        return "a rebase is in progress"
    if (git_dir / "MERGE_HEAD").exists():
        return "a merge is in progress"
    if (git_dir / "CHERRY_PICK_HEAD").exists():
        return "a cherry-pick is in progress"
    if (git_dir / "REVERT_HEAD").exists():
        return "a revert is in progress"
    return None
