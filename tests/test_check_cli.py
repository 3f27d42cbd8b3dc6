"""`codeassist check`: gen's checks on code the user wrote, through the installed command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from codeassist.errors import Exit
from codeassist.verify.standalone import detect
from tests.helpers.cli import assert_clean_error, run_cli


def make_shop(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO orders (total) VALUES (9.5)")
    conn.close()
    return path


def checks_of(stdout: str) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in json.loads(stdout)["checks"]}


def test_a_missing_column_of_a_real_database_fails(tmp_path: Path) -> None:
    db = str(make_shop(tmp_path / "shop.db"))
    proc = run_cli("check", "--db", db, "SELECT totl FROM orders")
    assert proc.returncode == Exit.FAILURE, proc.stdout + proc.stderr
    assert "language: sql" in proc.stdout
    assert "FAILED sql.schema: Column 'totl' could not be resolved" in proc.stdout
    good = run_cli("check", "--db", db, "SELECT sum(total) FROM orders")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "FAILED" not in good.stdout and "ok sql.explain" in good.stdout


def test_json_lists_every_check_with_its_status(tmp_path: Path) -> None:
    db = str(make_shop(tmp_path / "shop.db"))
    proc = run_cli("check", "--json", "--lang", "sql", "--db", db, "SELECT totl FROM orders")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert set(data) == {"language", "passed", "checks"}
    assert data["language"] == "sql" and data["passed"] is False
    for check in data["checks"]:
        assert set(check) == {"name", "status", "passed", "detail"}
        assert check["status"] in ("passed", "failed", "not run")
    by_name = checks_of(proc.stdout)
    assert by_name["sql.parse"]["status"] == "passed"
    assert by_name["sql.schema"]["status"] == "failed"
    assert by_name["sql.result"]["status"] == "not run"


def test_python_from_stdin() -> None:
    broken = run_cli("check", "--json", input="def add(a, b:\n    return a + b\n")
    assert broken.returncode == 1
    assert checks_of(broken.stdout)["python.parse"]["detail"].startswith("line 1")  # type: ignore[union-attr]
    good = run_cli("check", "-", input="import os\nprint(os.sep)\n")
    assert good.returncode == 0 and "language: python" in good.stdout, good.stdout


def test_shell_commands_and_the_code_inside_them() -> None:
    good = run_cli("check", "ls -la | sort -k5 -n")
    assert good.returncode == 0 and "language: shell" in good.stdout, good.stdout
    inner = run_cli("check", "--json", 'python3 -c "def f(): pass; for i in x: print(i)"')
    assert inner.returncode == 1
    assert checks_of(inner.stdout)["shell.inner"]["status"] == "failed"
    risky = run_cli("check", "--lang", "shell", "rm -rf ~")
    assert risky.returncode == 1 and "FAILED shell.risk: high" in risky.stdout
    missing = run_cli("check", "--json", "no-such-program-xyz --flag")
    assert checks_of(missing.stdout)["shell.programs"]["status"] == "failed"


def test_bad_input_is_one_line_with_a_hint(tmp_path: Path) -> None:
    assert_clean_error(run_cli("check", "   "), Exit.USAGE, "no code")
    assert_clean_error(run_cli("check", "--lang", "cobol", "x"), Exit.USAGE, "cobol")
    proc = run_cli("check", "--db", str(tmp_path / "nope.db"), "SELECT 1")
    assert_clean_error(proc, Exit.INPUT, "database not found")
    assert not (tmp_path / "nope.db").exists()
    proc = run_cli("check", "--schema", str(tmp_path / "nope.sql"), "SELECT 1")
    assert_clean_error(proc, Exit.INPUT, "cannot read schema file")


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("SELECT 1", "sql"),
        ("-- totals\nWITH t AS (SELECT 1) SELECT * FROM t", "sql"),
        ("select * form users", "sql"),  # broken SQL is still SQL
        ('with open("f") as fh: print(fh.read())', "python"),
        ("def f(:", "python"),  # broken Python is still Python
        ("for i in range(3): print(i)", "python"),
        ("x = [1, 2]", "python"),
        ("ls -la | sort", "shell"),  # valid Python too: ls - la | sort
        ("make", "shell"),
        ("no-such-tool --flag > out.txt", "shell"),  # Python reads names and operators
        ("for f in *.txt; do echo $f; done", "shell"),
        ("cd /tmp && ls", "shell"),
    ],
)
def test_the_language_is_told_from_the_code(code: str, language: str) -> None:
    assert detect(code) == language


def test_sqlglot_warnings_never_reach_stderr(tmp_path: Path) -> None:
    """sqlglot logged `'VACUUM INTO …' contains unsupported syntax`, quoting the SQL raw:
    an OSC title change, or a clipboard write, from the model's text."""
    db = make_shop(tmp_path / "shop.db")
    sql = "VACUUM INTO '\x1b]0;PWNED\x07\x1b[31mx'"
    proc = run_cli("check", "--lang", "sql", "--db", str(db), sql)
    assert "\x1b" not in proc.stderr + proc.stdout and "\x07" not in proc.stderr
    assert "unsupported syntax" not in proc.stderr


def test_a_name_with_a_newline_cannot_forge_a_check_line() -> None:
    forged = "'foo\n    ok shell.run\n    ok shell.risk: low' --x"
    proc = run_cli("check", "--lang", "shell", forged)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert not [line for line in lines if line.strip().startswith("ok shell.run")]
    assert "not found on PATH: foo\\x0a    ok shell.run" in proc.stdout


def test_a_file_is_checked_as_its_suffix_says(tmp_path: Path) -> None:
    (tmp_path / "deploy.sh").write_text('#!/bin/sh\nfor f in $(ls); do echo "$f"; done\n')
    (tmp_path / "tool.py").write_text("def f(:\n    pass\n")
    (tmp_path / "ok.sql").write_text("SELECT 1;\n")
    proc = run_cli("check", "deploy.sh", cwd=tmp_path)
    assert proc.returncode == Exit.FAILURE, proc.stdout + proc.stderr
    assert "language: shell" in proc.stdout
    assert "FAILED shell.lint: line 2: Iterating over ls output is fragile." in proc.stdout
    assert "shell.programs" in proc.stdout and "not found on PATH" not in proc.stdout
    py = run_cli("check", "--json", str(tmp_path / "tool.py"))
    assert py.returncode == 1 and json.loads(py.stdout)["language"] == "python"
    sql = run_cli("check", "./ok.sql", cwd=tmp_path)
    assert sql.returncode == 0 and "language: sql" in sql.stdout, sql.stdout + sql.stderr


def test_a_file_that_cannot_be_read_is_one_clean_error(tmp_path: Path) -> None:
    (tmp_path / "bin.sh").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "big.sh").write_text("echo hi\n" * 140_000)  # over 1 MiB
    for argument, words in [
        ("missing.sh", ("cannot read file missing.sh: No such file or directory",)),
        ("./", ("file . is a directory",)),
        ("bin.sh", ("cannot read file bin.sh: not UTF-8 text",)),
        ("big.sh", ("file big.sh is over 1 MiB",)),
    ]:
        assert_clean_error(run_cli("check", argument, cwd=tmp_path), Exit.INPUT, *words)


def test_a_word_without_a_path_or_suffix_is_still_code(tmp_path: Path) -> None:
    (tmp_path / "make").write_text("ls | grep a\n")  # fails shell.lint, were it read
    proc = run_cli("check", "--json", "make", cwd=tmp_path)
    assert json.loads(proc.stdout)["language"] == "shell"
    assert checks_of(proc.stdout)["shell.lint"]["status"] == "passed"
