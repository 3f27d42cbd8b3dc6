"""ShellCheck in the review (review/lint.py): real scripts staged in real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist.review.diff import read_change
from codeassist.review.engine import Settings, review
from tests.helpers.repos import Repo
from tests.test_hook_git import git, install


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def found(repo: Repo) -> list[tuple[str, int, str]]:
    report = review(read_change(repo.root), Settings(timeout=30))
    return [(f.path, f.line, f.message) for f in report.findings if f.check == "shellcheck"]


def test_a_mistake_on_an_added_line_is_found_and_an_old_one_is_not(repo: Repo) -> None:
    repo.commit(**{"clean.sh": '#!/bin/bash\nfor f in $(ls); do echo "$f"; done\n'})
    repo.stage(
        **{"clean.sh": '#!/bin/bash\nfor f in $(ls); do echo "$f"; done\nls -l | grep old\n'}
    )
    assert found(repo) == [
        ("clean.sh", 3, "Don't use ls | grep. Use a glob or a for loop with a condition to "
         "allow non-alphanumeric filenames. (SC2010)"),
    ]  # fmt: skip


def test_scripts_are_told_by_suffix_or_by_their_own_line(repo: Repo) -> None:
    bad = "find . -name '*.tmp' | rm\n"
    repo.stage(
        **{
            "tools/prune.sh": bad,  # no #! line: bash by its name
            "bin__deploy": "#!/usr/bin/env bash\n" + bad,  # no suffix: its #! line
            "bin__strict": "#!/usr/bin/env -S bash -eu\n" + bad,
            "bin__tool": "#!/usr/bin/env python3\nprint('find . | rm')\n",
            "zsh_only.zsh": bad,  # ShellCheck does not read zsh
            "bin__z": "#!/bin/zsh\n" + bad,
            "notes.txt": bad,
        }
    )
    assert sorted((path, line) for path, line, _ in found(repo)) == [
        ("bin/deploy", 2), ("bin/strict", 2), ("tools/prune.sh", 1),
    ]  # fmt: skip


def test_a_real_commit_goes_through_with_the_finding_said(tmp_path: Path, home: Path) -> None:
    repo = Repo(tmp_path / "repo")
    install(repo.root, home)
    repo.stage(**{"deploy.sh": "#!/bin/sh\nfind . -name a -o -name b -exec rm {} \\;\n"})
    proc = git(repo.root, home, "commit", "-m", "feat: deploy")
    assert proc.returncode == 0, proc.stderr  # a warning never blocks a commit
    assert "deploy.sh:2: warning: This action ignores everything before the -o." in proc.stderr
    assert git(repo.root, home, "log", "--oneline").stdout.count("\n") == 1
