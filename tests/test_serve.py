"""The resident server: a real `codeassist serve` process on the small model, on a tmp socket."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.backends.base import Message, Options
from codeassist.backends.client import ClientBackend
from codeassist.errors import Exit
from codeassist.serve import protocol
from tests.helpers.cli import SMALL_MODEL, assert_clean_error, codeassist_exe, run_cli

pytestmark = pytest.mark.model

SYSTEM = Message("system", "You are a helpful coding assistant. Answer with code only.")


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [codeassist_exe(), "serve", "--model", SMALL_MODEL, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_listening(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not protocol.alive(path):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)


@pytest.fixture
def server(short_home: Path) -> Iterator[Path]:
    """A running server on the default socket of the small model; stopped afterwards."""
    path = protocol.socket_path(SMALL_MODEL)
    proc = start("--idle-timeout", "120")
    wait_listening(path, proc)
    yield path
    proc.terminate()
    proc.wait(timeout=20)


def test_the_socket_is_private_to_the_user(server: Path) -> None:
    assert stat.S_IMODE(server.stat().st_mode) == 0o600
    assert stat.S_IMODE(server.parent.stat().st_mode) == 0o700


def test_a_generation_streams_pieces_then_stats(server: Path) -> None:
    payload = {
        "op": "generate",
        "messages": [{"role": "user", "content": "Write a python function that adds two numbers."}],
        "options": {"max_tokens": 12},
    }
    lines = list(protocol.request(server, payload))
    assert len(lines) == 14 and all("text" in line for line in lines[1:-1])
    assert lines[0] == {"prompt": {"reused": 0, "evaluated": lines[-1]["stats"]["evaluated"],
                                   "restored": 0}}  # fmt: skip
    assert lines[-1]["done"] is True and lines[-1]["stats"]["generated"] == 12


def test_the_second_request_reuses_the_prefix_and_matches_a_cold_run(server: Path) -> None:
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    client = ClientBackend(server, SMALL_MODEL)
    opts = Options(max_tokens=40)
    first = [SYSTEM, Message("user", "Write a python function that squares a number.")]
    second = [SYSTEM, Message("user", "Write a python function that cubes a number.")]
    "".join(client.stream(first, opts))
    warm = "".join(client.stream(second, opts))
    assert client.last["reused"] > 10  # the system prompt came from the server's KV cache

    local = LlamaCppBackend.load(models.resolve(SMALL_MODEL), n_ctx=4096)
    local.reset()
    cold = "".join(local.stream(second, opts))
    assert local.last.reused == 0
    assert warm == cold


def test_concurrent_requests_queue_and_are_all_served(server: Path) -> None:
    client = ClientBackend(server, SMALL_MODEL)
    results: dict[int, str] = {}

    def ask(i: int) -> None:
        msgs = [Message("user", f"Write a python function number {i}.")]
        results[i] = "".join(client.stream(msgs, Options(max_tokens=16)))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == [0, 1, 2] and all(results.values())
    assert client.status()["requests"] == 3


def test_count_tokens_and_bad_requests(server: Path) -> None:
    client = ClientBackend(server, SMALL_MODEL)
    assert client.count_tokens("def add(a, b):\n    return a + b\n") > 5
    from codeassist.errors import BackendError

    with pytest.raises(BackendError, match="unknown op") as info:
        protocol.call(server, {"op": "dance"})
    assert "protocol" in info.value.hint
    with pytest.raises(BackendError, match="bad request"):
        protocol.call(server, {"op": "generate", "messages": []})


def test_gen_goes_through_the_server_when_it_runs(server: Path) -> None:
    from codeassist import config
    from codeassist.backends.select import open_backend

    backend = open_backend(config.load())
    assert isinstance(backend, ClientBackend)
    proc = run_cli(
        "gen", "--lang", "python", "a function that adds two numbers", "--max-tokens", "24"
    )
    assert proc.returncode == 0, proc.stderr
    assert ClientBackend(server, SMALL_MODEL).status()["requests"] >= 1


def test_without_a_server_the_model_loads_in_process_and_probing_is_cheap(short_home: Path) -> None:
    from codeassist import config
    from codeassist.backends import client
    from codeassist.backends.llamacpp import LlamaCppBackend
    from codeassist.backends.select import open_backend

    started = time.perf_counter()
    for _ in range(100):
        assert client.find(SMALL_MODEL) is None
    assert (time.perf_counter() - started) / 100 < 0.02  # about 1 ms; a model load is seconds
    assert isinstance(open_backend(config.load()), LlamaCppBackend)


def test_status_and_stop_from_the_command_line(short_home: Path) -> None:
    none = run_cli("serve", "--status")
    assert none.returncode == 1 and "no server" in none.stderr
    proc = start("--idle-timeout", "120")
    path = protocol.socket_path(SMALL_MODEL)
    wait_listening(path, proc)
    status = run_cli("serve", "--status")
    assert status.returncode == 0
    assert json.loads(status.stdout)["model"] == SMALL_MODEL
    second = run_cli("serve", "--idle-timeout", "5")
    assert second.returncode == 2 and "already runs" in second.stderr
    detached = run_cli("serve", "--detach")  # exit 1 before: the same conflict, another code
    assert_clean_error(detached, Exit.USAGE, "already runs")
    stop = run_cli("serve", "--stop")
    assert stop.returncode == 0 and "stopped" in stop.stderr
    assert proc.wait(timeout=20) == 0
    assert not path.exists()


@pytest.mark.slow
def test_an_idle_server_exits_and_removes_its_socket(short_home: Path) -> None:
    path = short_home / "idle.sock"
    proc = start("--socket", str(path), "--idle-timeout", "1")
    wait_listening(path, proc)
    assert proc.wait(timeout=30) == 0
    assert not path.exists()


def test_a_stale_socket_from_a_crash_is_replaced(short_home: Path) -> None:
    path = short_home / "stale.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening, then abandoned: what a crash leaves
    dead.close()
    assert path.exists() and not protocol.alive(path)
    proc = start("--socket", str(path), "--idle-timeout", "60")
    wait_listening(path, proc)
    assert protocol.call(path, {"op": "status"})["status"]["pid"] == proc.pid
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.parametrize("detach", [False, True])
def test_a_file_or_link_at_the_socket_path_is_never_replaced(
    short_home: Path, tmp_path: Path, detach: bool
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    link = short_home / "link.sock"
    link.symlink_to(notes)
    for path in (notes, link):
        args = ["serve", "--socket", str(path), "--idle-timeout", "5"]
        proc = run_cli(*args, *(["--detach"] if detach else []), timeout=60)
        assert_clean_error(proc, Exit.USAGE, f"{path} exists and is not a socket")
    assert notes.read_text() == "my notes\n" and link.is_symlink()


def test_two_detached_starts_at_once_name_the_one_server_that_runs(short_home: Path) -> None:
    path = short_home / "race.sock"
    argv = [codeassist_exe(), "serve", "--detach", "--socket", str(path), "--idle-timeout", "30"]
    procs = [subprocess.Popen(argv, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    said = [p.communicate(timeout=120)[1] for p in procs]
    try:
        assert [p.returncode for p in procs] == [0, 0], said
        pid = protocol.call(path, {"op": "status"})["status"]["pid"]
        assert all(f"(pid {pid})" in line for line in said), said
    finally:
        protocol.call(path, {"op": "stop"})


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_other_users_are_refused(server: Path) -> None:
    """Even with the permissions opened up, SO_PEERCRED keeps other users out."""
    for directory in (server.parent, server.parent.parent):
        directory.chmod(0o755)
    server.chmod(0o666)
    code = (
        "import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
        "print(s.makefile().readline())"
    )  # the server answers a stranger at once, before reading a request
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code,
         str(server)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "refused" in json.loads(out.stdout)["error"]


@pytest.mark.slow
def test_a_restarted_server_keeps_its_prompt_cache_from_disk(short_home: Path) -> None:
    path = protocol.socket_path(SMALL_MODEL)
    overview = "".join(f"app/part_{i}.py:\n  def part_{i}(x: int) -> int:\n" for i in range(8))
    system = Message("system", f"{SYSTEM.content}\n\n{overview}")  # a stable part worth saving
    first = [system, Message("user", "Write a python function that squares a number.")]
    second = [system, Message("user", "Write a python function that cubes a number.")]
    opts = Options(max_tokens=24)
    proc = start("--idle-timeout", "120")
    wait_listening(path, proc)
    "".join(ClientBackend(path, SMALL_MODEL).stream(first, opts))
    assert run_cli("serve", "--stop").returncode == 0
    assert proc.wait(timeout=20) == 0
    assert list((short_home / "cache" / "prefix").rglob("*.state"))

    proc = start("--idle-timeout", "120")
    wait_listening(path, proc)
    client = ClientBackend(path, SMALL_MODEL)
    warm = "".join(client.stream(second, opts))
    assert client.last["reused"] > 64  # the system prompt came back from disk
    proc.terminate()
    proc.wait(timeout=20)
    assert warm == _kept(first, second, opts)


def _kept(first: list[Message], second: list[Message], opts: Options) -> str:
    """The answer to `second` from a server that never stopped: after `first`, it kept only
    the stable prefix (a prompt evaluated in two parts may differ in the last bits from one
    evaluated at once, so the comparison is with the same parts)."""
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend
    from codeassist.serve.cache import PromptCache

    local = LlamaCppBackend.load(models.resolve(SMALL_MODEL), n_ctx=4096)
    local.reset()
    "".join(local.stream(first, opts))
    local.keep(len(PromptCache(local, None).stable(first)))
    return "".join(local.stream(second, opts))


def test_sigterm_stops_the_server_cleanly(short_home: Path) -> None:
    path = short_home / "term.sock"
    proc = start("--socket", str(path), "--idle-timeout", "60")
    wait_listening(path, proc)
    proc.terminate()
    assert proc.wait(timeout=20) == 0
    assert not path.exists()


def test_detach_returns_once_the_server_listens(short_home: Path) -> None:
    proc = run_cli("serve", "--detach", "--idle-timeout", "60")
    assert proc.returncode == 0, proc.stderr
    path = protocol.socket_path(SMALL_MODEL)
    assert protocol.alive(path) and "serving" in proc.stderr
    pid = protocol.call(path, {"op": "status"})["status"]["pid"]
    assert run_cli("serve", "--stop").returncode == 0
    assert not path.exists()
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a zombie until its parent (gone) is reaped: check the state
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            break


def test_a_stopped_server_is_said_to_be_stuck_and_stop_ends_it(short_home: Path) -> None:
    # kill -STOP: status said "no server", stop said "no server" and left it running, and a
    # new --detach was refused because one runs (second new-user audit)
    assert run_cli("serve", "--detach", "--idle-timeout", "120").returncode == 0
    path = protocol.socket_path(SMALL_MODEL)
    pid = protocol.call(path, {"op": "status"})["status"]["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        status = run_cli("serve", "--status")
        assert status.returncode == 1
        assert f"(pid {pid}) does not answer: it is stopped or stuck" in status.stderr
        stopped = run_cli("serve", "--stop")
        assert stopped.returncode == 0 and "stopped the server" in stopped.stderr
        assert not protocol.alive(path)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert_clean_error(run_cli("serve", "--detach", "--stop"), Exit.USAGE, "cannot go together")


def test_the_pre_commit_hook_uses_the_model_only_while_a_server_keeps_it_warm(
    short_home: Path,
) -> None:
    from codeassist import config
    from codeassist.review.hookrun import model_for_hook

    use, why = model_for_hook(config.load())
    assert not use and "no resident server runs" in why
    proc = start("--idle-timeout", "120")
    try:
        wait_listening(protocol.socket_path(SMALL_MODEL), proc)
        assert model_for_hook(config.load()) == (True, "")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_a_read_only_runtime_folder_leaves_gen_in_process(short_home: Path, tmp_path: Path) -> None:
    # its mode made private with chmod, which a read-only mount refuses: gen, warm and
    # serve --status all failed with "Read-only file system" (second new-user audit)
    run = short_home / "run"
    run.mkdir(mode=0o755, exist_ok=True)
    run.chmod(0o755)
    exe = codeassist_exe()
    script = (
        f'mount --bind "{run}" "{run}" && mount -o remount,bind,ro "{run}" && '
        f'"{exe}" gen --lang shell --max-tokens 8 "list files" && '
        f'"{exe}" serve --status; echo "status=$?"'
    )
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        env={**os.environ, "CODEASSIST_IN_PROCESS": "1"}, cwd=tmp_path,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if "mount:" in proc.stderr and "status=" not in proc.stdout:
        pytest.skip(f"no read-only bind mount here: {proc.stderr.strip()}")
    assert "Read-only file system" not in proc.stderr, proc.stderr
    assert "status=1" in proc.stdout  # no server: said, not a crash
