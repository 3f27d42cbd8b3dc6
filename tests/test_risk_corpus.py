"""Every entry of tests/data/risk_corpus.toml gets the level it was filed with."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from codeassist.safety.risk import assess_shell, assess_sql

CORPUS = tomllib.loads((Path(__file__).parent / "data" / "risk_corpus.toml").read_text("utf-8"))


def test_the_corpus_is_big_enough_and_balanced() -> None:
    shell, sql = CORPUS["shell"], CORPUS["sql"]
    assert len(shell) >= 60 and len(sql) >= 20
    for entries in (shell, sql):
        high = sum(e["level"] == "high" for e in entries)
        assert 0.35 <= high / len(entries) <= 0.65, "about half dangerous, half look-alikes"


@pytest.mark.parametrize("entry", CORPUS["shell"], ids=lambda e: e["cmd"])
def test_shell_command_level(entry: dict[str, str]) -> None:
    risk = assess_shell(entry["cmd"])
    assert risk.level == entry["level"], risk
    if risk.level != "low":
        assert risk.reasons, "a risky command always says why"


@pytest.mark.parametrize("entry", CORPUS["sql"], ids=lambda e: e["sql"])
def test_sql_statement_level(entry: dict[str, str]) -> None:
    risk = assess_sql(entry["sql"], entry.get("dialect", "sqlite"))
    assert risk.level == entry["level"], risk
    if risk.level != "low":
        assert risk.reasons
