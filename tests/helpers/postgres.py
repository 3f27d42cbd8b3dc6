"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temp dir, on 127.0.0.1.

conftest.py registers its `postgres_server` fixture. As root, the server runs as the
`postgres` (or `nobody`) user through runuser, since PostgreSQL refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SHOP = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city varchar(40));
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  total numeric(10,2) NOT NULL,
  placed_at timestamp DEFAULT now()
);
INSERT INTO customers (name, city) VALUES ('Ada', 'London'), ('Linus', 'Helsinki');
INSERT INTO orders (customer_id, total) VALUES (1, 10.50), (1, 20.00), (2, 7.25);
"""


def pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    candidates += glob.glob("/usr/local/pgsql/bin/initdb")
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user() -> tuple[list[str], str | None]:
    """The command prefix that drops root, and the user it drops to (None: not root)."""
    if os.geteuid() != 0:
        return [], None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"], user
    pytest.skip("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running server with a `shop` database; yields its URL. Stopped and deleted after."""
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not installed (Debian: apt-get install postgresql)")
    prefix, user = _as_user()
    root = Path(tempfile.mkdtemp(prefix="codeassist-pg-"))
    data = root / "data"
    if user:
        shutil.chown(root, user)
    port = _free_port()

    def run(*argv: str) -> None:
        proc = subprocess.run(
            [*prefix, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 0, f"{argv[0]} failed: {proc.stdout}\n{proc.stderr}"

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        try:
            admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE shop")
            url = f"postgresql://postgres@127.0.0.1:{port}/shop"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(SHOP)
            yield url
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
