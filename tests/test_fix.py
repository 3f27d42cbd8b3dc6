"""`codeassist fix`: typos fixed from PATH without a model, the rest through the pipeline with
the error output and the program's help in the prompt; the command itself never runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codeassist.backends.base import Options
from codeassist.backends.fake import FakeBackend
from codeassist.errors import CodeassistError, Exit, UsageError
from codeassist.shell import docs, fix, typos
from tests.helpers.cli import assert_clean_error, codeassist_exe, run_cli
from tests.scripted_endpoint import recording_endpoint


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH of a few programs: git, grep, make (prints its help), slow (hangs)…"""
    folder = tmp_path / "bin"
    folder.mkdir()
    scripts = {
        "git": "exit 0", "grep": "exit 0", "grip": "exit 0", "gist": "exit 0", "gits": "exit 0",
        "make": 'case "$1" in --help) echo "Usage: make [options] [target] ...";'
                 ' echo "  -C DIR  change to DIR";; esac',
        "slow": "/bin/sleep 30  # answers --help by hanging",
    }  # fmt: skip
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    (folder / "notexec").write_text("")
    monkeypatch.setenv("PATH", str(folder))
    return folder


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("gti", "git", 1), ("git", "git", 0), ("gerp", "grep", 1), ("mkae", "make", 1),
     ("ca", "abc", 3), ("", "ls", 2), ("pyhton3", "python3", 1), ("dokcer", "docker", 1)],
)  # fmt: skip
def test_damerau_counts_a_swap_of_neighbours_as_one_edit(a: str, b: str, distance: int) -> None:
    assert typos.damerau(a, b) == distance


@pytest.mark.parametrize(
    ("command", "fixed"),
    [
        ("gti status", "git status"),
        ("sudo gti push", "sudo git push"),
        ("FOO=1 gti log", "FOO=1 git log"),
        ("grep -l x * | gerp y", "grep -l x * | grep y"),
        ('echo "gti | gti" && gti st', 'echo "gti | gti" && git st'),
    ],
)
def test_a_mistyped_program_is_replaced_and_nothing_else(
    bin_dir: Path, command: str, fixed: str
) -> None:
    typo = typos.correct(command)
    assert typo is not None and typo.command == fixed


def test_no_fix_when_unsure_or_when_nothing_is_mistyped(bin_dir: Path) -> None:
    assert typos.correct("git status") is None  # right already
    assert typos.correct("cd /tmp && echo hi") is None  # builtins
    assert typos.correct("./gti status") is None  # a path, not a PATH program
    assert typos.correct("xyzzy") is None  # nothing near
    assert typos.correct("notexe") is None  # near only a file that is not executable
    assert typos.correct("grap x") is None  # grep and grip: a tie, so the model decides
    assert typos.candidates("grap") == ["grep", "grip", "trap"]  # a builtin comes last
    gis = typos.correct("gis")  # of git, gist and gits: the same length wins
    assert gis is not None and gis.command == "git"


def test_path_is_scanned_once_per_path_string(bin_dir: Path) -> None:
    typos.path_programs.cache_clear()
    typos.correct("gti")
    typos.correct("gerp")
    assert typos.path_programs.cache_info().misses == 1


def test_a_typo_is_fixed_without_opening_a_backend(bin_dir: Path) -> None:
    def no_backend() -> FakeBackend:
        raise AssertionError("a typo must not reach the model")

    found = fix.fix(fix.Failure("gti status", 127), no_backend, bin_dir, Options())
    assert (found.command, found.source) == ("git status", "typo")
    assert found.to_json()["original"] == "gti status"


def test_a_program_that_ran_is_never_renamed(bin_dir: Path) -> None:
    backend = FakeBackend.scripted("```bash\ngit status --short\n```")
    found = fix.fix(fix.Failure("gti status", 1), lambda: backend, bin_dir, Options())
    assert found.source == "model" and len(backend.history) == 1


