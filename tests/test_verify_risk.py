"""sql.risk and python.risk: a destructive SQL or Python answer is never shown silently.

Found by a new-user audit: "remove the customer Bo" answered `DELETE FROM customers;` came
back with no warning at all, on a terminal, piped or in --json (shell answers had shell.risk).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from codeassist.verify import Subject, run_checks
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
            "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Bo');"
        )
    conn.close()
    return path


def risks(language: str, code: str, db: Path | None = None) -> dict[str, tuple[bool, str]]:
    subject = Subject(language, code, request="x", db=str(db) if db else None)
    return {c.name: (c.passed, c.detail) for c in run_checks(subject) if c.name.endswith(".risk")}


def test_destructive_sql_and_python_fail_their_risk_check(shop: Path) -> None:
    assert risks("sql", "DELETE FROM customers;", shop) == {
        "sql.risk": (False, "high: DELETE without WHERE changes every row")
    }
    rmtree = "import shutil\nfrom pathlib import Path\n\nshutil.rmtree(Path.home())\n"
    passed, detail = risks("python", rmtree)["python.risk"]
    assert not passed and detail.startswith("high: line 4, shutil.rmtree")


def test_answers_of_low_risk_carry_no_risk_check(shop: Path) -> None:
    assert risks("sql", "SELECT name FROM customers", shop) == {}
    assert risks("sql", "DELETE FROM customers WHERE name = 'Bo'", shop) == {}
    assert risks("python", "print(sum(range(10)))\n") == {}


def test_gen_says_so_piped_and_in_json_and_asks_the_model_once(shop: Path) -> None:
    heard: list[dict[str, object]] = []
    with scripted_endpoint("```sql\nDELETE FROM customers;\n```", heard=heard) as url:
        piped = run_cli("gen", "--endpoint", url, "--db", str(shop), "remove the customer Bo")
        as_json = run_cli("gen", "--endpoint", url, "--db", str(shop), "--json", "remove Bo")
    assert piped.stdout == "DELETE FROM customers;\n"
    assert "check failed sql.risk: high: DELETE without WHERE changes every row" in piped.stderr
    checks = {c["name"]: c for c in json.loads(as_json.stdout)["checks"]}
    assert checks["sql.risk"]["passed"] is False
    assert len(heard) == 2  # one request each: a risk is said, never repaired
    assert sqlite3.connect(shop).execute("SELECT COUNT(*) FROM customers").fetchone() == (2,)
