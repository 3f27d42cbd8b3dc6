"""shell.run: a command tried in the real sandbox on a copy of the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.verify import Check, Subject, run_checks, sandbox, shell_runs, shell_trial

pytestmark = pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("one\ntwo\nthree\n")
    (work / "src").mkdir()
    (work / "src" / "app.py").write_text("print('hi')\n")
    return work


def tried(code: str, cwd: Path | None) -> Check | None:
    return shell_trial.check(Subject("shell", code, cwd=cwd))


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("code", "printed"),
    [
        ("ls --time=modified", "invalid argument"),  # shell.flags cannot see a bad value
        ("find . -type f -perm -o -perm -o", "invalid mode"),
        ("echo abc | grep -v '^.{2}.*\\1'", "Invalid back reference"),
        ("md5sum yourstring", "yourstring: No such file or directory"),
        ("head -n 3 notes.md", "cannot open 'notes.md'"),
        # a [ that is no test: the failure is not handled
        ("printf '\\033[31mred\\n' >&2; cat nothere.txt", "nothere.txt: No such file"),
        ("wc -l src/main.py", "src/main.py"),
    ],
)
def test_a_run_that_proves_the_command_wrong_fails_with_what_it_printed(
    work: Path, code: str, printed: str
) -> None:
    found = tried(code, work)
    assert found is not None and not found.passed and found.ran, found
    assert printed in found.detail
    assert found.detail.startswith("run on a copy of the working directory, it printed:")


@pytest.mark.parametrize(
    "code",
    [
        "wc -l notes.txt",
        "grep -c nothing-matches notes.txt",  # exit 1, nothing on stderr: a plain "no match"
        "awk '{print $1}' notes.txt",  # $1 in quotes is awk's, not the shell's
        'for f in *.txt; do wc -l "$f"; done',
        'x=notes.txt; cat "$x" | head -n 1',
        "wc -l < notes.txt 2>/dev/null",  # /dev/null is there as in the user's shell
        "find src -name '*.py' | while read -r f; do wc -c \"$f\"; done",
        # found by the audit: each printed an error line that proves nothing wrong
        "ls *.log | wc -l",  # a glob that matches nothing here
        "ls config.yml || echo no config",  # the command handles the failure itself
        "bash -n broken.sh",  # a syntax checker reporting the script's error
        "python3 -m py_compile bad.py",
        "set -x; grep -c 'command not found' notes.txt",  # xtrace echoes the pattern
        "grep -R foo .",  # a dangling link inside: grep names it, the command does not
        "[ -d build ] || mkdir build",
    ],
)
def test_a_run_that_proves_nothing_wrong_passes(work: Path, code: str) -> None:
    (work / "broken.sh").write_text("if true; then\n")
    (work / "bad.py").write_text("print('unterminated)\n")
    (work / "dangling").symlink_to(work / "gone.txt")
    found = tried(code, work)
    assert found is not None and found.passed and found.ran, found


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ('ls "$directory"', "$directory"),
        ('head -n 5 "$1"', "$1"),
        ("cat $HOME/.bashrc", "$HOME"),  # HOME is the copy in the sandbox
        ("curl -s https://example.com", "curl"),
        ("sleep 1; ls --bogus", "sleep"),
        ("git log --oneline", "git"),
        ("find . -delete", "high-risk"),
        ("cat /nonexistent-codeassist/x.conf", "outside"),  # its absence there proves nothing
        ("find / -name '*.conf'", "outside"),  # and a walk of the whole disk is no trial
        ("wc -l ~/notes.txt ../notes.txt", "outside"),
        ("bash -c 'ls \"$HOME/.ssh\"'", "sh -c"),
        ("find . -name '*.txt' -exec sh -c 'wc -l \"$1\"' _ {} \\;", "sh -c"),
        ('ls "$OLDPWD"', "$OLDPWD"),  # unset in the sandbox
    ],
)
def test_a_command_whose_run_would_mean_something_else_is_not_tried(
    work: Path, code: str, why: str
) -> None:
    assert why in shell_trial.why_not_run(Subject("shell", code, cwd=work))
    assert tried(code, work) is None


def test_a_link_out_of_the_directory_means_no_trial(work: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.txt").write_text("x\n")
    (work / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    assert "links out" in shell_trial.why_not_run(Subject("shell", "cat link.txt", cwd=work))


def test_a_program_where_the_sandbox_hides_it_is_not_tried(
    work: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "tools"  # under /tmp, which the sandbox shows empty
    tools.mkdir()
    (tools / "mytool").write_text("#!/bin/sh\necho hi\n")
    (tools / "mytool").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    assert str(tools).startswith("/tmp/")
    assert "hides" in shell_trial.why_not_run(Subject("shell", "mytool --x", cwd=work))


def test_the_sandbox_failing_to_start_the_shell_is_no_finding(work: Path) -> None:
    subject = Subject("shell", "ls --bogus", cwd=work, shell="no-such-shell-xyz")
    assert shell_trial.check(subject) is None  # "sandbox: cannot run no-such-shell-xyz"


def test_a_file_that_cannot_be_copied_is_no_finding_and_no_crash(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(*args: object) -> int:
        raise PermissionError(13, "Permission denied", str(work / "secret"))

    monkeypatch.setattr(sandbox, "_pack", unreadable)
    assert tried("ls --bogus", work) is None
    names = [c.name for c in run_checks(Subject("shell", "ls --bogus", cwd=work))]
    assert "shell.run" not in names


def test_each_line_shown_is_cut_and_indented(work: Path) -> None:
    code = "ls --" + "x" * 400
    found = tried(code, work)
    assert found is not None and not found.passed
    shown = found.detail.splitlines()[1:]
    assert shown and all(line.startswith("  ") and len(line) <= 202 for line in shown)


def test_writes_and_deletes_land_in_the_copy_never_in_the_directory(work: Path) -> None:
    before = tree(work)
    code = "rm notes.txt && mv src/app.py . && echo x > made.txt && chmod 000 app.py && ls --nope"
    found = tried(code, work)
    assert found is not None and not found.passed  # it ran to the error, on the copy
    assert tree(work) == before
    assert os.access(work / "src" / "app.py", os.R_OK)


def test_a_run_over_the_time_limit_cannot_tell_and_costs_at_most_the_limit(work: Path) -> None:
    started = time.monotonic()
    assert tried("while :; do :; done; ls --bogus", work) is None
    assert time.monotonic() - started < shell_trial.TIMEOUT_S + 2


def test_no_working_directory_or_one_too_large_to_copy_is_not_tried(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tried("ls --bogus", None) is None
    monkeypatch.setattr(shell_runs, "MAX_FILES", 1)
    assert "too large" in shell_trial.why_not_run(Subject("shell", "ls --bogus", cwd=work))
    assert tried("ls --bogus", work) is None


def test_no_sandbox_means_no_finding(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "unavailable", lambda: "user namespaces are disabled")
    assert tried("ls --time=modified", work) is None
    names = [c.name for c in run_checks(Subject("shell", "ls --time=modified", cwd=work))]
    assert "shell.run" not in names


def test_it_runs_only_after_the_parse_and_the_programs_pass(work: Path) -> None:
    names = lambda code: [c.name for c in run_checks(Subject("shell", code, cwd=work))]  # noqa: E731
    assert "shell.run" in names("ls --time=modified")
    assert "shell.run" not in names("nosuchprogram-xyz --help")  # shell.programs says it
    assert "shell.run" not in names("for f in *; do")


def test_a_failed_run_comes_with_the_answer_and_is_not_sent_back(work: Path) -> None:
    backend = FakeBackend.scripted("```bash\nls --time=modified\n```", "```bash\nls -lt\n```")
    request = pipeline.Request("list files newest first", language="shell", cwd=work)
    result = pipeline.run(request, backend)
    assert result.code == "ls --time=modified" and result.repairs == 0
    assert len(backend.history) == 1  # no repair round: measured, it fixed nothing
    found = {c.name: c for c in result.checks}["shell.run"]
    assert not found.passed and "invalid argument" in found.detail


def test_check_on_the_command_line_reports_the_failed_run(work: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "codeassist", "check", "--lang", "shell", "md5sum yourstring"],
        cwd=work, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "shell.run" in proc.stdout + proc.stderr
    assert "yourstring: No such file or directory" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_version_control_folder_is_left_out_of_the_copy(work: Path) -> None:
    (work / ".git").mkdir()
    (work / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    outcome = sandbox.run(["ls", "-A"], workdir=work, leave_out=shell_trial.VCS)
    assert ".git" not in outcome.stdout.split() and "notes.txt" in outcome.stdout.split()
    assert "version control" in shell_trial.why_not_run(Subject("shell", "cat .git/HEAD", cwd=work))
    assert (work / ".git" / "HEAD").exists()
