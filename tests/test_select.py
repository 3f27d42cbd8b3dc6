"""Best of k by execution: scripted candidates (fake backend), real SQLite, real sandbox runs."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends import sampling
from codeassist.backends.base import Options
from codeassist.backends.fake import FakeBackend
from codeassist.verify import sandbox
from codeassist.verify.select_python import literal_call
from codeassist.verify.select_shell import normalized

SCHEMA = "CREATE TABLE people (name TEXT, age INTEGER);"


def fenced(lang: str, code: str) -> str:
    return f"```{lang}\n{code}\n```"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "people.db"
    conn = sqlite3.connect(path)
    conn.execute(SCHEMA)
    conn.executemany("INSERT INTO people VALUES (?, ?)", [("ann", 30), ("bob", 41), ("cy", 25)])
    conn.commit()
    conn.close()
    return path


def sql_request(db: Path, samples: int) -> pipeline.Request:
    return pipeline.Request("names of people older than 30", language="sql", schema=SCHEMA,
                            db=str(db), samples=samples)  # fmt: skip


def test_sql_the_result_most_candidates_agree_on_wins(db: Path) -> None:
    first = "SELECT name FROM people WHERE age >= 30"  # ann and bob: the odd one out
    backend = FakeBackend.scripted(
        fenced("sql", first),
        fenced("sql", "SELECT name FROM people WHERE age > 30"),
        fenced("sql", "SELECT people.name FROM people WHERE people.age > 30"),
    )
    result = pipeline.run(sql_request(db, 3), backend)
    assert result.code == "SELECT name FROM people WHERE age > 30"
    assert result.samples is not None
    assert result.samples.drawn == 3 and result.samples.winner == 1
    assert result.samples.reason == "2 of 3 candidates agree on the result rows"
    groups = [c.group for c in result.samples.candidates]
    assert groups[1] == groups[2] != groups[0]
    assert len(backend.history) == 3
    sampled = [options for _, options in backend.history[1:]]
    assert [o.seed for o in sampled] == [1, 2]
    assert all(o.temperature == sampling.SAMPLE_TEMPERATURE for o in sampled)
    assert backend.history[0][1].temperature == 0.0  # the first answer stays greedy


def test_sql_ties_go_to_the_shortest_query(db: Path) -> None:
    backend = FakeBackend.scripted(
        fenced("sql", "SELECT people.name FROM people WHERE people.age >= 30"),
        fenced("sql", "SELECT name FROM people WHERE age > 30 ORDER BY name"),
        fenced("sql", "SELECT name FROM people WHERE age >= 30"),
        fenced("sql", "SELECT p.name FROM people AS p WHERE p.age > 30"),
    )
    result = pipeline.run(sql_request(db, 4), backend)
    assert result.code == "SELECT name FROM people WHERE age >= 30"  # 2 against 2: shortest
    assert result.samples is not None and result.samples.winner == 2


def test_shell_majority_of_normalized_parse_trees() -> None:
    backend = FakeBackend.scripted(
        fenced("bash", "nosuchprogram-xyz --all"),  # fails shell.programs: not confirmed
        fenced("bash", "ls -l"),
        fenced("bash", "ls  -la"),
        fenced("bash", "ls -al  # long, all"),
    )
    request = pipeline.Request("list all files, long format", language="shell", samples=4)
    result = pipeline.run(request, backend)
    assert result.code == "ls  -la"
    assert result.samples is not None and result.samples.reason == "majority parse tree 2/4"


def test_shell_normalization() -> None:
    assert normalized("ls -la") == normalized("ls  -la") == normalized("ls -al # all")
    assert normalized("grep 'foo' a.txt") == normalized('grep "foo" a.txt')
    assert normalized("grep foo a.txt") == normalized("grep 'foo' a.txt")
    assert normalized("ls -la") != normalized("ls -l")
    assert normalized("ls -l -a") != normalized("ls -la")  # two words are not one cluster
    assert normalized('echo "$HOME"') != normalized("echo '$HOME'")  # one expands, one not
    assert normalized("find . -name x -type f") != normalized("find . -name f -type x")


@pytest.mark.skipif(sandbox.unavailable() is not None, reason="no sandbox here")
def test_python_candidates_agreeing_on_proposed_inputs_win() -> None:
    backend = FakeBackend.scripted(
        fenced("python", "def magnitude(x):\n    return x"),
        fenced("python", "def magnitude(x):\n    return abs(x)"),
        fenced("python", "def magnitude(x):\n    return x if x >= 0 else -x"),
        # the model's edge cases: literal calls are kept, anything else is dropped
        "magnitude(-3)\nmagnitude(0)\n`magnitude(2.5)`\nmagnitude(__import__('os'))\nprint(1)",
    )
    request = pipeline.Request("a function magnitude(x): how far x is from 0", language="python",
                               samples=3)  # fmt: skip
    result = pipeline.run(request, backend)
    assert result.code == "def magnitude(x):\n    return abs(x)"
    assert result.samples is not None
    assert result.samples.reason == "2 of 3 candidates agree on 3 proposed inputs"
    assert len(backend.history) == 4  # the first, two samples, one call for inputs
    asked = backend.history[3][0][-1].content
    assert "magnitude" in asked and "return x" in asked


def test_literal_calls_only() -> None:
    assert literal_call("f(1, [2, 'a'], k=None)", "f") == "_s.f(1, [2, 'a'], k=None)"
    assert literal_call("f(x)", "f") is None
    assert literal_call("g(1)", "f") is None
    assert literal_call("f(*[1])", "f") is None
    assert literal_call("f(**{'a': 1})", "f") is None
    assert literal_call("f(__import__('os').system('id'))", "f") is None


ADD = "Write a Python function add(a, b).\n>>> add(2, 3)\n5"


def test_a_first_answer_that_passes_its_examples_draws_one_candidate() -> None:
    if sandbox.unavailable():
        pytest.skip("no sandbox here: examples cannot run")
    backend = FakeBackend.scripted(fenced("python", "def add(a, b):\n    return a + b"), "x")
    result = pipeline.run(pipeline.Request(ADD, language="python", samples=5), backend)
    assert len(backend.history) == 1
    assert result.samples is not None and result.samples.drawn == 1
    assert result.samples.reason == "the first answer passes its examples"


def test_one_sample_is_todays_result(db: Path) -> None:
    replies = [fenced("sql", "SELECT name FROM people WHERE age >= 30"), fenced("sql", "SELECT 1")]
    today = pipeline.run(sql_request(db, 1), FakeBackend.scripted(*replies))
    assert today.samples is None and "samples" not in today.to_json()
    assert today.code == "SELECT name FROM people WHERE age >= 30"


def test_draw_uses_complete_many_when_the_backend_has_it() -> None:
    class Batched(FakeBackend):
        def complete_many(self, messages: object, options: Options, k: int) -> list[str]:
            return [f"{options.seed + i} at {options.temperature}" for i in range(k)]

    got = sampling.draw(Batched(), [], Options(seed=4), 2)
    assert got == [f"4 at {sampling.SAMPLE_TEMPERATURE}", f"5 at {sampling.SAMPLE_TEMPERATURE}"]
    assert sampling.draw(FakeBackend.scripted("a", "b"), [], Options(), 1) == ["a"]


def test_sql_the_only_candidate_passing_the_checks_wins(db: Path) -> None:
    backend = FakeBackend.scripted(
        fenced("sql", "SELECT nme FROM people WHERE age > 30"),
        fenced("sql", "SELECT name FROM people WHERE age > 30"),
        fenced("sql", "SELECT name FROM persons WHERE age > 30"),
    )
    result = pipeline.run(dataclasses.replace(sql_request(db, 3), max_repairs=0), backend)
    assert result.code == "SELECT name FROM people WHERE age > 30"
    assert result.samples is not None
    assert result.samples.reason == "the only one of 3 that passes every check"
