"""Which language a request wants, from its words (and a database given with it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from codeassist.pipeline.language import detect
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("write a python function that reverses a string", "python"),
        ("a function that checks whether a number is prime", "python"),
        ("class for a binary tree with insert and search", "python"),
        ("find all files larger than 100MB in this directory", "shell"),
        ("list the 10 biggest folders here", "shell"),
        ("kill the process listening on port 8080", "shell"),
        ("compress the logs directory into a tar.gz", "shell"),
        ("show the last 5 git commits", "shell"),
        ("count customers per country in the customers table", "sql"),
        ("select all orders above 100 dollars", "sql"),
        ("average salary of employees grouped by department", "sql"),
        ("bash one-liner to count lines in all .py files", "shell"),
        ("sqlite query for the newest 3 rows", "sql"),
    ],
)
def test_obvious_requests_get_the_right_language(request_text: str, expected: str) -> None:
    assert detect(request_text) == expected


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("What is the model of the car with the smallest amount of horsepower?", "sql"),
        ("list the names of the singers", "sql"),
        ("a python function that loads the singers into a dict", "python"),
        ("a shell command that dumps the database to a file", "shell"),
    ],
)
def test_with_a_database_a_request_is_sql_unless_it_names_another(
    request_text: str, expected: str
) -> None:
    assert detect(request_text, database=True) == expected
    assert detect("What is the model of the car with the smallest amount of horsepower?") == (
        "python"  # no database given: the words alone decide
    )


def test_gen_with_a_database_asks_for_sql(tmp_path: Path) -> None:
    db = tmp_path / "cars.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE cars (model TEXT, horsepower INTEGER)")
        conn.execute("INSERT INTO cars VALUES ('volvo', 90), ('audi', 130)")
    conn.close()
    heard: list[dict[str, object]] = []
    reply = "```sql\nSELECT model FROM cars ORDER BY horsepower LIMIT 1;\n```"
    with scripted_endpoint(reply, heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--db", str(db), "--json",
                       "What is the model of the car with the smallest amount of horsepower?",
                       cwd=tmp_path, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["language"] == "sql"  # it was python: no SQL word in the request
    assert answer["code"] == "SELECT model FROM cars ORDER BY horsepower LIMIT 1;"
    assert "CREATE TABLE cars" in json.dumps(heard[0]["messages"])