def test_the_prompt_carries_command_status_errors_and_help(bin_dir: Path) -> None:
    backend = FakeBackend.scripted("```bash\nmake all\n```")
    failure = fix.Failure("make al", 2, "make: *** No rule to make target 'al'.  Stop.")
    found = fix.fix(failure, lambda: backend, bin_dir, Options())
    assert found.command == "make all" and found.source == "model"
    prompt = backend.history[0][0][-1].content
    assert "Command: make al" in prompt and "Exit status: 2" in prompt
    assert "No rule to make target 'al'" in prompt
    assert "Usage: make [options]" in prompt  # `make --help`, from the PATH program


def test_an_unfound_program_brings_its_near_names_not_its_help(bin_dir: Path) -> None:
    prompt = fix.fix_prompt(fix.Failure("grap x", 127))
    assert "the program was not found" in prompt and "grep, grip" in prompt


def test_same_or_no_command_back_is_a_failure(bin_dir: Path) -> None:
    for reply in ("```bash\nmake  al\n```", "```bash\n```"):
        backend = FakeBackend.scripted(reply)
        with pytest.raises(CodeassistError) as caught:
            fix.fix(fix.Failure("make al", 2), lambda: backend, bin_dir, Options())  # noqa: B023
        assert caught.value.exit_code == Exit.FAILURE and "no fix found" in caught.value.message


def test_nothing_to_fix_is_a_usage_error(bin_dir: Path) -> None:
    with pytest.raises(UsageError):
        fix.fix(fix.Failure("  ", None), FakeBackend, bin_dir, Options())


def test_help_text_stops_a_program_that_hangs(bin_dir: Path) -> None:
    started = time.monotonic()
    assert fix._help_text("slow") == ""
    assert time.monotonic() - started < docs.TIMEOUT_S + 2
    assert fix._help_text("no-such-program") == "" and fix._help_text("cd") == ""


def test_error_output_is_capped_to_its_end_and_cleaned() -> None:
    colored = b"\x1b[31merror:\x1b[0m bad \x07thing\r\n"
    text = fix.read_error(io.BytesIO(b"x" * 100_000 + colored))
    assert len(text) <= fix.MAX_ERROR and text.endswith("error: bad \\x07thing\n")


def test_cli_piped_errors_reach_the_prompt(tmp_path: Path) -> None:
    with recording_endpoint("```bash\nmake all\n```") as (url, requests):
        env = {**os.environ, "CODEASSIST_ENDPOINT": url}
        proc = subprocess.run(
            f"echo 'make: *** No rule to make target' | {codeassist_exe()} fix --command make "
            "--exit-code 2 --json",
            shell=True, capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert '"command": "make all"' in proc.stdout and '"source": "model"' in proc.stdout
    prompt = requests[0]["messages"][-1]["content"]
    assert "make: *** No rule to make target" in prompt and "Exit status: 2" in prompt


def test_cli_typo_asks_no_server_and_bad_input_is_exit_2(bin_dir: Path) -> None:
    exe = codeassist_exe()
    env = {**os.environ, "PATH": f"{bin_dir}:{Path(sys.executable).parent}"}
    with recording_endpoint("```bash\nfalse\n```") as (url, requests):
        env["CODEASSIST_ENDPOINT"] = url

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([exe, "fix", *args], capture_output=True, text=True, env=env,
                                  stdin=subprocess.DEVNULL)  # fmt: skip

        proc = cli("--command", "gti status", "--exit-code", "127")
        assert (proc.returncode, proc.stdout) == (0, "git status\n")
        empty = cli()
    assert requests == []
    assert empty.returncode == Exit.USAGE and "hint:" in empty.stderr


def test_a_command_that_succeeded_and_said_nothing_is_not_fixed() -> None:
    # found by a new-user audit: `fix --command ls --exit-code 0` asked the model, got `ls -l`
    proc = run_cli("fix", "--command", "ls", "--exit-code", "0", input="")
    assert_clean_error(proc, Exit.USAGE, "nothing to fix")
    assert_clean_error(run_cli("fix", "--command", "ls", "--exit-code", "999"), Exit.USAGE, "999")
