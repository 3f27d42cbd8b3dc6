"""Something other than codeassist answering on the server's socket, or a server gone silent:
one error line and a hint (exit 4), never a traceback, never a hang, never a false "stopped".
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.errors import BackendError, Exit
from codeassist.serve import protocol
from tests.helpers.cli import assert_clean_error, codeassist_exe, run_cli

MODEL = "smollm2-135m"


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A CODEASSIST_HOME short enough for a Unix socket path (108 bytes)."""
    home = Path(tempfile.mkdtemp(prefix="ca-", dir="/tmp"))
    (home / "run").mkdir(mode=0o700)
    yield home
    shutil.rmtree(home, ignore_errors=True)


class Impostor:
    """A Unix socket server that answers every request line with `reply` (None: silence)."""

    def __init__(self, path: Path, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn.makefile("rb") as reader:
            for _ in reader:
                if self.reply is not None:
                    conn.sendall(self.reply)
                    conn.close()
                    return

    def close(self) -> None:
        self.sock.close()
        for conn in self.open:
            conn.close()


REPLIES = [b"garbage\n", b"[1]\n", b"\xff\xfe\n", b'{"done": true}\n', b'{"status": 3}\n']


@pytest.mark.parametrize("reply", REPLIES)
def test_a_socket_that_speaks_another_protocol_is_one_line_exit_4(
    short_home: Path, reply: bytes
) -> None:
    impostor = Impostor(short_home / "run" / f"{MODEL}.sock", reply)
    env = {"CODEASSIST_HOME": str(short_home), "CODEASSIST_MODEL": MODEL}
    try:
        for args in (["serve", "--status"], ["warm", "--lang", "shell"],
                     ["gen", "--no-context", "--lang", "shell", "list files"]):  # fmt: skip
            proc = run_cli(*args, env=env, timeout=60)
            if args[0] == "serve" and proc.returncode == 1:  # --status: "no server" is fair too
                assert "Traceback" not in proc.stderr and "running" not in proc.stdout
                continue
            assert_clean_error(proc, Exit.BACKEND, "server")  # not ours, or closed mid-answer
        stop = run_cli("serve", "--stop", env=env, timeout=60)
        assert "stopped the server" not in stop.stderr + stop.stdout
        assert "Traceback" not in stop.stderr
    finally:
        impostor.close()


def test_a_server_that_goes_silent_is_an_error_not_a_hang(short_home: Path) -> None:
    path = short_home / "run" / f"{MODEL}.sock"
    impostor = Impostor(path, None)
    try:
        started = time.monotonic()
        with pytest.raises(BackendError, match="said nothing for 0.5 s"):
            protocol.call(path, {"op": "status"}, timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        impostor.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a folder another user owns")
def test_a_runtime_folder_another_user_made_first_falls_back_to_our_own(tmp_path: Path) -> None:
    """Without XDG_RUNTIME_DIR (ssh, containers) platformdirs wants /tmp/runtime-<uid>; another
    user who makes it first must not stop gen, warm or doctor: the documented fallback is
    /tmp/codeassist-<uid>."""
    tmp = tmp_path / "tmp"
    squatted = tmp / f"runtime-{os.getuid()}"
    squatted.mkdir(parents=True, mode=0o777)
    os.chown(squatted, 12345, 12345)
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "CODEASSIST_HOME")}
    env |= {"TMPDIR": str(tmp), "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": "",
            "XDG_DATA_HOME": "", "XDG_CACHE_HOME": "", "XDG_STATE_HOME": ""}  # fmt: skip
    warm = subprocess.run([codeassist_exe(), "warm", "--lang", "shell"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert warm.returncode == 0, warm.stderr
    status = subprocess.run([codeassist_exe(), "serve", "--status"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "Traceback" not in status.stderr and "owned by" not in status.stderr
    assert str(tmp / f"codeassist-{os.getuid()}") in status.stdout + status.stderr
