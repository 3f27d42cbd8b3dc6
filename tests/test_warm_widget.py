"""The widget warms the resident server: at load and on each `cd`, in real bash, zsh and fish.

`CODEASSIST_BIN` points at a recording script that writes down where it ran and its
arguments, then sleeps: the prompt must come back at once all the same, with nothing printed.
A socket file stands in for the server; with none, nothing is started at all.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.shell import widgets
from tests.helpers.cli import codeassist_exe
from tests.helpers.shells import PROMPT, start_shell
from tests.helpers.tmux import Tmux, need

WARM = "warm --lang shell --quiet"
REQUEST = "list the files"
SLEEP_S = 5  # the recorder's: longer than any prompt may take to come back


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux()
    yield session
    session.close()


def recorder(tmp: Path) -> tuple[Path, Path]:
    """A stand-in for codeassist that appends "cwd|argv" to a log, then sleeps (`gen`: says
    `ls` at once)."""
    log, script = tmp / "calls.log", tmp / "fake-codeassist"
    script.write_text(
        f'#!/bin/sh\necho "$PWD|$*" >> {log}\n[ "$1" = gen ] && echo ls && exit 0\n'
        f"exec sleep {SLEEP_S}\n"
    )
    script.chmod(0o755)
    return log, script


def server_socket(path: Path) -> socket.socket:
    """A socket file where the server's would be (bound: `-S` sees a socket)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


def calls(log: Path, wait: float = 5.0, count: int = 0) -> list[str]:
    """The recorded calls, once there are `count` of them (or `wait` seconds passed)."""
    deadline = time.monotonic() + wait
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count and (count or time.monotonic() > deadline):
            return lines
        if time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def start(
    tmux: Tmux, shell: str, tmp: Path, sock: Path, autostart: bool = False
) -> tuple[Path, Path]:
    """The shell with the widget warming `sock`, codeassist replaced by the recorder."""
    need(shell)
    log, fake = recorder(tmp)
    script = widgets.widget(
        shell, "ctrl-g", exe=codeassist_exe(), socket=str(sock), autostart=autostart
    )
    started = time.monotonic()
    work = start_shell(tmux, shell, tmp, "smollm2-135m", {"CODEASSIST_BIN": str(fake)}, script)
    assert time.monotonic() - started < SLEEP_S, "the first prompt waited for the warm"
    (work / "sub dir").mkdir()
    return work, log


def run(tmux: Tmux, line: str) -> str:
    """Run `line` at the prompt; the screen once the next prompt is there (at once)."""
    before = tmux.screen().count(PROMPT)
    tmux.type(line)
    tmux.keys("Enter")
    started = time.monotonic()
    screen = tmux.wait_for(
        lambda s: s.endswith(PROMPT) and s.count(PROMPT) > before, 10, "the next prompt"
    )
    assert time.monotonic() - started < SLEEP_S - 1, "the prompt waited for the warm"
    return screen


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_load_and_cd_warm_the_server_in_the_background_silently(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    sock_path = tmp_path / "server.sock"
    with server_socket(sock_path):
        work, log = start(tmux, shell, tmp_path, sock_path)
        assert calls(log, count=1) == [f"{work}|{WARM}"]
        screen = run(tmux, "cd 'sub dir'")
        assert calls(log, count=2)[1:] == [f"{work / 'sub dir'}|{WARM}"]
        assert screen.splitlines() == [f"{PROMPT} cd 'sub dir'", PROMPT], "nothing printed"
        screen = run(tmux, "true")  # a prompt in the same directory warms nothing
        time.sleep(1)
        assert len(calls(log)) == 2
        assert screen.splitlines() == [f"{PROMPT} cd 'sub dir'", f"{PROMPT} true", PROMPT]
        time.sleep(SLEEP_S)  # the warms have ended: no job-control message says so
        screen = run(tmux, "true")
        assert screen.splitlines() == [f"{PROMPT} cd 'sub dir'", *[f"{PROMPT} true"] * 2, PROMPT]


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_without_a_server_socket_nothing_is_started(shell: str, tmux: Tmux, tmp_path: Path) -> None:
    sock_path = tmp_path / "server.sock"  # never created
    work, log = start(tmux, shell, tmp_path, sock_path)
    run(tmux, "cd 'sub dir'")
    ask(tmux)  # without shell_autostart, a request starts no server
    time.sleep(1)
    assert calls(log, wait=0) == [f"{work / 'sub dir'}|gen --lang shell -- {REQUEST}"]
    (work / "sub dir" / "calls.log").unlink(missing_ok=True)
    log.unlink()
    with server_socket(sock_path):  # a server started later is warmed from the next cd on
        run(tmux, "cd ..")
        assert calls(log, count=1) == [f"{work}|{WARM}"]


def ask(tmux: Tmux) -> None:
    """Type the request, press the key: the recorder's `ls` replaces it (at once)."""
    tmux.type(REQUEST)
    tmux.wait_for(lambda s: s.endswith(REQUEST), 10, "the request on the line")
    started = time.monotonic()
    tmux.keys("C-g")
    tmux.wait_for(lambda s: s.endswith(f"{PROMPT} ls"), 10, "the command on the line")
    assert time.monotonic() - started < SLEEP_S - 1, "the request waited for the start"
    tmux.keys("C-u")  # clear the line again
    tmux.wait_for(lambda s: s.splitlines()[-1].strip() == PROMPT.strip(), 10, "the line cleared")


@pytest.mark.parametrize("shell", widgets.SHELLS)
def test_with_autostart_a_request_that_found_no_server_starts_one_afterwards(
    shell: str, tmux: Tmux, tmp_path: Path
) -> None:
    sock_path = tmp_path / "server.sock"
    work, log = start(tmux, shell, tmp_path, sock_path, autostart=True)
    ask(tmux)
    gen, start_server = f"{work}|gen --lang shell -- {REQUEST}", f"{work}|{WARM} --start"
    assert calls(log, count=2) == [gen, start_server]
    assert not tmux.screen().replace(PROMPT, "").strip(), "nothing printed"
    with server_socket(sock_path):  # a server runs: the next request starts none
        ask(tmux)
        time.sleep(1)
        assert calls(log) == [gen, start_server, gen]
