"""`codeassist warm` against a real `codeassist serve` on the small model.

The server evaluates the directory's stable messages and says how many tokens it reused: a
second warm of the same directory evaluates nothing new. (An old server without the op answers
an error line: warm is then nothing to do, silently; tests/test_warm.py covers that.)
"""

from __future__ import annotations

import json
import re
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
