"""`shell.flags`: options checked against the installed programs' --help and man pages."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from codeassist.verify import Check, Subject, run_checks
from codeassist.verify.flags import check
from tests.helpers.cli import run_cli
from tests.helpers.programs import fake_program
from tests.scripted_endpoint import scripted_server

FAKE_DU_HELP = """Usage: du [-s] [-h] [-d depth] [file ...]
  -s        display only a total for each argument
  -h        human-readable sizes
  -d depth  at most depth levels deep
"""


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", f"{path}{os.pathsep}{os.environ['PATH']}")
    return path


def test_an_option_ls_does_not_have_fails_and_names_the_real_ones() -> None:
    found = check("ls --frobnicate")
    assert not found.passed and found.ran
    assert found.detail.startswith("ls has no --frobnicate; ls --help and man ls list: ")
    assert "-a/--all" in found.detail and "-l" in found.detail
    assert "--all" in subprocess.run(["ls", "--help"], capture_output=True, text=True).stdout


def test_the_installed_du_is_the_one_asked(bin_dir: Path) -> None:
    fake_program(bin_dir, "du", f"case \"$1\" in --help) cat <<'EOF'\n{FAKE_DU_HELP}EOF\n;; esac\n")
    found = check("du --max-depth=1 .")
    detail = "du has no --max-depth; du --help lists: -d, -h, -s"
    assert found == Check("shell.flags", False, detail)
    assert check("du -sh -d 1 .").passed
    assert check("/usr/bin/du --max-depth=1 .").passed  # the real one has it


@pytest.mark.parametrize(
    "code",
    [
        "git log --oneline",
        "git -C . log --oneline -n 5 --no-merges",
        "tar -xzf a.tgz",
        "tar -C /tmp -xzvf a.tgz",
        "grep -rn x .",
        "grep -e -x -- file",
        "find . -maxdepth 1 -name x",
        "find . -name '*.py' -mtime -1 -exec rm -f {} +",
        "apt-get install -y curl",
        "du -sh * | sort -h | head -5",
        "sudo -u www-data ls -la /tmp",
        "ls -la --color=auto --block-size=M",
        "ls --almost",  # an abbreviation getopt accepts
    ],
)
def test_documented_options_pass(code: str) -> None:
    found = check(code)
    assert found.passed, found.detail


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("tar -xqf a.tgz", "tar has no -q;"),
        ("ls -la | xargs -n 1 rm --bogus", "rm has no --bogus;"),
        ("bash -c 'ls --nope'", "ls has no --nope;"),
        ("echo $(ls --bad)", "ls has no --bad;"),
        ("find . -name x -exec ls --nope {} \\;", "ls has no --nope;"),
        ("git log --frobnicate", "git log has no --frobnicate; man git-log lists:"),
    ],
)
def test_undocumented_options_fail_wherever_they_are(code: str, detail: str) -> None:
    found = check(code)
    assert not found.passed and found.detail.startswith(detail), found.detail


def test_without_documentation_it_cannot_tell_and_passes(bin_dir: Path) -> None:
    fake_program(bin_dir, "quiet", 'case "$1" in --help) echo "no help here";; esac\n')
    fake_program(bin_dir, "plain", "echo hi\n")  # a script that ignores --help: never run
    for code in ("quiet --anything", "plain --x", "no-such-program-x --y", "cd -P /tmp"):
        found = check(code)
        assert found.passed and found.detail.startswith("cannot tell"), (code, found)


def test_it_is_one_of_the_shell_checks() -> None:
    names = [c.name for c in run_checks(Subject("shell", "ls --frobnicate"))]
    assert names == [
        "shell.parse", "shell.loop", "shell.programs", "shell.flags", "shell.lint", "shell.paths",
        "shell.risk",
    ]  # fmt: skip
    assert check("for f in *; do").detail == "not run: the command does not parse"


def test_a_cached_lookup_takes_milliseconds() -> None:
    check("ls -la | grep -n x")
    started = time.perf_counter()
    for _ in range(10):
        assert check("ls -la | grep -n x").passed
    assert (time.perf_counter() - started) / 10 < 0.05


def test_gen_repairs_an_option_the_program_lacks() -> None:
    replies = ("```bash\nls --frobnicate\n```", "```bash\nls -la\n```")
    with scripted_server(*replies) as server:
        ask = ("gen", "--lang", "shell", "--json", "--samples", "1", "list all")  # one answer
        proc = run_cli(*ask, "--endpoint", server.url)  # the repair round is what is tested
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] == "ls -la" and result["repairs"] == 1
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"][-1]["content"]
    assert "shell.flags: ls has no --frobnicate; ls --help and man ls list:" in repair
    assert "-a/--all" in repair and "Use only options that the installed programs list" in repair


FAKE_DOCKER = """case "$*" in
"--help") printf 'Usage: docker COMMAND\\n  -D, --debug   debug\\n  -H, --host    host\\n  -v  version\\n\\nCommands:\\n  compose*   Docker Compose\\n';;
"compose --help") printf 'Usage: docker compose COMMAND\\n  -f, --file  file\\n  -p, --project-name  name\\n  --dry-run  dry\\n\\nCommands:\\n  up   Create and start containers\\n';;
"compose up --help") printf 'Usage: docker compose up\\n  -d, --detach  background\\n  --build  build first\\n  --wait  wait\\n';;
esac
"""  # noqa: E501


def test_subcommands_of_subcommands_have_their_own_help(bin_dir: Path) -> None:
    fake_program(bin_dir, "docker", FAKE_DOCKER)
    assert check("docker compose -f x.yml up -d --build").passed
    found = check("docker compose up --detachh")
    assert found.detail.startswith("docker compose up has no --detachh; docker compose up --help")


def test_a_help_that_says_it_is_partial_is_not_the_last_word(bin_dir: Path) -> None:
    text = "  -a  all\\n  -b  bold\\n  -c  count\\nThis is not the full help; see --help all."
    fake_program(bin_dir, "partial", f'case "$1" in --help) printf "{text}\\n";; esac\n')
    assert check("partial --only-in-the-manual").passed
    fake_program(bin_dir, "whole", f'case "$1" in --help) printf "{text[:28]}\\n";; esac\n')
    assert not check("whole --only-in-the-manual").passed


def test_values_glued_to_options_and_single_dash_long_names() -> None:
    assert check("make -j4 all").passed and check("sort -t, -k3,3nr f").passed
    found = check("openssl rand -hexx 16")
    assert found.detail.startswith("openssl rand has no -hexx; man openssl-rand lists: -hex")
