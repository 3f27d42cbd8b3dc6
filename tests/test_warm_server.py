"""`codeassist warm` against a real `codeassist serve` on the small model.

The server evaluates the directory's stable messages and says how many tokens it reused: a
second warm of the same directory evaluates nothing new. (An old server without the op answers
an error line: warm is then nothing to do, silently; tests/test_warm.py covers that.)
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.config import Config
from codeassist.serve import protocol
from tests.helpers.cli import SMALL_MODEL, codeassist_exe, run_cli
from tests.test_serve import wait_listening

pytestmark = pytest.mark.model


@pytest.fixture
def server(short_home: Path) -> Iterator[Path]:
    """A real server for the small model on its default socket."""
    path = protocol.socket_path(SMALL_MODEL)
    proc = subprocess.Popen(
        [codeassist_exe(), "serve", "--idle-timeout", "120"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_listening(path, proc)
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_warm_against_the_real_server(server: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    repo = tmp_path / "repo"
    (repo / "Makefile").write_text("test:\n\tpytest -q\n")
    quiet = run_cli("warm", "--quiet", cwd=repo, timeout=120)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    first = run_cli("warm", "--json", cwd=repo, timeout=120)
    assert first.returncode == 0, first.stderr
    done = json.loads(first.stdout)
    # The stats come back (restored tokens are part of the reused), and nothing is evaluated
    # twice.
    stats = done["stats"]
    assert done["warmed"] and stats["tokens"] > 0
    assert stats["reused"] + stats["evaluated"] == stats["tokens"]
    assert stats["restored"] <= stats["reused"]
    again = json.loads(run_cli("warm", "--json", cwd=repo, timeout=120).stdout)["stats"]
    assert (again["tokens"], again["evaluated"]) == (stats["tokens"], 0)
    # The start of the user message (the working tree's state) was evaluated after it: a
    # request finds all but the template's end of turn there (at most 6 tokens).
    assert stats["head"] > 5
    gen = run_cli("gen", "--json", "--lang", "shell", "--max-tokens", "8", "--", "list files",
                  cwd=repo, timeout=120)  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    used = json.loads(gen.stdout)["prompt_tokens"]
    assert used["reused"] >= stats["tokens"] + stats["head"] - 6, (used, stats)
    line = run_cli("warm", cwd=repo, timeout=120)
    assert line.returncode == 0, line.stderr
    assert re.fullmatch(
        rf"warmed {stats['tokens']} tokens \(\d+ reused\) for {re.escape(str(repo))} \(shell\)\n",
        line.stdout,
    )


def test_start_starts_the_server_when_none_runs_then_warms(short_home: Path) -> None:
    """What the widget runs after a request with `shell_autostart` on."""
    path = protocol.socket_path(SMALL_MODEL)
    assert not protocol.alive(path)
    try:
        proc = run_cli("warm", "--quiet", "--start", timeout=180)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
        assert protocol.alive(path)
        status = json.loads(run_cli("serve", "--status").stdout)
        assert status["idle_timeout_s"] == Config.serve_idle_timeout  # it ends by itself
    finally:
        run_cli("serve", "--stop")
    assert not protocol.alive(path)


def test_a_sql_warm_holds_the_schema_that_every_request_on_the_database_reuses(
    server: Path, tmp_path: Path
) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        for n in range(12):  # a schema of some size, sent whole
            conn.execute(f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY, name TEXT, t{n}_count INT)")
    warmed = run_cli("warm", "--json", "--lang", "sql", "--db", str(db), cwd=tmp_path)
    assert warmed.returncode == 0, warmed.stderr
    stats = json.loads(warmed.stdout)["stats"]
    assert stats["tokens"] > 200  # the schema is in it

    def gen(request: str) -> dict[str, int]:
        proc = run_cli("gen", "--lang", "sql", "--db", str(db), "--json", "--no-verify",
                       "--max-tokens", "24", request, cwd=tmp_path, timeout=180)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return dict(json.loads(proc.stdout)["prompt_tokens"])

    for request in ("how many rows does t3 hold?", "names in t7 sorted by name"):
        used = gen(request)
        assert used["reused"] >= stats["tokens"] - 1  # the schema is not evaluated again
        assert used["evaluated"] < 60  # only the request
