"""Code inside a shell command (`python -c`, `sqlite3 db "…"`, jq, awk) is checked, never run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from codeassist.verify import Subject, run_checks
from codeassist.verify.inner import PLACEHOLDER, check, programs
from codeassist.verify.inner_langs import _parse_only
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint

BROKEN_FIB = 'python -c "def fib(n): return n; for i in range(3): print(i)"'


def shell_checks(command: str) -> dict[str, object]:
    return {c.name: c for c in run_checks(Subject("shell", command))}


def test_one_line_python_with_a_compound_statement_fails_with_pythons_words() -> None:
    found = check(BROKEN_FIB)
    assert found is not None and not found.passed
    assert "python -c: the Python code does not parse: line 1: invalid syntax" in found.detail
    assert "here-document" in found.detail  # what the repair round can do about it
    checks = shell_checks(BROKEN_FIB)
    assert checks["shell.parse"].passed  # type: ignore[attr-defined]
    assert not checks["shell.inner"].passed  # type: ignore[attr-defined]


def test_valid_inner_programs_pass() -> None:
    for command in (
        "python3 -c 'print(1)'",
        "python3 - <<'EOF'\nfor i in range(3):\n    print(i)\nEOF",
        'python3 -c "import os; print(os.environ[\\"HOME\\"])"',
        "python -c $'print(1)\\nprint(2)'",
        'sqlite3 shop.db "SELECT count(*) FROM orders"',
        "sqlite3 shop.db <<'EOF'\n.mode csv\nSELECT * FROM orders;\nEOF",
        "sudo -u postgres psql -d shop -Atc 'SELECT 1'",
    ):
        found = check(command)
        assert found is not None and found.passed, (command, found)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ('sqlite3 x.db "SELEC 1"', "sqlite3: the SQL does not parse (sqlite)"),
        ("psql -c 'SELECT * FROM users WHERE'", "psql: the SQL does not parse (postgres)"),
        ("mysql -e 'SELECT * FORM users'", "mysql: the SQL does not parse (mysql)"),
        ("python3 <<< 'print(1'", "'(' was never closed"),
        ("python3 - <<EOF\nx = $N\nprint(x\nEOF", "line 2: '(' was never closed"),
        ("bash -c \"python3 -c 'print(sys.argv'\"", "python3 -c: the Python code"),
        ("cat data | sudo python3 -u -c 'if x print(x)'", "python3 -c"),
    ],
)
def test_broken_inner_programs_fail(command: str, words: str) -> None:
    found = check(command)
    assert found is not None and not found.passed and words in found.detail, found


def test_quoting_is_resolved_as_the_shell_would() -> None:
    [double] = programs('python3 -c "print(\\"$HOME\\", \\`x\\`, \'a\')"')
    assert double.code == f"print(\"{PLACEHOLDER}\", `x`, 'a')"
    [single] = programs("python3 -c 'print(\"$HOME\")'")
    assert single.code == 'print("$HOME")'  # single quotes: nothing expands
    [heredoc] = programs("python3 - <<-EOF\n\tprint($X)\n\tEOF")
    assert heredoc.code == f"print({PLACEHOLDER})\n"


def test_commands_without_an_inner_program_get_no_inner_check() -> None:
    for command in (
        "echo 'python -c \"x(\"'",  # only text
        "python3 script.py -c 'x('",  # -c belongs to the script
        "python3 -m json.tool",
        'python3 -c "$CODE"',  # nothing known until it runs
        'psql -c "\\dt"',  # psql's own command
        "ls -la",
    ):
        assert check(command) is None, command


@pytest.mark.skipif(_parse_only("awk") is None, reason="this awk has no parse-only mode")
def test_awk_programs_are_parsed_not_run(tmp_path: Path) -> None:
    found = check("awk '{print $1'")
    assert found is not None and not found.passed and "rejects the program" in found.detail
    marker = tmp_path / "ran"
    ok = check(f"awk 'BEGIN {{ print 1 > \"{marker}\" }}' /dev/null")
    assert ok is not None and ok.passed
    assert not marker.exists()


@pytest.mark.skipif(shutil.which("gawk") is None, reason="gawk is not installed")
def test_gawk_rejects_a_broken_awk_program() -> None:
    found = check("gawk -F, '{print $1'")
    assert found is not None and not found.passed


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_jq_programs_are_compiled_not_run() -> None:
    assert check("jq '.items[] | .name' data.json").passed  # type: ignore[union-attr]
    assert check("jq --arg n x '.[] | select(.name == $n)' f.json").passed  # type: ignore[union-attr]
    broken = check("curl -s localhost | jq '.items[ | .name'")
    assert broken is not None and not broken.passed and "jq rejects" in broken.detail
    # `input` would wait on stdin if the program ran: it is compiled, never called
    assert check("jq -n 'input | .a'").passed  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_a_jq_program_that_escapes_its_wrapper_runs_only_in_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`.; EXPR | def h: 0` closes the function jq compiles and runs EXPR: what it prints
    would be quoted in the finding, and a repair prompt would carry it to the model."""
    monkeypatch.setenv("CODEASSIST_TEST_SECRET", "hunter2-secret")
    escape = "jq '.; $ENV.CODEASSIST_TEST_SECRET | halt_error | def h: 0' data.json"
    found = check(escape)
    assert found is not None and "hunter2-secret" not in found.detail
    assert check("jq '.a[' f.json").passed is False  # type: ignore[union-attr]
    monkeypatch.setenv("CODEASSIST_SANDBOX", "off")  # no sandbox: jq is not run at all
    assert check(escape) is None and check("jq '.a[' f.json") is None


def test_python_code_is_compiled_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    found = check(f'python3 -c \'open("{marker}", "w").write("x")\'')
    assert found is not None and found.passed
    assert not marker.exists()


def test_gen_repairs_a_broken_python_c_through_the_real_cli() -> None:
    broken = f"```bash\n{BROKEN_FIB}\n```"
    fixed = "```bash\npython3 -c 'print(1)'\n```"
    ask = ("gen", "--lang", "shell", "--no-context", "--samples", "1",  # the repair round
           "print fibonacci numbers with python")  # fmt: skip
    with scripted_endpoint(broken, fixed) as url:
        proc = run_cli(*ask, "--endpoint", url, "--json", timeout=60)
    with scripted_endpoint(broken, fixed) as url:
        piped = run_cli(*ask, "--endpoint", url, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] == "python3 -c 'print(1)'"
    assert result["repairs"] >= 1
    assert {c["name"]: c["passed"] for c in result["checks"]}["shell.inner"] is True
    assert piped.returncode == 0 and piped.stdout.strip() == "python3 -c 'print(1)'"
    assert os.listdir(".") == []
