"""The repair loop, with the fake backend scripted to fail first and succeed after."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from tests.helpers.cli import run_cli


def fenced(lang: str, code: str) -> str:
    return f"```{lang}\n{code}\n```"


WRONG_ADD = fenced("python", "def add(a, b):\n    return a - b")
RIGHT_ADD = fenced("python", "def add(a, b):\n    return a + b")
ADD_REQUEST = "Write a Python function add(a, b).\n>>> add(2, 3)\n5"


def names(result: pipeline.Result) -> dict[str, bool]:
    return {c.name: c.passed for c in result.checks}


def test_a_failed_example_is_fed_back_and_the_repair_is_kept() -> None:
    backend = FakeBackend.scripted(WRONG_ADD, RIGHT_ADD)
    result = pipeline.run(pipeline.Request(ADD_REQUEST, language="python"), backend)
    assert result.code == "def add(a, b):\n    return a + b"
    assert result.repairs == 1
    assert names(result) == {
        "python.parse": True,
        "python.imports": True,
        "python.unused": True,
        "python.examples": True,
    }
    first_round, second_round = backend.history[0][0], backend.history[1][0]
    assert len(second_round) == len(first_round)  # one fresh turn, not a conversation
    asked = second_round[-1].content
    assert asked.startswith(first_round[-1].content)
    assert (
        "This answer was tried and is wrong:\n```python\ndef add(a, b):\n    return a - b" in asked
    )
    assert "python.examples: 1 of 1 examples fail: add(2, 3) returned -1, expected 5" in asked


def test_a_passing_answer_asks_nothing_more() -> None:
    backend = FakeBackend.scripted(RIGHT_ADD)
    result = pipeline.run(pipeline.Request(ADD_REQUEST, language="python"), backend)
    assert result.repairs == 0 and len(backend.history) == 1
    assert all(c.passed for c in result.checks)


def test_rounds_are_bounded_and_the_best_answer_wins() -> None:
    broken = fenced("python", "def add(a, b)\n    return a + b")
    backend = FakeBackend.scripted(WRONG_ADD, broken, broken, RIGHT_ADD)
    request = pipeline.Request(ADD_REQUEST, language="python", max_repairs=2)
    result = pipeline.run(request, backend)
    assert len(backend.history) == 3 and result.repairs == 2
    temperatures = [options.temperature for _, options in backend.history]
    assert temperatures[:2] == [0.0, 0.0] and temperatures[2] > 0  # round 2 samples
    assert result.code == "def add(a, b):\n    return a - b"  # parses, fails one example
    assert names(result) == {
        "python.parse": True,
        "python.imports": True,
        "python.unused": True,
        "python.examples": False,
    }


def test_timings_add_up_over_rounds() -> None:
    def tokens_of(reply: str) -> int:
        request = pipeline.Request(ADD_REQUEST, language="python", verify=False)
        return pipeline.run(request, FakeBackend.scripted(reply)).timings.tokens

    backend = FakeBackend.scripted(WRONG_ADD, RIGHT_ADD)
    result = pipeline.run(pipeline.Request(ADD_REQUEST, language="python"), backend)
    assert result.timings.tokens == tokens_of(WRONG_ADD) + tokens_of(RIGHT_ADD)


def test_no_round_starts_after_the_time_budget() -> None:
    backend = FakeBackend.scripted(WRONG_ADD, RIGHT_ADD)
    request = pipeline.Request(ADD_REQUEST, language="python", repair_budget_s=0.0)
    result = pipeline.run(request, backend)
    assert result.repairs == 0 and not names(result)["python.examples"]


def test_without_verification_there_are_no_checks() -> None:
    backend = FakeBackend.scripted(WRONG_ADD, RIGHT_ADD)
    result = pipeline.run(pipeline.Request(ADD_REQUEST, language="python", verify=False), backend)
    assert result.checks == [] and result.repairs == 0 and len(backend.history) == 1


def test_missing_programs_get_exactly_one_regeneration(tmp_path: Path) -> None:
    backend = FakeBackend.scripted(
        fenced("bash", "fdfindx . -e py"), fenced("bash", "fdfindx -e py")
    )
    request = pipeline.Request("list python files", language="shell", cwd=tmp_path)
    result = pipeline.run(request, backend)
    assert len(backend.history) == 2 and result.repairs == 1
    assert "Rewrite the command without those programs" in backend.history[1][0][-1].content
    assert names(result)["shell.programs"] is False


def test_a_high_risk_command_is_reported_not_repaired(tmp_path: Path) -> None:
    backend = FakeBackend.scripted(fenced("bash", "rm -rf /"))
    result = pipeline.run(pipeline.Request("wipe it all", language="shell", cwd=tmp_path), backend)
    assert result.repairs == 0 and names(result)["shell.risk"] is False


def test_sql_is_repaired_against_the_schema() -> None:
    schema = "CREATE TABLE singer (singer_id INT, name TEXT, age INT);"
    backend = FakeBackend.scripted(
        fenced("sql", "SELECT singer_name FROM singer"), fenced("sql", "SELECT name FROM singer")
    )
    request = pipeline.Request("names of all singers", language="sql", schema=schema)
    result = pipeline.run(request, backend)
    assert result.code == "SELECT name FROM singer" and result.repairs == 1
    feedback = backend.history[1][0][-1].content
    assert "singer_name" in feedback and "singer: singer_id, name, age" in feedback


def test_a_value_in_the_wrong_letter_case_is_respelled_without_asking_again(
    tmp_path: Path,
) -> None:
    db = tmp_path / "music.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE singer (id INTEGER, name TEXT, country TEXT);"
            "INSERT INTO singer VALUES (1, 'Ada', 'france'), (2, 'Bo', 'Norway');"
        )
    conn.close()
    backend = FakeBackend.scripted(
        fenced("sql", "SELECT name FROM singer WHERE country = 'France'")
    )
    request = pipeline.Request("singers from France", language="sql", db=str(db))
    result = pipeline.run(request, backend)
    assert result.code == "SELECT name FROM singer WHERE country = 'france'"
    assert result.repairs == 0 and len(backend.history) == 1
    assert names(result)["sql.values"] is True


def test_an_empty_result_is_repaired_with_the_column_holding_the_value(tmp_path: Path) -> None:
    db = tmp_path / "tv.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE channel (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE episode (id INTEGER, title TEXT, channel_id INTEGER REFERENCES channel);"
            "INSERT INTO channel VALUES (1, 'MTV');"
            "INSERT INTO episode VALUES (1, 'Pilot', 1);"
        )
    conn.close()
    wrong = "SELECT c.id FROM channel AS c WHERE c.name = 'Pilot'"
    right = "SELECT channel_id FROM episode WHERE title = 'Pilot'"
    backend = FakeBackend.scripted(fenced("sql", wrong), fenced("sql", right))
    request = pipeline.Request("which channel shows Pilot?", language="sql", db=str(db))
    result = pipeline.run(request, backend)
    assert result.code == right and result.repairs == 1 and names(result)["sql.result"]
    feedback = backend.history[1][0][-1].content
    assert "no row has channel.name = 'Pilot'; that value is stored in episode.title" in feedback
    assert "- episode(id, title, channel_id)" in feedback
    assert "- episode.channel_id = channel.id" in feedback
    assert wrong not in feedback  # shown its own query, the small model copies it back


def test_the_json_carries_checks_and_repairs() -> None:
    backend = FakeBackend.scripted(WRONG_ADD, RIGHT_ADD)
    data = pipeline.run(pipeline.Request(ADD_REQUEST, language="python"), backend).to_json()
    encoded = json.loads(json.dumps(data))
    assert encoded["repairs"] == 1
    parse = {"name": "python.parse", "passed": True, "detail": "", "ran": True}
    assert encoded["checks"][0] == parse
    assert "reply" not in encoded


@pytest.mark.slow
@pytest.mark.model
def test_gen_json_carries_the_checks_end_to_end(small_model: Path, tmp_path: Path) -> None:
    db = tmp_path / "music.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)")
    conn.close()
    proc = run_cli(
        "gen", "--model", "smollm2-135m", "--json", "--lang", "sql", "--db", str(db),
        "--max-tokens", "48", "names of all singers older than 30",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert 0 <= data["repairs"] <= 2
    assert [c["name"] for c in data["checks"]] == [
        "sql.parse", "sql.schema", "sql.explain", "sql.result"
    ]  # fmt: skip
    assert all(
        isinstance(c["passed"], bool) and isinstance(c["detail"], str) for c in data["checks"]
    )
