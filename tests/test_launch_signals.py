"""A Ctrl-C or Ctrl-Z pressed while the fork server is still answering reaches the fork.

The client asks a fork server to run its command and learns the fork's pid from the answer;
only then can it pass signals on. A stand-in fork server here holds its answer while the
test signals the real `codeassist` client, and a `sleep` in its own process group stands in
for the fork.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist import launch
from tests.helpers.cli import codeassist_exe
from tests.test_forks import ORPHAN_PROOF

pytestmark = pytest.mark.skipif(not launch.SUPPORTED, reason="no fork server on this system")


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        time.sleep(0.02)


@pytest.fixture
def fork_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A listening stand-in at the fork server's socket, under a home short enough for it."""
    home = Path(tempfile.mkdtemp(prefix="ca-", dir="/tmp"))
    monkeypatch.setenv("CODEASSIST_HOME", str(home))
    monkeypatch.delenv(launch.IN_PROCESS, raising=False)
    path = Path(launch.socket_paths()[0])
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        server.settimeout(30)
        yield server
    shutil.rmtree(home, ignore_errors=True)


def request_read(server: socket.socket) -> socket.socket:
    """Accept the client and read its whole request, as the fork server does."""
    conn, _ = server.accept()
    conn.settimeout(30)
    head, fds, _, _ = socket.recv_fds(conn, launch.HEADER.size, 8)
    for fd in fds:
        os.close(fd)
    _, length = launch.HEADER.unpack(head)
    body = b""
    while len(body) < length:
        body += conn.recv(length - len(body))
    return conn


def signalled_meanwhile(
    server: socket.socket, client: subprocess.Popen[bytes], signum: int
) -> socket.socket:
    """The client's connection, once its request is read and `signum` sent to it, unanswered."""
    conn = request_read(server)
    client.send_signal(signum)
    time.sleep(0.3)  # time enough for the signal to stop or end it, were it not held
    return conn


Pair = tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]


@pytest.fixture
def client_and_fork() -> Iterator[Pair]:
    """The real client, run as the widget runs it, and a `sleep` standing in for its fork."""
    fork = subprocess.Popen(["sleep", "60"], start_new_session=True)  # a group of its own
    client = subprocess.Popen(
        [codeassist_exe(), "gen", "--lang", "shell", "list the files here"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        process_group=ORPHAN_PROOF,
    )  # fmt: skip
    yield client, fork
    for proc in (client, fork):
        proc.kill()
        proc.communicate()


def test_ctrl_c_before_the_pid_is_known_reaches_the_fork(
    fork_server: socket.socket, client_and_fork: Pair
) -> None:
    client, fork = client_and_fork
    conn = signalled_meanwhile(fork_server, client, signal.SIGINT)
    assert client.poll() is None  # held, not the end of the client alone
    conn.sendall(f"pid {fork.pid}\n".encode())
    assert fork.wait(timeout=10) == -signal.SIGINT
    conn.sendall(b"status 130\n")
    conn.close()
    assert client.wait(timeout=10) == 130


def test_ctrl_z_before_the_pid_is_known_stops_the_fork_too(
    fork_server: socket.socket, client_and_fork: Pair
) -> None:
    client, fork = client_and_fork
    conn = signalled_meanwhile(fork_server, client, signal.SIGTSTP)
    assert state(client.pid) != "T"  # held: stopping now would leave the fork running
    conn.sendall(f"pid {fork.pid}\n".encode())
    wait_for(lambda: state(client.pid) == "T" and state(fork.pid) == "T")
    client.send_signal(signal.SIGCONT)
    wait_for(lambda: state(client.pid) != "T" and state(fork.pid) != "T")
    conn.sendall(b"status 0\n")
    conn.close()
    assert client.wait(timeout=10) == 0
