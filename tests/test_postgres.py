"""PostgreSQL for real: schema read through information_schema, checks and EXPLAIN read-only."""

from __future__ import annotations

import pytest

from codeassist.db import postgres as pg
from codeassist.db.schema import dialect_of, read_database_schema
from codeassist.errors import InputError
from codeassist.verify import Subject, run_checks
from codeassist.verify.sql.check import tables_from_ddl

pytestmark = pytest.mark.slow  # starts a server once per session (a few seconds)


def checks_of(code: str, url: str) -> dict[str, tuple[bool, str]]:
    subject = Subject("sql", code, dialect="postgres", db=url)
    return {c.name: (c.passed, c.detail) for c in run_checks(subject)}


def test_the_schema_is_rebuilt_as_create_statements(postgres_server: str) -> None:
    ddl = read_database_schema(postgres_server)
    assert dialect_of(postgres_server) == "postgres"
    assert "CREATE TABLE customers (" in ddl
    assert "name text NOT NULL" in ddl
    assert "city varchar(40)" in ddl
    assert "total numeric(10,2) NOT NULL" in ddl
    assert "PRIMARY KEY (id)" in ddl
    assert "FOREIGN KEY (customer_id) REFERENCES customers (id)" in ddl
    # the rebuilt DDL is itself good input for the schema check
    assert tables_from_ddl(ddl, "postgres")["orders"] == ["id", "customer_id", "total", "placed_at"]


def test_a_good_query_passes_every_check(postgres_server: str) -> None:
    found = checks_of(
        "SELECT c.name, SUM(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id "
        "GROUP BY c.name",
        postgres_server,
    )
    assert found == {
        "sql.parse": (True, "1 statement(s)"),
        "sql.schema": (True, ""),
        "sql.keys": (True, ""),
        "sql.explain": (True, ""),
        "sql.result": (True, "the query returns rows"),
    }


def test_an_unknown_column_fails_the_schema_check_and_explain(postgres_server: str) -> None:
    found = checks_of("SELECT email FROM customers", postgres_server)
    assert found["sql.parse"][0]
    assert not found["sql.schema"][0]
    assert (
        "email" in found["sql.schema"][1] and "customers: id, name, city" in found["sql.schema"][1]
    )
    assert not found["sql.explain"][0]
    assert 'column "email" does not exist' in found["sql.explain"][1]


def test_explain_never_executes_a_write(postgres_server: str) -> None:
    found = checks_of("DELETE FROM orders WHERE total > 1", postgres_server)
    assert found["sql.explain"] == (True, "")
    with pg.connect_readonly(postgres_server) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (3,)


def test_the_connection_refuses_writes(postgres_server: str) -> None:
    import psycopg

    with pg.connect_readonly(postgres_server) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM orders")
    with pg.connect_readonly(postgres_server) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (3,)


def test_an_unreachable_server_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot connect to PostgreSQL"):
        read_database_schema("postgresql://nobody@127.0.0.1:1/nothing")


def test_values_are_compared_with_the_data_read_only(postgres_server: str) -> None:
    found = checks_of("SELECT name FROM customers WHERE city = 'london'", postgres_server)
    assert found["sql.values"] == (
        False,
        "no row has customers.city = 'london'; the stored value is spelled 'London'",
    )


