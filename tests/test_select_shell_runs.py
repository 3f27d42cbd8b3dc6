"""Shell candidates whose trees disagree are compared by what they print, in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.verify import sandbox, shell_runs

pytestmark = pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")


def fenced(code: str) -> str:
    return f"```bash\n{code}\n```"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("one\ntwo\nthree\n")
    return work


def test_candidates_that_print_the_same_win_over_the_first(work: Path) -> None:
    backend = FakeBackend.scripted(
        fenced("nosuchprogram-xyz notes.txt"),  # fails shell.programs: more are drawn
        fenced("wc -l notes.txt"),  # "3 notes.txt"
        fenced("wc -l < notes.txt"),  # "3"
        fenced("cat notes.txt | wc -l"),  # "3": another tree, the same output
    )
    request = pipeline.Request("count the lines of notes.txt", language="shell", samples=4,
                               cwd=work)  # fmt: skip
    result = pipeline.run(request, backend)
    assert result.code == "wc -l < notes.txt"
    assert result.samples is not None and result.samples.reason == "same output 2/4"


def test_without_a_working_directory_the_trees_alone_decide() -> None:
    backend = FakeBackend.scripted(
        fenced("nosuchprogram-xyz notes.txt"),
        fenced("wc -l notes.txt"),
        fenced("wc -l < notes.txt"),
        fenced("cat notes.txt | wc -l"),
    )
    request = pipeline.Request("count the lines of notes.txt", language="shell", samples=4)
    result = pipeline.run(request, backend)
    assert result.code == "wc -l notes.txt"  # no two parse alike: the first that passes
    assert result.samples is not None and result.samples.reason.startswith("no two of 4")


def test_only_read_only_candidates_run_and_the_users_files_stay(work: Path) -> None:
    before = sorted(p.name for p in work.iterdir())
    found = shell_runs.outputs(
        ["rm notes.txt; echo 3", "wc -l < notes.txt", "echo hi > made.txt", None], work
    )
    assert found == [None, ("output", "3\n"), None, None]
    assert sorted(p.name for p in work.iterdir()) == before
    assert (work / "notes.txt").read_text() == "one\ntwo\nthree\n"


def test_a_failing_or_endless_run_agrees_with_nothing(work: Path) -> None:
    assert shell_runs.outputs(["cat missing.txt", "sleep 10"], work) == [None, None]


def test_a_directory_too_large_to_copy_runs_nothing(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shell_runs, "MAX_FILES", 0)
    assert shell_runs.outputs(["wc -l < notes.txt"], work) == [None]
    assert shell_runs.copyable(work.parent / "absent") is False
