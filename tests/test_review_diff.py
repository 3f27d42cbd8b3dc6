"""Reading a change from real git repositories, whatever the repository and the git settings."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from codeassist.review.diff import MAX_FILE_BYTES, grep_side, parse_patch, read_change, read_side
from codeassist.review.engine import Settings, review
from tests.helpers.repos import AWS_KEY, Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def found(repo_root: Path | None = None, **kw: str) -> list[tuple[str, int, str]]:
    report = review(read_change(repo_root, **kw), Settings(timeout=30))
    return [(f.path, f.line, f.check) for f in report.findings]


def add_submodule(repo: Repo, tmp_path: Path) -> None:
    other = Repo(tmp_path / "other")
    other.commit(**{"lib.py": "x = 1\n"})
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(other.root), "inner")


def test_a_submodule_is_listed_not_read_and_the_rest_is_reviewed(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit(**{"README.md": "# demo\n"})
    add_submodule(repo, tmp_path)
    repo.stage(**{"a.py": f'breakpoint()\nKEY = "{AWS_KEY}"\n'})
    change = read_change(repo.root)
    assert {(f.path, f.submodule) for f in change.files} == {
        (".gitmodules", False), ("inner", True), ("a.py", False),
    }  # fmt: skip
    report = review(change, Settings(timeout=30))
    assert [(f.path, f.line) for f in report.findings] == [("a.py", 1), ("a.py", 2)]
    assert [(n.path, n.reason) for n in report.not_reviewed] == [
        ("inner", "submodule (a commit of another repository)")
    ]
    repo.git("commit", "-q", "--no-verify", "-m", "add inner")
    assert found(repo.root, commit="HEAD") == [("a.py", 1, "leftovers"), ("a.py", 2, "secrets")]


def test_a_sha256_repository_is_reviewed_from_its_first_commit(tmp_path: Path) -> None:
    root = tmp_path / "sha256"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(root)], check=True)
    repo = Repo(root)  # `git init` again keeps the format, sets the identity
    repo.stage(**{"a.py": "breakpoint()\n"})
    assert found(root) == [("a.py", 1, "leftovers")]
    first = repo.commit()
    assert len(first) == 64
    assert found(root, commit=first) == [("a.py", 1, "leftovers")]  # the root commit
    repo.commit(**{"b.py": "print(1)\n"})
    assert found(root, rev_range=f"{first}..HEAD") == [("b.py", 1, "leftovers")]


USER_SETTINGS = {
    "noprefix": ["diff.noprefix=true"],
    "mnemonic": ["diff.mnemonicPrefix=true"],
    "blank": ["diff.suppressBlankEmpty=true"],
    "color": ["color.diff=always", "color.ui=always"],
    "external": ["diff.external=false"],
    "textconv": ["diff.upper.textconv=tr a-z A-Z"],
    "renames": ["diff.renames=copies", "diff.algorithm=patience", "diff.context=0"],
    "quotepath": ["core.quotePath=true"],
}


@pytest.mark.parametrize("settings", USER_SETTINGS.values(), ids=list(USER_SETTINGS))
def test_the_users_diff_settings_do_not_change_what_is_reviewed(
    repo: Repo, settings: list[str]
) -> None:
    for setting in settings:
        repo.git("config", *setting.split("=", 1))
    repo.write(".gitattributes", "*.py diff=upper\n")
    repo.commit(**{"app.py": "x = 1\n\ny = 2\n", "café.py": "a = 1\n"})
    repo.stage(**{"app.py": "x = 1\n\ny = 2\n\nbreakpoint()\n", "café.py": "a = 1\nprint(a)\n"})
    expected = [("app.py", 5, "leftovers"), ("café.py", 2, "leftovers")]
    assert found(repo.root) == expected
    [app] = [f for f in read_change(repo.root).files if f.path == "app.py"]
    assert app.added == [(4, ""), (5, "breakpoint()")]
    repo.git("commit", "-q", "--no-verify", "-m", "two")
    assert found(repo.root, commit="HEAD") == expected


def test_an_empty_line_inside_a_hunk_is_an_empty_context_line() -> None:
    # diff.suppressBlankEmpty writes an empty context line without its leading space.
    hunks, lines = parse_patch(b"@@ -1,3 +1,4 @@\n a\n\n b\n+c\n")
    assert [(h.new_start, h.new_len) for h in hunks] == [(1, 4)]
    assert lines == [(4, b"c")]


def logging_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`git` on PATH that runs the real one and keeps everything it printed on stdout."""
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True)
    log = tmp_path / "git-stdout.log"
    shim = tmp_path / "shim" / "git"
    shim.parent.mkdir()
    run_real = f'{shlex.quote(real.stdout.strip())} "$@" | tee -a {shlex.quote(str(log))}'
    shim.write_text(f"#!/bin/bash\nset -o pipefail\n{run_real}\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def test_a_file_over_the_limit_is_never_read_or_diffed(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = "BIG-LINE of text\n" * (MAX_FILE_BYTES // 17 + 100)
    repo.commit(**{"shrunk.py": big})
    repo.stage(**{"big.txt": big.replace("BIG", "NEW"), "shrunk.py": "x = 1\nbreakpoint()\n"})
    log = logging_git(tmp_path, monkeypatch)
    change = read_change(repo.root)
    assert [(f.path, f.too_large) for f in change.files] == [
        ("big.txt", True), ("shrunk.py", False),
    ]  # fmt: skip
    # The old side of shrunk.py is over the limit too: no diff, every new line counts as added.
    assert change.files[1].added == [(1, "x = 1"), (2, "breakpoint()")]
    assert log.exists() and b"BIG-LINE" not in log.read_bytes()
    assert b"NEW-LINE" not in log.read_bytes()


def test_callers_in_files_with_non_ascii_names_are_found(repo: Repo) -> None:
    repo.commit(
        **{
            "lib.py": "def area(w, h=1):\n    return w * h\n",
            "café.py": "from lib import area\n\nprint(area(2))\n",
        }
    )
    assert grep_side(repo.root, None, "area") == ["café.py", "lib.py"]
    assert grep_side(repo.root, "HEAD", "area") == ["café.py", "lib.py"]
    repo.stage(**{"lib.py": "def area(w, depth, h=1):\n    return w * h * depth\n"})
    report = review(read_change(repo.root), Settings(timeout=30))
    assert [(f.path, f.line) for f in report.findings if f.check == "signatures"] == [
        ("café.py", 3)
    ]


def test_git_dir_and_work_tree_from_the_environment_are_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, work = tmp_path / "dotfiles.git", tmp_path / "home"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    work.mkdir()
    (work / "setup.py").write_text("def f(a):\n    return a\n\nbreakpoint()\n")
    monkeypatch.chdir(work)  # as git runs a hook: relative paths, from the work tree
    monkeypatch.setenv("GIT_DIR", os.path.relpath(bare, work))
    monkeypatch.setenv("GIT_WORK_TREE", ".")
    subprocess.run(["git", "add", "setup.py"], check=True)
    change = read_change()
    assert change.root == work
    assert found() == [("setup.py", 4, "leftovers")]
    assert read_side(change.root, None, "setup.py").startswith("def f(a):")
    assert grep_side(change.root, None, "breakpoint") == ["setup.py"]
