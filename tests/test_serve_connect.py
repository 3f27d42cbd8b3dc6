"""How a client finds the server: no socket and a dead socket are "no server" at once; a busy
or starting server is waited for (real Unix sockets, no model)."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.errors import BackendError
from codeassist.serve import protocol


@pytest.fixture
def sock_path() -> Iterator[Path]:
    """A socket path short enough for sun_path."""
    with tempfile.TemporaryDirectory(prefix="ca-", dir="/tmp") as tmp:
        yield Path(tmp) / "s.sock"


def bound(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


def timed(fn: object, *args: object) -> tuple[object, float]:
    started = time.monotonic()
    result = fn(*args)  # type: ignore[operator]
    return result, time.monotonic() - started


def test_no_socket_file_is_no_server_at_once(sock_path: Path) -> None:
    result, took = timed(protocol.connect, sock_path)
    assert result is None and took < 0.01


def test_a_socket_nobody_listens_on_is_no_server_at_once(sock_path: Path) -> None:
    bound(sock_path).close()  # what a crash leaves
    sock_path.with_name(sock_path.name + ".lock").write_text("999999999\n")  # a dead pid
    result, took = timed(protocol.connect, sock_path)
    assert result is None and took < 0.05


def test_a_refusing_socket_whose_server_lives_is_waited_for(sock_path: Path) -> None:
    """Between bind and listen a starting server refuses; its pid in the lock file says wait."""
    server = bound(sock_path)
    sock_path.with_name(sock_path.name + ".lock").write_text(f"{os.getpid()}\n")
    threading.Timer(0.3, server.listen, args=(8,)).start()
    conn, took = timed(protocol.connect, sock_path)
    assert isinstance(conn, socket.socket) and 0.2 < took < 1.5
    conn.close()
    server.close()


def fill_queue(path: Path) -> list[socket.socket]:
    """Connections the server never accepts, until its accept queue is full."""
    queued = []
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(str(path))
        except BlockingIOError:
            sock.close()
            return queued
        queued.append(sock)


def test_a_full_accept_queue_waits_then_says_stuck_not_absent(sock_path: Path) -> None:
    server = bound(sock_path)
    server.listen(1)
    queued = fill_queue(sock_path)
    started = time.monotonic()
    with pytest.raises(BackendError, match="accepts no connection") as info:
        protocol.connect(sock_path, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 1.5
    assert "--stop" in info.value.hint

    catch_up = threading.Timer(0.3, lambda: [server.accept() for _ in range(len(queued) + 1)])
    catch_up.start()  # the server accepts again while the next client waits in connect
    conn = protocol.connect(sock_path, timeout=2.0)
    assert conn is not None
    catch_up.join(5)
    for sock in [conn, *queued]:
        sock.close()
    server.close()


def test_a_stuck_server_still_counts_as_running(sock_path: Path) -> None:
    server = bound(sock_path)
    server.listen(1)
    queued = fill_queue(sock_path)
    assert protocol.alive(sock_path)
    for sock in [*queued, server]:
        sock.close()


def test_a_server_that_takes_a_request_and_never_acknowledges_it_is_stuck(
    sock_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a stopped server (kill -STOP) or anything else that accepts and says nothing: gen and
    # warm waited out the 600 s silence limit (second new-user audit); now ACCEPT_TIMEOUT
    from codeassist.backends.base import Message, Options
    from codeassist.backends.client import ClientBackend

    monkeypatch.setattr(protocol, "ACCEPT_TIMEOUT", 0.5)
    server = bound(sock_path)
    server.listen(4)
    held: list[socket.socket] = []

    def take() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                conn.recv(65536)  # the request line, never answered
                held.append(conn)

    threading.Thread(target=take, daemon=True).start()
    backend = ClientBackend(sock_path, "m")
    started = time.monotonic()
    with pytest.raises(BackendError, match="said nothing for 0.5 s") as caught:
        list(backend.stream([Message("user", "hi")], Options(max_tokens=4)))
    assert time.monotonic() - started < 5  # not the 600 s a busy server's silence may take
    assert "CODEASSIST_NO_SERVER=1" in caught.value.hint
    with pytest.raises(BackendError, match="said nothing for 0.5 s"):
        backend.warm([Message("system", "x")])
    server.close()
    for conn in held:
        conn.close()
