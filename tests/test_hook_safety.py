"""The hook's promises under odd settings: it never blocks by its own failure, runs none of
the repository's code, and shows what it found (real `git commit`s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_hook import HookRepo


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> HookRepo:
    r = HookRepo(tmp_path / "repo", home)
    r.commit(**{"README.md": "# demo\n"})
    return r


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
