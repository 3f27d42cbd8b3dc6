"""A database of 300 tables sends the prompt the tables the request names, within a budget.

Real SQLite files (a real PostgreSQL database in test_postgres.py), and the real CLI against a
scripted OpenAI-compatible server that records the prompt it was sent.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from codeassist.db import rank
from codeassist.db.schema import fit_database_schema, read_database_schema
from tests.helpers.bigschema import TABLES, big_sqlite
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint

SHOP = {"customers", "orders", "order_items", "products"}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_sqlite(tmp_path_factory.mktemp("big") / "big.db")


def test_words_are_split_and_made_singular() -> None:
    assert rank.name_words("order_items") == ["order", "item"]
    assert rank.name_words("ProductCategories") == ["product", "category"]
    assert [rank.stem(w) for w in ("boxes", "address", "status", "orders")] == [
        "box", "address", "status", "order"
    ]  # fmt: skip
    assert rank.request_words("How many orders did each customer place?") == [
        "order", "customer", "place"
    ]  # fmt: skip


def test_the_named_tables_and_their_neighbours_are_sent_within_the_budget(big: Path) -> None:
    text, sent = fit_database_schema(str(big), "how many orders did each customer place?", 1500)
    assert {"customers", "orders", "order_items"} <= set(sent.tables)
    assert rank.approx_tokens(text) <= 1500
    assert "CREATE TABLE orders" in text and "CREATE TABLE customers" in text
    assert "sensor_" not in text
    assert len(sent.tables) + len(sent.omitted) == TABLES
    assert set(sent.omitted) == set(read_tables(big)) - set(sent.tables)
    assert sent.note == f"schema: {len(sent.tables)} of 300 tables sent; --json lists the rest"


def test_a_value_stored_in_a_table_brings_it_in(big: Path) -> None:
    _, sent = fit_database_schema(str(big), "who lives in Oslo?", 1500)
    assert "customers" in sent.tables
    assert len(sent.tables) < 10


def test_the_choice_and_its_text_are_the_same_each_time_in_schema_order(big: Path) -> None:
    request = "list sensor calibration readings"
    first = fit_database_schema(str(big), request, 800)
    assert first == fit_database_schema(str(big), request, 800)
    assert rank.approx_tokens(first[0]) <= 800
    assert list(first[1].tables) == [t for t in read_tables(big) if t in first[1].tables]
    assert all("calibration" in t or "reading" in t or "sensor" in t for t in first[1].tables)


def test_a_request_that_names_nothing_still_gets_what_fits(big: Path) -> None:
    text, sent = fit_database_schema(str(big), "what is up", 300)
    assert 0 < len(sent.tables) < TABLES
    assert rank.approx_tokens(text) <= 300


def test_a_schema_under_the_budget_is_sent_whole_byte_for_byte(tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));"
            "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE INDEX b_a ON b (a_id); CREATE VIEW v AS SELECT name FROM a;"
        )
    conn.close()
    text, sent = fit_database_schema(str(db), "anything at all", 1500)
    assert text == read_database_schema(str(db))
    assert sent.tables == ("a", "b", "v") and sent.omitted == () and sent.note == ""


def read_tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
    conn.close()
    return [r[0] for r in rows]


def prompt_of(request: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in request["messages"])


def test_gen_json_lists_the_omitted_tables_and_the_prompt_holds_the_named_ones(
    big: Path, tmp_path: Path
) -> None:
    heard: list[dict[str, Any]] = []
    answer = "```sql\nSELECT COUNT(*) FROM orders\n```"
    with scripted_endpoint(answer, heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--db", str(big), "--lang", "sql", "--json",
                       "--no-context", "how many orders are there?", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "orders" in data["schema"]["tables"]
    assert len(data["schema"]["tables"]) + len(data["schema"]["omitted"]) == TABLES
    assert "sensor_calibration_0" in data["schema"]["omitted"]
    prompt = prompt_of(heard[0])
    assert "CREATE TABLE orders" in prompt
    assert prompt.count("CREATE TABLE") == len(data["schema"]["tables"]) < 20
    with scripted_endpoint(answer) as url:
        proc = run_cli("gen", "--endpoint", url, "--db", str(big), "--lang", "sql",
                       "--no-context", "how many orders are there?", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    kept = len(data["schema"]["tables"])
    assert f"schema: {kept} of 300 tables sent; --json lists the rest" in proc.stderr


def test_a_repair_round_after_a_count_of_nothing_quotes_the_names_held(
    big: Path, tmp_path: Path
) -> None:
    heard: list[dict[str, Any]] = []
    wrong = "```sql\nSELECT COUNT(*) FROM customers WHERE name = 'Smith'\n```"
    right = "```sql\nSELECT COUNT(*) FROM customers WHERE name LIKE '%Smith%'\n```"
    asked = "how many customers are named Smith?"
    with scripted_endpoint(wrong, right, heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--db", str(big), "--lang", "sql", "--json",
                       "--no-context", "--samples", "1", asked, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["repairs"] == 1 and "LIKE '%Smith%'" in data["code"]
    repair = prompt_of(heard[1])
    assert "`name = 'Smith'` matches no row of customers" in repair
    assert "values like 'John Smith', 'Anna Smithson' exist in customers.name" in repair
