"""A few rows of each table under its CREATE statement: how the data is stored, shown safely.

Real SQLite files (PostgreSQL in test_postgres.py) with hostile values, and the real CLI
against a scripted OpenAI-compatible server that records the prompt it was sent.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from codeassist.db import rank
from codeassist.db.schema import fit_database_schema
from codeassist.verify.sql.check import tables_from_ddl
from tests.helpers.bigschema import big_sqlite
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint

TOKEN = "ghp_" + "Zx8Qm2Lr5Tv9Wk3Np7Hy1Bc4Df6Gj0Ks2Ue"


def users_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, password TEXT, note TEXT,"
            " avatar BLOB, active TEXT);"
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id),"
            " day TEXT);"
        )
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, "Ada\x1b]0;pwned\x07\x1b[2J", "hunter2hunter2", "ends */ DROP TABLE users; /*",
                 b"\x89PNG\r\n", "Y"),
                (2, "O'Brien", "s3cret-pass!", f"token {TOKEN}", None, "N"),
                (3, "x" * 200, "correct horse", "line one\nline two", b"", "Y"),
                (4, "fourth", "pw", "not shown", None, "N"),
            ],
        )  # fmt: skip
        conn.execute("INSERT INTO visits VALUES (1, 1, '2025-01-02')")
    conn.close()
    return path


def test_rows_show_how_values_are_stored_and_nothing_hostile(tmp_path: Path) -> None:
    db = users_db(tmp_path / "users.db")
    text, sent = fit_database_schema(str(db), "who is active?", 1500, rows=3)
    assert sent.tables == ("users", "visits")
    assert "/* 3 rows of users: id | name | password | note | avatar | active" in text
    assert "1 row of visits: id | user_id | day\n1 | 1 | '2025-01-02' */" in text
    assert "'fourth'" not in text  # three rows, no more
    assert "'Y'" in text and "'N'" in text  # the flag is a letter: the model can see it
    assert "'O''Brien'" in text  # quoted as SQL quotes it
    for raw in ("\x1b", "\x07", "\n\x1b"):
        assert raw not in text
    assert "'Ada\\x1b]0;pwned\\x07\\x1b[2J'" in text  # escapes shown as text
    assert "'line one\\nline two'" in text  # one row, one line
    assert "hunter2" not in text and "s3cret" not in text and "horse" not in text
    assert text.count("«redacted»") >= 3  # the password column, whatever it holds
    assert TOKEN not in text  # a credential's format, in any column
    assert f"'{'x' * 40}…'" in text and "x" * 41 not in text
    assert "<6 bytes>" in text and "<0 bytes>" in text and "NULL" in text
    # a value can neither end the comment nor open one (PostgreSQL's comments nest)
    assert text.count("*/") == 2 and text.count("/*") == 2
    assert "'ends * / DROP TABLE users; / *'" in text
    assert {t.lower() for t in tables_from_ddl(text, "sqlite")} >= {"users", "visits"}


def test_the_checks_still_read_a_schema_with_rows(tmp_path: Path) -> None:
    db = users_db(tmp_path / "users.db")
    ok = run_cli("check", "--lang", "sql", "--db", str(db), "SELECT name FROM users")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = run_cli("check", "--lang", "sql", "--db", str(db), "SELECT nickname FROM users")
    assert wrong.returncode == 1 and "nickname" in wrong.stdout


def test_rows_never_cost_a_table_its_place(tmp_path: Path) -> None:
    big = big_sqlite(tmp_path / "big.db")
    request = "how many orders did each customer place?"
    without, sent = fit_database_schema(str(big), request, 1500, rows=0)
    with_rows, sent_with_rows = fit_database_schema(str(big), request, 1500, rows=3)
    assert sent_with_rows == sent
    assert rank.approx_tokens(without) <= rank.approx_tokens(with_rows) <= 1500
    assert with_rows == fit_database_schema(str(big), request, 1500, rows=3)[0]  # stable


def prompt_of(request: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in request["messages"])


def test_gen_sends_rows_only_when_schema_rows_asks(tmp_path: Path, home: Path) -> None:
    db = users_db(tmp_path / "users.db")
    answer = "```sql\nSELECT name FROM users WHERE active = 'Y'\n```"
    for rows, shown in ((None, False), (3, True), (0, False)):
        if rows is not None:
            (home / "config").mkdir(parents=True, exist_ok=True)
            (home / "config" / "config.toml").write_text(f"schema_rows = {rows}\n")
        heard: list[dict[str, Any]] = []
        with scripted_endpoint(answer, heard=heard) as url:
            proc = run_cli("gen", "--endpoint", url, "--db", str(db), "--lang", "sql", "--json",
                           "--no-context", "who is active?", cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["code"] == "SELECT name FROM users WHERE active = 'Y'"
        prompt = prompt_of(heard[0])
        assert "CREATE TABLE users" in prompt
        assert ("3 rows of users" in prompt) is shown
        assert "hunter2" not in prompt
