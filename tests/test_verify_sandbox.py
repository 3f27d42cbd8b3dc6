"""The sandbox: a temp dir, no network, killed at its time limit, memory capped."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.verify import sandbox


@pytest.fixture
def listener() -> Iterator[int]:
    """A real TCP server on 127.0.0.1 that accepts connections: the sandbox must not reach it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


CONNECT = """
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("127.0.0.1", {port}))
except OSError as exc:
    print("refused:", type(exc).__name__)
    sys.exit(3)
print("connected")
"""


def test_the_listener_is_reachable_outside_the_sandbox(listener: int) -> None:
    socket.create_connection(("127.0.0.1", listener), timeout=3).close()


def test_python_in_the_sandbox_cannot_reach_the_network(listener: int) -> None:
    outcome = sandbox.run_python(CONNECT.format(port=listener))
    assert outcome.returncode == 3, outcome.stdout + outcome.stderr
    assert "refused" in outcome.stdout


def test_without_a_network_namespace_the_audit_hook_refuses(listener: int) -> None:
    outcome = sandbox.run_python(CONNECT.format(port=listener), isolate_network=False)
    assert not outcome.network_isolated
    assert outcome.returncode == 3
    assert "refused: PermissionError" in outcome.stdout


@pytest.mark.skipif(not sandbox.can_unshare_network(), reason="no user+network namespaces here")
def test_a_shell_in_the_network_namespace_cannot_connect(listener: int, tmp_path: Path) -> None:
    outcome = sandbox.run_shell(
        f"exec 3<>/dev/tcp/127.0.0.1/{listener} && echo connected", workdir=tmp_path
    )
    assert outcome.network_isolated
    assert outcome.returncode != 0
    assert "connected" not in outcome.stdout


def test_it_is_killed_at_its_time_limit_with_its_children(tmp_path: Path) -> None:
    started = time.perf_counter()
    outcome = sandbox.run_shell(
        "sleep 30 & echo $! > child.pid; wait", workdir=tmp_path, limits=sandbox.Limits(1.0)
    )
    assert outcome.timed_out and outcome.returncode is None and not outcome.ok
    assert time.perf_counter() - started < 10
    child = int((tmp_path / "child.pid").read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()


def test_an_endless_python_loop_is_stopped() -> None:
    outcome = sandbox.run_python("while True:\n    pass\n", limits=sandbox.Limits(timeout_s=1))
    assert outcome.timed_out
    assert outcome.duration_s < 5


def test_memory_is_capped() -> None:
    outcome = sandbox.run_python("x = bytearray(3 * 1024**3)", limits=sandbox.Limits(memory_mb=512))
    assert outcome.returncode != 0
    assert "MemoryError" in outcome.stderr


def test_it_runs_in_a_fresh_temp_dir_with_the_given_files() -> None:
    outcome = sandbox.run_python(
        "import os, helper\nprint(os.getcwd(), helper.VALUE, os.environ['HOME'] == os.getcwd())",
        files={"helper.py": "VALUE = 42"},
    )
    assert outcome.ok, outcome.stderr
    cwd, value, home_is_cwd = outcome.stdout.split()
    assert value == "42" and home_is_cwd == "True"
    assert cwd != os.getcwd() and not Path(cwd).exists()  # removed afterwards


def test_output_is_capped(tmp_path: Path) -> None:
    outcome = sandbox.run_shell("yes | head -c 1000000", workdir=tmp_path)
    assert outcome.ok
    assert len(outcome.stdout) == sandbox.OUTPUT_LIMIT
