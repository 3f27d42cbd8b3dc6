"""A 300-table schema for schema-ranking tests: four shop tables among 296 others.

The shop: customers <- orders <- order_items -> products. The others are named from two word
lists (e.g. `sensor_calibration_17`), each with the same generic columns (id, name, created_at)
and two of its own, some joined to each other: a realistic crowd for ranking to search through.
The same statements build a SQLite file and a PostgreSQL database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SHOP = [
    "CREATE TABLE customers (id integer PRIMARY KEY, name text, city text, created_at text)",
    "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id),"
    " total numeric, placed_at text)",
    "CREATE TABLE products (id integer PRIMARY KEY, title text, price numeric)",
    "CREATE TABLE order_items (id integer PRIMARY KEY, order_id integer REFERENCES orders (id),"
    " product_id integer REFERENCES products (id), quantity integer)",
]
SHOP_ROWS = [
    "INSERT INTO customers VALUES (1, 'John Smith', 'London', '2024-01-01'),"
    " (2, 'Anna Smithson', 'Paris', '2024-02-01'), (3, 'Bob Jones', 'Oslo', '2024-03-01')",
    "INSERT INTO orders VALUES (1, 1, 10, '2024-04-01'), (2, 2, 20, '2024-04-02')",
]
_FIRST = "sensor audit weather tariff vessel harbor crane pipeline turbine reactor".split()
_SECOND = "calibration reading snapshot ledger inspection batch permit quota alarm window".split()
TABLES = 300


def other_tables() -> list[str]:
    """The 296 tables that are not the shop's."""
    names = [f"{a}_{b}_{i}" for i in range(3) for a in _FIRST for b in _SECOND][: TABLES - 4]
    statements = []
    for n, name in enumerate(names):
        ref = f", parent_id integer REFERENCES {names[n - 1]} (id)" if n % 3 else ""
        statements.append(
            f"CREATE TABLE {name} (id integer PRIMARY KEY, name text, created_at text,"
            f" level_{n} numeric, code_{n} text{ref})"
        )
    return statements


def statements() -> list[str]:
    return SHOP + other_tables() + SHOP_ROWS


def big_sqlite(path: Path) -> Path:
    """A SQLite file holding the 300 tables."""
    with sqlite3.connect(path) as conn:
        for statement in statements():
            conn.execute(statement)
    conn.close()
    return path
