"""A query that reads nothing because of one comparison is caught, through aggregates too.

`COUNT(*) … WHERE name = 'Smith'` answers 0 in one row when the names are 'John Smith' and
'Anna Smithson': sql.result names the comparison and the values the column holds. Queries that
rightly read nothing (an anti-join with no match, comparisons that each match rows but not
together, an empty table) pass. Real SQLite files, checked through the child process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codeassist.verify import Check, Subject, run_checks


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total REAL,"
            " customer_id INTEGER REFERENCES customers (id));"
            "CREATE TABLE refunds (id INTEGER PRIMARY KEY, reason TEXT);"
            "INSERT INTO customers VALUES (1, 'John Smith', 'London'),"
            " (2, 'Anna Smithson', 'Paris'), (3, 'Bob Jones', 'Oslo');"
            "INSERT INTO orders VALUES (1, 'shipped', 10, 1), (2, 'pending', 20, 2),"
            " (3, 'shipped', 5, 3);"
        )
    conn.close()
    return path


def result_of(code: str, db: Path) -> Check:
    return {c.name: c for c in run_checks(Subject("sql", code, db=str(db)))}["sql.result"]


def test_a_count_over_a_name_that_matches_nothing_fails_with_the_names_held(shop: Path) -> None:
    found = result_of("SELECT COUNT(*) FROM customers WHERE name = 'Smith'", shop)
    assert not found.passed
    assert found.detail == (
        "the query computes over no rows: `name = 'Smith'` matches no row of customers; "
        "values like 'John Smith', 'Anna Smithson' exist in customers.name; "
        "it also holds 'Bob Jones'"
    )


def test_the_predicate_is_named_among_others_and_through_a_join(shop: Path) -> None:
    found = result_of(
        "SELECT SUM(o.total) FROM orders AS o JOIN customers AS c ON o.customer_id = c.id "
        "WHERE o.status = 'shipped' AND c.name LIKE 'smith'",
        shop,
    )
    assert not found.passed
    assert "`c.name LIKE 'smith'` matches no row of customers" in found.detail
    assert "'John Smith', 'Anna Smithson'" in found.detail
    assert "o.status" not in found.detail  # the comparison that matches rows is not blamed


def test_a_value_compared_with_the_wrong_column_is_said_where_it_is(shop: Path) -> None:
    found = result_of("SELECT COUNT(*) FROM customers WHERE name = 'London'", shop)
    assert found.detail == (
        "the query computes over no rows: `name = 'London'` matches no row of customers; "
        "'London' is stored in customers.city"
    )


def test_a_subquery_that_reads_nothing_is_caught_when_the_outer_query_has_rows(
    shop: Path,
) -> None:
    found = result_of(
        "SELECT name, (SELECT COUNT(*) FROM orders WHERE status = 'shiped') FROM customers", shop
    )
    assert not found.passed
    assert "`status = 'shiped'` matches no row of orders" in found.detail
    assert "values like 'shipped'" in found.detail


@pytest.mark.parametrize(
    "code",
    [
        # customers with no orders: there are none, and no string comparison is why
        "SELECT COUNT(*) FROM customers AS c LEFT JOIN orders AS o ON o.customer_id = c.id "
        "WHERE o.id IS NULL",
        "SELECT COUNT(*) FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)",
        # each comparison matches rows; together nothing: a right answer of 0
        "SELECT COUNT(*) FROM customers WHERE name = 'John Smith' AND city = 'Paris'",
        # a number range is not a misspelled name, nor a pattern nothing is near
        "SELECT COUNT(*) FROM orders WHERE total > 1000",
        "SELECT SUM(total) FROM orders WHERE status LIKE '2023%'",
        # the table is empty: nothing to match
        "SELECT COUNT(*) FROM refunds WHERE reason = 'broken'",
        # rows found: nothing to say
        "SELECT COUNT(*) FROM customers WHERE name LIKE '%Smith%'",
    ],
)
def test_a_query_that_rightly_reads_nothing_passes(code: str, shop: Path) -> None:
    assert result_of(code, shop).passed, result_of(code, shop).detail


def test_a_correlated_subquery_is_not_probed_alone(shop: Path) -> None:
    found = result_of(
        "SELECT c.name, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id "
        "AND o.status = 'shipped') FROM customers c",
        shop,
    )
    assert found == Check("sql.result", True, "the query returns rows")


def test_the_checks_never_write(shop: Path) -> None:
    before = shop.read_bytes()
    result_of("SELECT COUNT(*) FROM customers WHERE name = 'Smith'", shop)
    assert shop.read_bytes() == before
