"""`codeassist risk`: level, reasons and targets, for people and for scripts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from codeassist.cli import app
from codeassist.safety.risk import assess_shell, assess_sql

runner = CliRunner()


def test_json_gives_level_reasons_and_touches() -> None:
    result = runner.invoke(app, ["risk", "--json", "sudo dd if=x.iso of=/dev/sdb"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["level"] == "high"
    assert "writes raw data to a disk device" in data["reasons"]
    assert any("root" in r for r in data["reasons"])
    assert data["touches"] == ["/dev/sdb"]


def test_the_exit_code_is_0_whatever_the_level() -> None:
    for command in ("ls", "git rebase -i HEAD~2", "rm -rf /"):
        assert runner.invoke(app, ["risk", command]).exit_code == 0


def test_text_output_names_level_reasons_and_targets() -> None:
    result = runner.invoke(app, ["risk", "rm -rf ~/.cache/pip"], catch_exceptions=False)
    assert result.output.splitlines() == [
        "risk: medium",
        "  - recursively deletes files in your home directory",
        "touches: ~/.cache/pip",
    ]
    assert "nothing risky found" in runner.invoke(app, ["risk", "ls -la"]).output


def test_sql_with_a_dialect() -> None:
    result = runner.invoke(app, ["risk", "--sql", "--dialect", "postgres", "--json",
                                 "TRUNCATE orders, payments"])  # fmt: skip
    data = json.loads(result.output)
    assert data == {"level": "high", "reasons": ["TRUNCATE deletes every row"],
                    "touches": ["orders", "payments"]}  # fmt: skip


@pytest.mark.parametrize("dialect", ["nosuch", ""])
def test_an_unknown_dialect_is_a_usage_error(dialect: str) -> None:
    result = runner.invoke(app, ["risk", "--sql", "--dialect", dialect, "DROP TABLE x"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["error:", "hint:"]
    assert "dialect" in lines[0] and "risk:" not in result.output
    assert "postgres" in lines[1] and "sqlite" in lines[1] and "mysql" in lines[1]


def test_other_names_of_a_dialect_are_known() -> None:
    for dialect in ("postgresql", "PSQL", "sqlite3", "mariadb", "duckdb"):
        result = runner.invoke(app, ["risk", "--sql", "--dialect", dialect, "DROP TABLE x"])
        assert result.exit_code == 0 and "risk: high" in result.output, dialect


def test_empty_input_is_a_usage_error() -> None:
    result = runner.invoke(app, ["risk", "  "])
    assert result.exit_code == 2
    assert "nothing to judge" in result.output


def test_every_part_of_a_list_is_judged_and_the_worst_wins() -> None:
    risk = assess_shell("make clean && rm -rf build; rm -rf /boot || true")
    assert risk.level == "high"
    assert risk.touches == ("build", "/boot")


def test_nested_scripts_are_parsed_too() -> None:
    assert assess_shell("""bash -c 'sh -c "rm -rf ~"'""").level == "high"
    assert assess_shell("eval 'rm -rf /'").level == "high"
    assert assess_shell("""bash -c 'echo hello'""").level == "low"


def test_unparsable_shell_is_never_low() -> None:
    risk = assess_shell("if then fi (((")
    assert risk.level == "medium"
    assert "do not parse" in risk.reasons[0]


@pytest.mark.parametrize(
    ("command", "touches"),
    [('rm -rf "/', ("/",)), ("rm -rf '/home", ("/home",)), ('ls; rm -rf ~/"', ("~/",))],
)
def test_an_unclosed_quote_is_judged_as_if_closed(command: str, touches: tuple[str, ...]) -> None:
    risk = assess_shell(command)  # the shell waits for the quote; Enter supplies it
    assert risk.level == "high"
    assert "do not parse" in risk.reasons[0]
    assert risk.touches == touches


def test_sql_lists_every_table_it_touches() -> None:
    risk = assess_sql("DELETE FROM a; UPDATE b SET x = 1 WHERE id = 2; DROP TABLE c")
    assert risk.level == "high"
    assert risk.touches == ("a", "b", "c")
