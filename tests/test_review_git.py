"""`codeassist review` on real git repositories: staged changes, commits, ranges, the cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codeassist.errors import Exit
from codeassist.review.cache import Cache
from codeassist.review.diff import read_change
from codeassist.review.engine import Settings, review
from codeassist.review.findings import render
from tests.helpers.cli import assert_clean_error, run_cli
from tests.helpers.repos import AWS_KEY, Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def rules_only(repo: Repo, **kw: str) -> list[tuple[str, int, str]]:
    report = review(read_change(repo.root, **kw), Settings(timeout=30))
    return [(f.path, f.line, f.check) for f in report.findings]


def test_staged_change_in_a_repository_without_commits(repo: Repo) -> None:
    repo.stage(**{"app.py": f'print("hi")\nKEY = "{AWS_KEY}"\n'})
    assert rules_only(repo) == [("app.py", 1, "leftovers"), ("app.py", 2, "secrets")]


def test_only_lines_added_by_the_change_are_reviewed(repo: Repo) -> None:
    repo.commit(**{"app.py": 'print("old")\n\n\ndef f():\n    return 1\n'})
    repo.stage(**{"app.py": 'print("old")\n\n\ndef f():\n    print("new")\n    return 1\n'})
    change = read_change(repo.root)
    assert change.source == "staged"
    [fc] = change.files
    assert fc.status == "modified" and fc.added == [(5, '    print("new")')]
    assert fc.old_blob and fc.new_blob and fc.old_blob != fc.new_blob
    assert rules_only(repo) == [("app.py", 5, "leftovers")]


def test_a_commit_and_a_range_are_reviewed_against_their_base(repo: Repo) -> None:
    first = repo.commit(**{"a.py": "x = 1\n"})
    second = repo.commit(**{"b.py": "breakpoint()\n"})
    repo.commit(**{"c.js": "console.log(1)\n"})
    assert rules_only(repo, commit=second) == [("b.py", 1, "leftovers")]
    assert rules_only(repo, commit=first) == []
    assert rules_only(repo, rev_range=f"{first}..HEAD") == [
        ("b.py", 1, "leftovers"), ("c.js", 1, "leftovers"),
    ]  # fmt: skip


def test_binary_and_non_utf8_files_are_handled(repo: Repo) -> None:
    repo.stage(
        **{"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "latin.py": b"# caf\xe9\nprint(1)\n"}
    )
    report = review(read_change(repo.root), Settings(timeout=30))
    assert [(n.path, n.reason) for n in report.not_reviewed] == [("logo.png", "binary file")]
    assert [(f.path, f.line) for f in report.findings] == [("latin.py", 2)]
    assert any("latin.py: not UTF-8" in note for note in report.notes)


def test_a_changed_signature_with_a_caller_left_behind(repo: Repo) -> None:
    repo.commit(
        **{
            "lib.py": "def area(w, h=1):\n    return w * h\n",
            "pkg__use.py": "from lib import area\n\nprint(area(2))\nprint(area(2, h=3))\n",
        }
    )
    repo.stage(**{"lib.py": "def area(w, depth, h=1):\n    return w * h * depth\n"})
    report = review(read_change(repo.root), Settings(timeout=30))
    sig = [(f.path, f.line, f.message) for f in report.findings if f.check == "signatures"]
    assert sig == [
        ("pkg/use.py", 3, "call does not pass 'depth', which area() now requires "
                          "(signature changed at lib.py:1)"),
        ("pkg/use.py", 4, "call does not pass 'depth', which area() now requires "
                          "(signature changed at lib.py:1)"),
    ]  # fmt: skip
    # Updating the callers in the same change clears it: callers are read from the index.
    repo.stage(
        **{"pkg__use.py": "from lib import area\n\nprint(area(2, 1))\nprint(area(2, 5, h=3))\n"}
    )
    report = review(read_change(repo.root), Settings(timeout=30))
    assert [f for f in report.findings if f.check == "signatures"] == []


def test_review_cli_prints_findings_on_stderr_and_json_on_stdout(repo: Repo) -> None:
    repo.stage(**{"app.py": f'KEY = "{AWS_KEY}"\nprint(KEY)\n'})
    proc = run_cli("review", "--staged", "--no-model", cwd=repo.root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines()[:3] == [
        "app.py:1: error: AWS access key id added: AKIA…",
        "app.py:2: warning: print() added: leftover debugging?",
        "    suggestion: delete this line",
    ]
    data = json.loads(run_cli("review", "--json", "--no-model", cwd=repo.root).stdout)
    assert [(f["line"], f["severity"], f["check"]) for f in data["findings"]] == [
        (1, "error", "secrets"), (2, "warning", "leftovers"),
    ]  # fmt: skip
    assert data["not_reviewed"] == []


def test_review_strict_exits_1_on_an_error_finding(repo: Repo) -> None:
    repo.stage(**{"app.py": "breakpoint()\n"})
    assert run_cli("review", "--strict", "--no-model", cwd=repo.root).returncode == 1
    repo.stage(**{"app.py": "x = 1\n"})
    assert run_cli("review", "--strict", "--no-model", cwd=repo.root).returncode == 0


def test_review_usage_errors_are_one_line_with_a_hint(repo: Repo, tmp_path: Path) -> None:
    repo.commit(**{"a.py": "x = 1\n"})
    proc = run_cli("review", "--commit", "HEAD", "--range", "HEAD..HEAD", cwd=repo.root)
    assert proc.returncode == 2 and proc.stderr.startswith("error: choose one of")
    proc = run_cli("review", "--commit", "no-such-rev", "--no-model", cwd=repo.root)
    assert_clean_error(proc, Exit.USAGE, "unknown revision 'no-such-rev'")  # a bad argument
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    proc = run_cli("review", "--no-model", cwd=outside)
    assert proc.returncode == 2 and "not a git repository" in proc.stderr


def test_a_tiny_time_budget_lists_every_file_as_not_reviewed(repo: Repo) -> None:
    repo.stage(**{f"m{i}.py": "breakpoint()\n" for i in range(3)})
    report = review(read_change(repo.root), Settings(timeout=0))
    assert report.findings == []
    assert sorted(n.path for n in report.not_reviewed) == ["m0.py", "m1.py", "m2.py"]
    assert all("time budget of 0 s ran out" in n.reason for n in report.not_reviewed)


def test_a_file_name_that_is_not_utf8_is_reviewed_with_the_rest(repo: Repo) -> None:
    # its cache key could not be encoded, and the whole review was skipped
    name = os.fsdecode(b"n\xffame.py")
    (repo.root / name).write_text("print(1)\n")
    (repo.root / "ok.py").write_text("breakpoint()\n")
    repo.git("add", "-A")
    report = review(read_change(repo.root), Settings(timeout=30), Cache())
    assert sorted((f.path, f.line) for f in report.findings) == [(name, 1), ("ok.py", 1)]
    assert "n\\xffame.py:1: warning: print() added" in render(report)


def test_review_says_when_there_is_nothing_to_review_or_nothing_found(repo: Repo) -> None:
    # silence read as "reviewed, all good" (new-user audit)
    nothing = run_cli("review", "--no-model", cwd=repo.root)
    assert nothing.returncode == 0
    assert nothing.stderr == "codeassist: nothing to review: the staged change changes no file\n"
    repo.stage(**{"app.py": "x = 1\n"})
    clean = run_cli("review", "--no-model", cwd=repo.root)
    assert clean.stderr == "codeassist: 1 file(s) reviewed, no findings\n"
