"""Shell checks: bash -n, programs on PATH, and the safety rules' risk level."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codeassist.verify import Check, Subject, run_checks
from codeassist.verify.shell import builtins, missing_programs, programs

# Programs of the fake PATH below: each an executable script in a folder of its own.
ON_PATH = ("sudo", "env", "timeout", "nice", "xargs", "sh", "systemctl", "make", "cmd", "cmd1",
           "cmd2", "ls")  # fmt: skip


def by_name(code: str, cwd: Path | None = None) -> dict[str, Check]:
    return {c.name: c for c in run_checks(Subject("shell", code, cwd=cwd))}


def test_a_good_command_passes() -> None:
    found = by_name("find . -name '*.py' -size +1k | xargs wc -l | sort -n")
    assert found["shell.parse"].passed and found["shell.programs"].passed
    assert found["shell.risk"].passed and found["shell.risk"].detail.startswith("low")


def test_a_syntax_error_fails_parse() -> None:
    found = by_name("for f in *.txt; do echo $f")
    assert not found["shell.parse"].passed
    assert "syntax error" in found["shell.parse"].detail
    assert found["shell.programs"].detail == "not run: the command does not parse"


def test_programs_are_collected_through_wrappers_and_exec() -> None:
    code = "sudo -E apt-get update && find . -exec stat {} + | xargs -n 1 rg foo; timeout 5 curl x"
    assert programs(code) == ["sudo", "apt-get", "find", "stat", "xargs", "rg", "timeout", "curl"]


def test_builtins_keywords_functions_and_expansions_are_skipped() -> None:
    code = 'greet() { echo hi; }; greet; if [ -d x ]; then cd x; fi; "$EDITOR" f; export A=1'
    assert missing_programs(code) == []


def test_a_program_not_on_path_fails() -> None:
    found = by_name("ls -la | fzfx --preview cat")
    assert found["shell.programs"] == Check("shell.programs", False, "not found on PATH: fzfx")


def test_relative_scripts_must_exist_and_be_executable(tmp_path: Path) -> None:
    script = tmp_path / "build.sh"
    script.write_text("#!/bin/sh\n")
    assert not by_name("./build.sh", cwd=tmp_path)["shell.programs"].passed
    script.chmod(0o755)
    assert by_name("./build.sh", cwd=tmp_path)["shell.programs"].passed


def test_a_high_risk_command_fails_the_risk_check() -> None:
    found = by_name("rm -rf /")
    assert found["shell.parse"].passed
    assert not found["shell.risk"].passed
    assert found["shell.risk"].detail.startswith("high")


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH is one folder holding exactly ON_PATH (builtins are asked of the real bash first)."""
    builtins()
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ON_PATH:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    return folder


@pytest.mark.parametrize(
    "code",
    ["sudo -u www-data systemctl restart nginx", "env -C /srv make", "env -C /srv/app make"],
)
def test_a_wrapper_option_value_is_not_a_program(code: str, fake_path: Path) -> None:
    assert by_name(code)["shell.programs"] == Check("shell.programs", True, "")


@pytest.mark.parametrize(
    ("code", "runs"),
    [
        ("sudo -u www-data systemctl restart nginx", ["sudo", "systemctl"]),
        ("env -C /srv make", ["env", "make"]),
        ("sudo -E -u x cmd", ["sudo", "cmd"]),
        ("env -i A=1 B=2 cmd", ["env", "cmd"]),
        ("timeout -s KILL 5 cmd", ["timeout", "cmd"]),
        ("nice -n 5 cmd", ["nice", "cmd"]),
        ("ls -1 | xargs -0 -n1 cmd", ["ls", "xargs", "cmd"]),
        ("sh -c 'cmd1 | cmd2'", ["sh", "cmd1", "cmd2"]),
        ("sudo env -u HOME nice -n 5 cmd --flag", ["sudo", "env", "nice", "cmd"]),
        ("x=$(cmd1) && (cd /tmp; cmd2 < <(cmd))", ["cmd1", "cd", "cmd2", "cmd"]),
        ("alias ll='ls -l'; ll; f() { cmd; }; f", ["alias", "cmd"]),
    ],
)  # fmt: skip
def test_wrappers_are_peeled_to_the_program_they_run(
    code: str, runs: list[str], fake_path: Path
) -> None:
    assert programs(code) == runs
    assert missing_programs(code) == []


@pytest.mark.parametrize(
    ("code", "missing"),
    [
        ("sudo -u www-data nosuchprog restart", ["nosuchprog"]),
        ("env -C /srv nosuchprog", ["nosuchprog"]),
        ("sh -c 'cmd1 | nosuchprog'", ["nosuchprog"]),
        ("timeout 5 nosuchprog; systemctl start x", ["nosuchprog"]),
    ],
)
def test_a_program_that_is_not_there_is_still_reported(
    code: str, missing: list[str], fake_path: Path
) -> None:
    assert missing_programs(code) == missing


def test_a_missing_safety_package_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "codeassist.safety.shell", None)  # import fails
    with pytest.raises(ImportError):
        run_checks(Subject("shell", "ls -la"))
