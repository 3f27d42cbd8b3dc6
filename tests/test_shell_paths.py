"""Paths under the working directory written absolute are made relative (verify/shell_paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.verify import Subject
from codeassist.verify.shell_paths import check, relative

CWD = Path("/srv/ada/project")


@pytest.mark.parametrize(
    ("code", "fixed"),
    [
        ("find /srv/ada/project -name x", "find . -name x"),
        ("cat /srv/ada/project/notes.txt | wc -l", "cat notes.txt | wc -l"),
        ('ls "/srv/ada/project/my file"', 'ls "my file"'),
        ("du -sh /srv/ada/project/*.undo", "du -sh *.undo"),
        ("cd /srv/ada/project/ && ls", "ls"),
        ("cd /srv/ada/project\ntox -e docs", "tox -e docs"),
        ("cd /srv/ada/project; make", "make"),
        ("cd /srv/ada/project/tests\npython3 runtests.py", "cd tests\npython3 runtests.py"),
        ("cd /srv/ada/project", "cd ."),
        ("ls && cd /srv/ada/project && ls", "ls && cd . && ls"),
        ("ls -l $(which passwd) /srv/ada/project/a", "ls -l $(which passwd) a"),
    ],
)
def test_the_working_directory_becomes_relative(code: str, fixed: str) -> None:
    subject = Subject("shell", code, cwd=CWD, request="find x here")
    assert not check(subject).passed
    assert relative(subject) == fixed


@pytest.mark.parametrize(
    "code",
    ["ls /srv/ada/projects", "ls /x/srv/ada/project/a", "find . -name x", "ls ~/project"],
)
def test_other_paths_stay(code: str) -> None:
    subject = Subject("shell", code, cwd=CWD, request="list")
    assert check(subject).passed and relative(subject) is None


def test_a_request_that_names_the_directory_keeps_it() -> None:
    subject = Subject("shell", "cat /srv/ada/project/a", cwd=CWD,
                      request="show /srv/ada/project/a")  # fmt: skip
    assert check(subject).passed and relative(subject) is None


def test_the_root_directory_is_never_rewritten() -> None:
    subject = Subject("shell", "ls /etc", cwd=Path("/"), request="list /etc")
    assert check(subject).passed and relative(subject) is None


def test_gen_shows_the_relative_command_and_its_checks_pass(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a\n")
    backend = FakeBackend.scripted(f"```bash\ncat {tmp_path}/notes.txt\n```")
    request = pipeline.Request("show notes.txt", language="shell", cwd=tmp_path)
    result = pipeline.run(request, backend)
    assert result.code == "cat notes.txt"
    assert result.repairs == 0 and all(c.passed for c in result.checks if c.ran)
