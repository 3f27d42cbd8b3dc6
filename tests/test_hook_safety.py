"""The hook's promises under odd settings: it never blocks by its own failure, runs none of
the repository's code, and shows what it found (real `git commit`s)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.errors import Exit
from codeassist.review import findings
from codeassist.review.cache import Cache
from tests.helpers.cli import assert_clean_error, run_cli
from tests.helpers.repos import AWS_KEY
from tests.test_hook import HookRepo, user_hook


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> HookRepo:
    return HookRepo.with_a_commit(tmp_path, home)


def config(repo: HookRepo, text: str) -> Path:
    path = repo.home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- the time budget -----------------------------------------------------------------------


def test_a_huge_hook_timeout_is_a_config_error_the_hook_skips_over(repo: HookRepo) -> None:
    """`hook_timeout = 1e10` crashed the hook with OverflowError in the watchdog's wait."""
    config(repo, "hook_timeout = 1e10\n")
    repo.install()
    repo.stage(**{"a.py": "breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0 and repo.count() == 2
    assert "Traceback" not in proc.stderr
    assert "codeassist: skipped review: config file" in proc.stderr
    assert "hook_timeout should be at most 3600" in proc.stderr


def test_install_takes_timeouts_of_0_to_3600_s(repo: HookRepo) -> None:
    for value in ("1e12", "3601", "inf", "-1"):
        proc = run_cli("hook", "install", "--timeout", value, cwd=repo.root, env=repo.env)
        assert_clean_error(proc, Exit.USAGE, "--timeout")
    assert not (repo.root / ".git" / "hooks" / "pre-commit").exists()
    repo.install("--timeout", "3600")


@pytest.mark.parametrize("timeout", ["1e10", "inf", "nan", "-1", "abc"])
def test_under_the_pre_commit_framework_only_findings_fail_the_hook(
    repo: HookRepo, timeout: str
) -> None:
    """pre-commit.com runs the entry and blocks on any non-zero exit: a crash of ours, or a
    --timeout the option parser refuses, must still exit 0."""
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    entry = f"codeassist hook run pre-commit --exit-code --timeout {timeout}"
    user_hook(hook, f"exec {entry}")  # what the framework does with the entry
    repo.stage(**{"a.py": "breakpoint()\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and repo.count() == 2
    user_hook(hook, f"exec {entry} --strict")
    repo.stage(**{"b.py": f'KEY = "{AWS_KEY}"\n'})
    proc = repo.commit_run("-m", "feat: b")
    if timeout in ("1e10", "inf"):  # the budget is clamped to 3600 s: the review runs
        assert "out of range; using 3600 s" in proc.stderr
        assert proc.returncode == 1 and "commit blocked: 1 error finding(s)" in proc.stderr
    else:  # no time at all, or no budget: skipped, the commit goes ahead
        assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


# --- the repository's code stays out ---------------------------------------------------------


@pytest.mark.parametrize(
    ("var", "value"),
    [("PYTHONPATH", "."), ("PYTHONHOME", "/nonexistent")],
)
def test_python_settings_for_the_project_do_not_reach_codeassist(
    repo: HookRepo, tmp_path: Path, var: str, value: str
) -> None:
    """`PYTHONPATH=. git commit` with an enum.py in the repository: our hook imported it."""
    ran = tmp_path / "repository-code-ran"
    repo.write("enum.py", f"open({str(ran)!r}, 'w').close()\nVALUE = 1\n")  # untracked
    repo.install()
    repo.write("a.py", "breakpoint()\n")
    repo.git("add", "a.py")
    repo.extra = {var: value}
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0, proc.stderr
    assert "a.py:1: error: breakpoint() added" in proc.stderr
    assert "Traceback" not in proc.stderr and "skipped review" not in proc.stderr
    assert not ran.exists()


# --- prepare-commit-msg ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [[], ["-c", "commit.verbose=true"], ["-c", "core.commentChar=;"]],
    ids=["-v", "commit.verbose", "commentChar"],
)
def test_a_message_is_proposed_for_a_verbose_commit(repo: HookRepo, config: list[str]) -> None:
    """Below git's scissors line is the diff, not a message the user wrote."""
    repo.install("--type", "prepare-commit-msg")
    repo.stage(**{"tests__test_calc.py": "def test_one():\n    assert 1\n"})
    verbose = [] if "commit.verbose=true" in config else ["-v"]
    proc = subprocess.run(
        ["git", *config, "commit", *verbose], cwd=repo.root, env={**os.environ, **repo.env},
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert repo.last_message() == "test: add test_calc.py"


def test_what_is_above_the_scissors_is_the_users_message() -> None:
    from codeassist.review.commitmsg import users_message

    scissors = "# ------------------------ >8 ------------------------"
    diff = "diff --git a/a.py b/a.py\n+x = 1\n"
    assert users_message(f"\n# Please enter\n{scissors}\n# Do not modify\n{diff}") == ""
    assert users_message(f"fix: my words\n# comment\n{scissors}\n{diff}") == "fix: my words"
    assert users_message("fix: my words\n# comment\n") == "fix: my words"


# --- what is printed ---------------------------------------------------------------------------


def test_a_newline_in_a_file_name_cannot_forge_a_finding(repo: HookRepo) -> None:
    repo.install()
    repo.stage(**{"new\nline.py": "breakpoint()\n", "tab\tx\u2028.py": "print(1)\n"})
    proc = repo.commit_run("-m", "feat: a")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "new\\x0aline.py:1: error: breakpoint() added: it stops the program" in lines
    assert "tab\\x09x\\u2028.py:1: warning: print() added: leftover debugging?" in lines
    assert not any(line.startswith(("line.py", "x", ".py")) for line in lines), proc.stderr
    repo.stage(**{"latin\n1.py": b"# caf\xe9\nbreakpoint()\n"})  # a note names it too
    lines = repo.commit_run("-m", "feat: b").stderr.splitlines()
    note = "codeassist: latin\\x0a1.py: not UTF-8; reviewed with undecodable bytes replaced"
    assert note in lines
    assert not any(line.startswith("1.py") for line in lines), lines
    report = findings.Report(not_reviewed=[findings.NotReviewed("a\nb.png", "binary file")])
    assert findings.render(report) == "a\\x0ab.png: not reviewed: binary file"


# --- the review cache ----------------------------------------------------------------------------


@pytest.fixture
def locked_cache(home: Path) -> Iterator[Path]:
    """The review cache, with another process's write transaction open (BEGIN IMMEDIATE)."""
    path = home / "cache" / "review.sqlite"
    Cache(path).put("warm", [])  # the file and its table exist
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT OR REPLACE INTO results VALUES ('held', '[]')")
    yield path
    holder.rollback()
    holder.close()


def test_a_locked_review_cache_is_given_up_after_the_first_wait(locked_cache: Path) -> None:
    cache = Cache(locked_cache)
    started = time.monotonic()
    for i in range(4):
        cache.put(f"k{i}", [])  # each write waited 2 s for the lock, every time
        assert cache.get(f"k{i}") is None
    assert time.monotonic() - started < 1.5
    assert cache.note and "locked" in cache.note


def test_a_commit_is_not_slowed_by_a_locked_review_cache(
    repo: HookRepo, locked_cache: Path
) -> None:
    repo.install()
    repo.stage(**{f"m{i}.py": f"x{i} = {i}\n" for i in range(8)})
    started = time.monotonic()
    proc = repo.commit_run("-m", "feat: eight files")
    waited = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert "codeassist: review cache not used: database is locked" in proc.stderr
    assert "codeassist: reviewed 8 file(s), no findings" in proc.stderr
    assert waited < 8, f"the commit took {waited:.1f} s"  # was 2 s per file: 16 s