def test_a_slow_statement_is_cancelled_at_the_statement_timeout(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import psycopg

    monkeypatch.setattr(pg, "STATEMENT_TIMEOUT_MS", 1000)
    with pg.connect_readonly(postgres_server) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1s",)
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(10)")
        assert time.monotonic() - started < 3


def test_an_explain_that_runs_long_is_cut_and_said_so(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    with psycopg.connect(postgres_server, autocommit=True) as admin:  # planning calls it
        admin.execute(
            "CREATE OR REPLACE FUNCTION slow_constant() RETURNS int IMMUTABLE LANGUAGE plpgsql "
            "AS $$ BEGIN PERFORM pg_sleep(10); RETURN 1; END $$"
        )
    monkeypatch.setattr(pg, "STATEMENT_TIMEOUT_MS", 1000)
    found = checks_of("SELECT slow_constant() FROM customers", postgres_server)
    assert found["sql.explain"] == (False, "timed out after 1 s (statement_timeout)")


def test_a_count_over_a_name_that_matches_nothing_fails_with_the_names_held(
    postgres_server: str,
) -> None:
    found = checks_of("SELECT COUNT(*) FROM customers WHERE name = 'Lin'", postgres_server)
    assert found["sql.result"] == (
        False,
        "the query computes over no rows: `name = 'Lin'` matches no row of customers; "
        "values like 'Linus' exist in customers.name; it also holds 'Ada'",
    )
    legit = "SELECT COUNT(*) FROM customers c WHERE NOT EXISTS "
    legit += "(SELECT 1 FROM orders o WHERE o.customer_id = c.id)"  # every customer has orders
    assert checks_of(legit, postgres_server)["sql.result"] == (True, "the query returns rows")


def test_the_result_check_runs_read_only_and_says_an_empty_lookup(postgres_server: str) -> None:
    found = checks_of("SELECT id FROM orders WHERE total > 1000", postgres_server)
    assert found["sql.result"] == (True, "the query returns no rows")
    found = checks_of("SELECT count(*), count(*) FROM orders -- twice", postgres_server)
    assert found["sql.result"] == (True, "the query returns rows")
    found = checks_of("SELECT id FROM customers WHERE city = 'Paris'", postgres_server)
    assert found["sql.result"][0] is False
    assert "customers.city holds values such as" in found["sql.result"][1]


def test_the_result_check_is_cut_by_the_statement_timeout(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from codeassist.verify.sql import result

    monkeypatch.setattr(result, "RUN_TIMEOUT_S", 1.0)
    started = time.monotonic()
    found = checks_of("SELECT pg_sleep(10)::text, name FROM customers", postgres_server)
    assert found["sql.result"] == (True, "not judged: the query timed out after 1 s")
    assert time.monotonic() - started < 4


def test_a_300_table_database_sends_the_named_tables_within_the_budget(
    postgres_server: str,
) -> None:
    import psycopg

    from codeassist.db import rank
    from codeassist.db.schema import fit_database_schema
    from tests.helpers.bigschema import TABLES, statements

    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS big")
        admin.execute("CREATE DATABASE big")
    url = postgres_server.rsplit("/", 1)[0] + "/big"
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements():
            conn.execute(statement)
    text, sent = fit_database_schema(url, "how many orders did each customer place?", 1500)
    assert {"customers", "orders", "order_items"} <= set(sent.tables)
    assert len(sent.tables) + len(sent.omitted) == TABLES
    assert rank.approx_tokens(text) <= 1500
    assert "FOREIGN KEY (customer_id) REFERENCES customers (id)" in text
    _, by_value = fit_database_schema(url, "who lives in Oslo?", 1500)
    assert "customers" in by_value.tables
    whole, every = fit_database_schema(url, "anything", 100_000)
    assert whole == read_database_schema(url) and every.omitted == ()


def test_a_few_rows_of_each_table_are_read_read_only(postgres_server: str) -> None:
    from codeassist.db.schema import fit_database_schema

    text, sent = fit_database_schema(postgres_server, "orders per city", 1500, rows=2)
    assert sent.tables == ("customers", "orders")
    assert "/* 2 rows of customers: id | name | city\n1 | 'Ada' | 'London'\n" in text
    assert "/* 2 rows of orders: id | customer_id | total | placed_at\n1 | 1 | 10.50 | '" in text
    assert "'Linus'" in text and "7.25" not in text  # two rows, no more
    assert set(tables_from_ddl(text, "postgres")) == {"customers", "orders"}
