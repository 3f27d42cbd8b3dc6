"""sql.joins: a joined table that gives the query nothing, unasked, is dropped before it is shown.

Real SQLite files (and the PostgreSQL server of tests/helpers/postgres.py), real sqlglot; the
pipeline tests script the model's answer, as the model wrote it on Spider dev.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.verify import Check, Subject, run_checks

OVER_JOINED = (
    "SELECT T1.song_name FROM singer AS T1 JOIN singer_in_concert AS T2 "
    "ON T1.singer_id = T2.singer_id WHERE T1.age > (SELECT AVG(age) FROM singer)"
)


@pytest.fixture
def concerts(tmp_path: Path) -> Path:
    path = tmp_path / "concerts.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT, song_name TEXT,"
            " age INTEGER);"
            "CREATE TABLE concert (concert_id INTEGER PRIMARY KEY, concert_name TEXT,"
            " year INTEGER);"
            "CREATE TABLE singer_in_concert (concert_id INTEGER REFERENCES concert,"
            " singer_id INTEGER REFERENCES singer);"
            "INSERT INTO singer VALUES (1, 'Joe', 'Hey', 52), (2, 'Tribal', 'Love', 41),"
            " (3, 'Rose', 'Gone', 29), (4, 'John', 'Dreams', 60);"
            "INSERT INTO concert VALUES (1, 'Auditions', 2014), (2, 'Super bootcamp', 2015);"
            "INSERT INTO singer_in_concert VALUES (1, 1), (2, 1), (1, 2);"
        )
    conn.close()
    return path


def joins_of(code: str, db: Path, request: str) -> Check | None:
    found = {c.name: c for c in run_checks(Subject("sql", code, request=request, db=str(db)))}
    return found.get("sql.joins")


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(sql).fetchall())


def test_an_unasked_join_fails_and_names_the_table(concerts: Path) -> None:
    found = joins_of(OVER_JOINED, concerts, "song names of singers older than average")
    assert found is not None and not found.passed
    assert found.detail.startswith("joins singer_in_concert (T2) but uses none of its columns")


def test_the_pipeline_shows_the_query_without_it_and_its_rows_are_the_right_ones(
    concerts: Path,
) -> None:
    backend = FakeBackend.scripted(f"```sql\n{OVER_JOINED}\n```")
    request = pipeline.Request(
        "What are all the song names by singers who are older than average?",
        language="sql", db=str(concerts),
    )  # fmt: skip
    result = pipeline.run(request, backend)
    assert "singer_in_concert" not in result.code and result.repairs == 0
    assert len(backend.history) == 1  # fixed without asking the model again
    right = "SELECT song_name FROM singer WHERE age > (SELECT AVG(age) FROM singer)"
    # Joe sang in two concerts, John (60) in none: the join repeats one and drops the other
    assert rows(concerts, OVER_JOINED) == [("Hey",), ("Hey",)]
    assert rows(concerts, result.code) == rows(concerts, right) == [("Dreams",), ("Hey",)]
    assert all(c.passed for c in result.checks)  # and no join is left to judge
    assert "sql.joins" not in {c.name for c in result.checks}


@pytest.mark.parametrize(
    ("code", "request_text"),
    [
        # the request names the joined table: the join is the filter asked for
        (OVER_JOINED, "song names of singers older than average who sang in a concert"),
        (OVER_JOINED, "songs of older-than-average singers with CONCERTS"),
        # a self-join: the other side has no word of its own to look for in the request
        (
            "SELECT T1.name FROM singer AS T1 JOIN singer AS T2 ON T2.singer_id = T1.singer_id",
            "singer names",
        ),
        # a column of the join's table in a correlated subquery uses it
        (
            "SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 "
            "ON T1.singer_id = T2.singer_id WHERE EXISTS (SELECT 1 FROM concert AS c "
            "WHERE c.concert_id = T2.concert_id AND c.year = 2014)",
            "singers of 2014",
        ),
    ],
)
def test_a_join_the_request_asks_for_passes(concerts: Path, code: str, request_text: str) -> None:
    found = joins_of(code, concerts, request_text)
    assert found is not None and found.passed


@pytest.mark.parametrize(
    "code",
    [
        "SELECT * FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id",
        "SELECT T1.name FROM singer AS T1 LEFT JOIN singer_in_concert AS T2 "
        "ON T1.singer_id = T2.singer_id",
        "SELECT name FROM singer JOIN singer_in_concert USING (singer_id)",
        "SELECT name FROM singer",  # no join at all
        # found by the audit: each would have changed the rows the request wants
        "SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.concert_id "
        "AND T2.year = 2014",  # ON filters too
        "SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 "
        "ON T1.singer_id = T2.singer_id GROUP BY T1.name HAVING COUNT(T1.name) > 1",
        "SELECT SUM(T1.age) FROM singer AS T1 JOIN singer_in_concert AS T2 "
        "ON T1.singer_id = T2.singer_id",
        "SELECT T1.name FROM singer AS T1 NATURAL JOIN singer_in_concert AS T2",
        "WITH perf AS (SELECT singer_id FROM singer_in_concert) SELECT T1.name FROM singer AS T1 "
        "JOIN perf AS p ON p.singer_id = T1.singer_id",
        # the join's rows are what is counted
        "SELECT T1.name, COUNT(*) FROM singer AS T1 JOIN singer_in_concert AS T2 "
        "ON T1.singer_id = T2.singer_id GROUP BY T1.name",
        "SELECT T1.name FROM singer AS T1 JOIN (SELECT singer_id FROM singer_in_concert) AS T2 "
        "ON T1.singer_id = T2.singer_id",
    ],
)
def test_what_cannot_be_judged_has_no_finding(concerts: Path, code: str) -> None:
    assert joins_of(code, concerts, "the names of the singers") is None


def test_a_chain_of_idle_joins_goes_last_first_and_a_used_one_stays(concerts: Path) -> None:
    chain = (
        "SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = "
        "T2.singer_id JOIN concert AS T3 ON T2.concert_id = T3.concert_id WHERE T1.age < 50"
    )
    backend = FakeBackend.scripted(f"```sql\n{chain}\n```")
    request = pipeline.Request("names of singers under 50", language="sql", db=str(concerts))
    result = pipeline.run(request, backend)
    assert "JOIN" not in result.code.upper()
    used = chain.replace("T1.name", "T1.name, T3.year")  # T3 is used: every join stays
    assert joins_of(used, concerts, "names of singers under 50 and the year") is not None
    assert joins_of(used, concerts, "names of singers under 50 and the year").passed  # type: ignore[union-attr]


def test_an_unqualified_column_is_placed_by_the_schema(concerts: Path) -> None:
    code = (
        "SELECT name FROM singer AS T1 JOIN singer_in_concert AS T2 "
        "ON T1.singer_id = T2.singer_id ORDER BY age"
    )
    found = joins_of(code, concerts, "singer names by age")
    assert found is not None and not found.passed
    with_key = code.replace("ORDER BY age", "ORDER BY concert_id")  # only T2 has concert_id
    found = joins_of(with_key, concerts, "singer names by age")
    assert found is not None and found.passed


def test_the_multi_line_query_stays_multi_line_and_keeps_its_semicolon(concerts: Path) -> None:
    code = OVER_JOINED.replace(" JOIN", "\nJOIN").replace(" WHERE", "\nWHERE") + ";"
    backend = FakeBackend.scripted(f"```sql\n{code}\n```")
    request = pipeline.Request("song names of older singers", language="sql", db=str(concerts))
    result = pipeline.run(request, backend)
    assert "singer_in_concert" not in result.code
    assert "\n" in result.code and result.code.endswith(";")


def test_postgres_the_same(postgres_server: str) -> None:
    code = (
        "SELECT c.name FROM customers AS c JOIN orders AS o ON o.customer_id = c.id "
        "WHERE c.city = 'London'"
    )
    checks = run_checks(Subject("sql", code, request="customers in London", db=postgres_server,
                                dialect="postgres"))  # fmt: skip
    found = {c.name: c for c in checks}["sql.joins"]
    assert not found.passed and "joins orders (o)" in found.detail
    asked = run_checks(Subject("sql", code, request="customers in London with orders",
                               db=postgres_server, dialect="postgres"))  # fmt: skip
    assert {c.name: c for c in asked}["sql.joins"].passed


def test_a_column_moved_to_its_table_leaves_the_join_idle_and_it_goes_too(concerts: Path) -> None:
    # T2.song_name: only singer has song_name, so it moves to T1; then T2 gives nothing
    code = OVER_JOINED.replace("SELECT T1.song_name", "SELECT T2.song_name")
    backend = FakeBackend.scripted(f"```sql\n{code}\n```")
    request = pipeline.Request("song names of older singers", language="sql", db=str(concerts))
    result = pipeline.run(request, backend)
    assert result.code == (
        "SELECT T1.song_name FROM singer AS T1 WHERE T1.age > (SELECT AVG(age) FROM singer)"
    )
    assert len(backend.history) == 1
