"""`--db` names the file that is read, whatever its name; nothing is ever created or written.

SQLite reads `file:` URIs: an unescaped `#` or `?` in a name cut it short, and the cut name was
opened read-write (and created). `--db postgresql://…` without psycopg is one error line.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from codeassist.db.schema import read_database_schema
from codeassist.errors import Exit, InputError
from codeassist.verify import Subject, run_checks
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint
from tests.test_cli_errors import assert_clean_error

NAMES = ["shop#2024.db", "shop?mode=rwc.db", "100%25.db", "my shop.db", "магазин ☕.db"]


def make_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO orders (total) VALUES (9.5)")
    conn.close()
    return path


@pytest.mark.parametrize("name", NAMES)
def test_the_named_file_is_the_one_read_and_nothing_is_created(name: str) -> None:
    db = make_db(Path(name))  # relative, in the test's own empty cwd
    before = sorted(os.listdir("."))
    assert "CREATE TABLE orders" in read_database_schema(name)
    checks = {c.name: c for c in run_checks(Subject("sql", "SELECT total FROM orders", db=name))}
    assert checks["sql.explain"].passed and checks["sql.schema"].passed
    assert checks["sql.result"].detail == "the query returns rows"
    assert sorted(os.listdir(".")) == before
    assert db.stat().st_size > 0


@pytest.mark.parametrize("name", ["missing.db", "shop#2024.db", "shop?x.db"])
def test_a_missing_database_is_an_error_and_is_not_created(name: str) -> None:
    with pytest.raises(InputError, match="database not found"):
        read_database_schema(name)
    proc = run_cli("gen", "--lang", "sql", "--db", name, "total of orders")
    assert_clean_error(proc, Exit.INPUT, "database not found", name)
    assert os.listdir(".") == []


def test_gen_reads_a_database_whose_name_has_a_hash() -> None:
    make_db(Path("shop#2024.db"))
    with scripted_endpoint("```sql\nSELECT sum(total) FROM orders\n```") as url:
        proc = run_cli("gen", "--endpoint", url, "--db", "shop#2024.db", "--lang", "sql",
                       "--json", "--no-context", "total of orders", timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["sql.schema"]["passed"] and checks["sql.explain"]["passed"], checks
    assert checks["sql.result"]["detail"] == "the query returns rows"
    assert sorted(os.listdir(".")) == ["shop#2024.db"]


def test_postgres_without_psycopg_is_one_line_with_a_hint(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker" / "psycopg"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\")")
    path = os.pathsep.join(p for p in (str(blocker.parent), os.environ.get("PYTHONPATH")) if p)
    url = "postgresql://nobody@127.0.0.1:1/shop"
    proc = run_cli("gen", "--lang", "sql", "--db", url, "x", env={"PYTHONPATH": path})
    assert_clean_error(proc, Exit.INPUT, "needs psycopg", "pip install 'codeassist[postgres]'")


def test_a_wal_database_is_read_without_leaving_wal_files_beside_it(tmp_path: Path) -> None:
    """A read-only connection to a WAL database leaves `-wal` and `-shm` in the user's folder
    (untracked files in their repository) unless it opens the file immutable."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE items (name TEXT)")
        conn.execute("INSERT INTO items VALUES ('pen')")
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]
    proc = run_cli("check", "--lang", "sql", "--db", str(db), "SELECT name FROM items",
                   cwd=folder)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]
    writer = sqlite3.connect(db)  # open elsewhere, a write not yet checkpointed: it is seen
    writer.execute("INSERT INTO items VALUES ('ink')")
    writer.commit()
    proc = run_cli("check", "--lang", "sql", "--db", str(db),
                   "SELECT name FROM items WHERE name = 'ink'", cwd=folder)  # fmt: skip
    writer.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("left", ["-wal", "-shm"])
def test_a_wal_database_with_one_side_file_gets_no_other(tmp_path: Path, left: str) -> None:
    """A crashed writer, or a copy, leaves one of the two: opening read-only made the other."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "shop.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE items (name TEXT)")
    writer.execute("PRAGMA wal_checkpoint")
    writer.execute("INSERT INTO items VALUES ('pen')")
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("shop.db", "shop.db" + left):
        shutil.copy(folder / name, copy / name)
    writer.close()
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    proc = run_cli("check", "--lang", "sql", "--db", str(copy / "shop.db"),
                   "SELECT name FROM items", cwd=copy)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before


def test_a_folder_or_an_absolute_url_for_a_local_file_says_what_was_meant(
    tmp_path: Path,
) -> None:
    (tmp_path / "adir").mkdir()
    sqlite3.connect(tmp_path / "shop.db").execute("CREATE TABLE t (a)").connection.close()
    proc = run_cli("check", "--lang", "sql", "--db", "adir", "SELECT 1", cwd=tmp_path)
    assert_clean_error(proc, Exit.INPUT, "adir is a directory")
    proc = run_cli("check", "--lang", "sql", "--db", "sqlite:///shop.db", "SELECT 1", cwd=tmp_path)
    assert_clean_error(proc, Exit.INPUT, "/shop.db", "did you mean ./shop.db")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgres://bob:S3cretPW9@[::1/db", "cannot connect to PostgreSQL"),  # libpq quotes it
        ("mysql://bob:S3cretPW9@host/db", "unsupported database URL: mysql://bob:"),
    ],
)
def test_a_password_in_a_database_url_is_never_echoed(url: str, said: str) -> None:
    proc = run_cli("check", "--lang", "sql", "--db", url, "SELECT 1")
    assert proc.returncode in (Exit.USAGE, Exit.INPUT), proc.stderr
    assert said in proc.stderr and "«redacted»@" in proc.stderr
    assert "S3cretPW9" not in proc.stderr + proc.stdout


def test_a_fifo_and_a_hot_journal_get_hints_that_say_what_they_are(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.db")
    proc = run_cli("check", "--lang", "sql", "--db", "pipe.db", "SELECT 1", cwd=tmp_path)
    assert_clean_error(proc, Exit.INPUT, "pipe.db is not a regular file")  # was "not found"
    live = tmp_path / "live"
    live.mkdir()
    writer = sqlite3.connect(live / "shop.db", isolation_level=None)
    writer.execute("CREATE TABLE items (name TEXT)")
    writer.execute("INSERT INTO items VALUES ('pen')")
    writer.execute("PRAGMA cache_size=1")  # changed pages spill to the file before the commit
    writer.execute("BEGIN")
    writer.executemany("INSERT INTO items VALUES (?)", [("x" * 500,)] * 2000)
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("shop.db", "shop.db-journal"):
        shutil.copy(live / name, crashed / name)
    writer.close()
    before = {p.name: p.read_bytes() for p in crashed.iterdir()}
    proc = run_cli("check", "--lang", "sql", "--db", "shop.db", "SELECT 1", cwd=crashed)
    assert_clean_error(proc, Exit.INPUT, "unfinished transaction")
    assert {p.name: p.read_bytes() for p in crashed.iterdir()} == before  # nothing rolled back


def test_a_database_another_program_is_writing_says_so(tmp_path: Path) -> None:
    # the hint spoke of a crashed writer's -journal while a live one held the lock (audit)
    writer = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    writer.execute("CREATE TABLE items (name TEXT)")
    writer.execute("PRAGMA locking_mode=EXCLUSIVE")
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO items VALUES ('pen')")
    try:
        proc = run_cli("check", "--lang", "sql", "--db", "shop.db", "SELECT 1", cwd=tmp_path)
    finally:
        writer.close()
    assert_clean_error(proc, Exit.INPUT, "database is locked", "another program is writing")
