"""Reading the installed programs' documentation: option lines, the cache, what is never run.

The programs are the machine's own (du, ls, tar, find, git and their man pages, which
scripts/test.sh installs) and small fake programs put first on PATH in a tmp dir.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from codeassist.shell import docs
from codeassist.shell.docs import Program, resolve
from codeassist.shell.options import parse
from tests.helpers.programs import fake_program


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory first on PATH, for fake programs."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", f"{path}{os.pathsep}{os.environ['PATH']}")
    return path


def man_text(page: str) -> str:
    env = {**os.environ, "MANPAGER": "cat", "MANWIDTH": "100", "LANG": "C.UTF-8"}
    return subprocess.run(["man", page], capture_output=True, text=True, env=env).stdout


def test_gnu_help_lines_give_names_values_and_text() -> None:
    options = parse(subprocess.run(["du", "--help"], capture_output=True, text=True).stdout)
    assert options["-d"] is options["--max-depth"] and options["-d"].takes_value
    assert options["-s"].names == ("-s", "--summarize") and not options["-s"].takes_value
    assert options["-s"].description == "display only a total for each argument"


def test_man_pages_give_the_text_on_the_lines_below() -> None:
    find = parse(man_text("find"))
    assert find["-maxdepth"].takes_value and find["-maxdepth"].description.startswith("Descend")
    git_log = parse(man_text("git-log"))
    assert "--oneline" in git_log and not git_log["--oneline"].takes_value
    assert git_log["-n"] is git_log["--max-count"] and git_log["-n"].takes_value


def test_find_style_lists_and_the_no_prefix() -> None:
    text = (
        "usage: frob [-d depth] [-v | --version] [-hex]\n"
        "      -depth -maxdepth LEVELS -name PATTERN\n"
        "  --[no-]color   colour the output\n"
        "     -o file   write to file\n"
    )
    options = parse(text)
    assert not options["-depth"].takes_value and options["-maxdepth"].takes_value
    assert {"-v", "--version", "--color", "--no-color", "-hex"} <= set(options)
    assert "-h" not in options and "-x" not in options  # `[-hex]` is one option here
    assert options["-d"].takes_value and options["-o"].takes_value
    assert options["--no-color"].description == "colour the output"


def test_a_bsd_usage_line_alone_lists_its_letters() -> None:
    options = parse("usage: ls [-ABl1] [-D format] [file ...]\n")
    assert {"-A", "-B", "-l", "-1"} <= set(options) and options["-D"].takes_value


def test_a_subcommand_is_read_from_its_own_man_page() -> None:
    git = resolve("git")
    assert git is not None
    log = Program(git, "log")
    assert log.summary() == ("Show commit logs", "man git-log")
    assert log.documents("--oneline") is True and log.documents("--frobnicate") is False


def test_lookups_are_cached_per_program_version(
    bin_dir: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # counted here: in the sandbox a program's own writes do not reach this file system
    runs: list[list[str]] = []
    read_help = docs._read_help
    monkeypatch.setattr(docs, "_read_help", lambda argv: runs.append(argv) or read_help(argv))
    help_only = 'case "$1" in --help) echo "  -a, --all   all";; esac\n'
    prog = fake_program(bin_dir, "counted", help_only)
    assert Program(resolve("counted") or prog).documents("--all") is True
    started = time.perf_counter()
    assert Program(resolve("counted") or prog).documents("--all") is True
    assert time.perf_counter() - started < 0.05  # from the cache, without running anything
    assert len(runs) == 1
    assert list((home / "cache" / "docs").glob("*.json"))  # in the user cache dir
    assert not list(Path.cwd().iterdir())  # nothing in the working directory
    os.utime(prog, (1, 1))  # another version of the program: read again
    Program(prog).help()
    assert len(runs) == 2


def test_a_script_that_ignores_help_is_never_run(bin_dir: Path) -> None:
    marker = bin_dir.parent / "ran"
    fake_program(bin_dir, "deploy", f'touch "{marker}"\n')
    path = resolve("deploy")
    assert path is not None and Program(path).help() is None
    assert not marker.exists()


def test_a_hanging_program_is_stopped_and_gives_no_docs(
    bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docs, "TIMEOUT_S", 0.5)
    fake_program(bin_dir, "hangs", 'case "$1" in --help) sleep 30;; esac\n')
    started = time.perf_counter()
    path = resolve("hangs")
    assert path is not None and Program(path).documents("--x") is None
    assert time.perf_counter() - started < 5


def test_only_real_files_on_path_resolve(bin_dir: Path) -> None:
    fake_program(bin_dir, "tool", "echo hi\n")
    assert resolve("tool") == bin_dir / "tool"
    assert resolve("./tool") is None and resolve("no-such-program-x") is None
    assert resolve("$(rm -rf x)") is None


def test_an_absolute_path_resolves_only_to_the_file_path_finds(tmp_path: Path) -> None:
    """/tmp/x/ls is a stranger's file named like a program: its --help is never run."""
    marker = tmp_path / "ran"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fake_program(elsewhere, "ls", f'echo "--help: lists" ; echo ran >> "{marker}"\n')
    assert resolve(str(elsewhere / "ls")) is None
    found = resolve(os.path.realpath(resolve("ls") or "/bin/ls"))
    assert found is not None and os.path.samefile(found, resolve("ls") or "")
    from tests.helpers.cli import run_cli

    for args in (("explain", f"{elsewhere / 'ls'} -la"),
                 ("check", "--lang", "shell", f"{elsewhere / 'ls'} -la")):  # fmt: skip
        run_cli(*args)
    assert not marker.exists()
