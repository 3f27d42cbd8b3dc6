"""Shell checks: bash -n, programs on PATH, and the safety rules' risk level."""

from __future__ import annotations

from pathlib import Path

from codeassist.verify import Check, Subject, run_checks
from codeassist.verify.shell import missing_programs, programs


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
