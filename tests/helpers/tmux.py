"""A tmux driver for the shell-widget and REPL tests.

Each `Tmux` runs its own tmux server on a private socket, so tests never see the user's
sessions, and kills it when closed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable

import pytest


def need(*programs: str) -> None:
    """Skip (naming what to install) when a program the test drives is missing."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install {' '.join(missing)})")


class Tmux:
    def __init__(self, width: int = 160, height: int = 40) -> None:
        need("tmux")
        self.socket = f"codeassist-test-{uuid.uuid4().hex[:8]}"
        self.width, self.height = width, height

    def _tmux(self, *args: str) -> str:
        proc = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def start(self, command: list[str], env: dict[str, str], cwd: str) -> None:
        """Start `command` in a fresh pane with exactly `env` as its environment."""
        line = " ".join(_quote(a) for a in ["env", "-i", *(f"{k}={v}" for k, v in env.items())])
        line += " " + " ".join(_quote(a) for a in command)
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(self.width),
                   "-y", str(self.height), "-c", cwd, line)  # fmt: skip

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", "--", text)  # text may start with a dash

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        """The visible pane: wrapped lines joined, trailing blanks dropped."""
        lines = self._tmux("capture-pane", "-p", "-J", "-t", "t").splitlines()
        return "\n".join(line.rstrip() for line in lines).rstrip("\n")

    def wait_for(
        self, check: Callable[[str], bool], timeout: float, what: str, steady: float = 0.0
    ) -> str:
        """Poll the screen until `check` holds (and keeps holding for `steady` seconds)."""
        deadline = time.monotonic() + timeout
        since: float | None = None
        while True:
            screen = self.screen()
            now = time.monotonic()
            if check(screen):
                since = now if since is None else since
                if now - since >= steady:
                    return screen
            else:
                since = None
            if now > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{screen}")
            time.sleep(0.2)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)
