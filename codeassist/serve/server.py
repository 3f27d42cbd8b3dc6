"""The resident server: loads a model once and answers requests on a Unix socket.

Requests are served one thread per connection; generation holds a lock around the model,
so concurrent requests queue. The KV cache survives between requests, so a request that
shares its prefix (system prompt, repository context) with the previous one evaluates only
its new tokens, and the stable prefixes of several repositories are saved and restored
(cache.py). The server exits after `idle_timeout` seconds without a request.
"""

from __future__ import annotations

import fcntl
import os
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from codeassist.backends.base import Backend
from codeassist.errors import UsageError
from codeassist.serve import cache as prompt_cache
from codeassist.serve import protocol
from codeassist.serve.handler import Handler


class Model(Backend, prompt_cache.Model, Protocol):
    """A backend the server can hold: one whose KV cache it can steer (LlamaCppBackend)."""


@dataclass
class State:
    """Counters reported by the `status` op."""

    model: str
    socket: str
    pid: int = field(default_factory=os.getpid)
    started: float = field(default_factory=time.time)
    requests: int = 0
    active: int = 0
    waiting: int = 0
    last_request: float = field(default_factory=time.monotonic)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = socket.SOMAXCONN  # a burst of clients waits in the queue, not refused

    def __init__(
        self,
        path: Path,
        model: Model,
        idle_timeout: float,
        on_exit: Callable[[], object] | None = None,
        log: Callable[[str], object] = lambda line: None,
        cache: prompt_cache.PromptCache | None = None,
    ) -> None:
        self.model = model
        self.log = log
        self.cache = cache or prompt_cache.PromptCache(model, None, log)
        self._reported: set[tuple[str, str, int | None]] = set()
        self.on_exit = on_exit  # runs once serving has stopped, holding the model lock
        self.idle_timeout = idle_timeout
        self.lock = threading.Lock()
        self.counter = threading.Lock()
        self.state = State(model=model.name, socket=str(path))
        self.path = path
        self._lockfile: IO[str] | None = None
        self._claim(path)
        old = os.umask(0o177)  # the socket is born 0600
        try:
            super().__init__(os.fsdecode(path), Handler)
        except OSError as exc:
            raise UsageError(f"cannot listen on {path}: {exc.strerror}") from None
        finally:
            os.umask(old)
        path.chmod(0o600)

    def _claim(self, path: Path) -> None:
        """Take the per-socket lock file; replace a stale socket left by a crash."""
        protocol.check_length(path)
        protocol.check_free(path)
        try:
            lockfile = path.with_name(path.name + ".lock").open("a")
        except OSError as exc:
            raise UsageError(
                f"cannot use {path}: {exc.strerror}", hint="pick another --socket"
            ) from None
        try:
            fcntl.flock(lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lockfile.close()
            raise UsageError(
                f"a codeassist server already runs on {path}",
                hint="see `codeassist serve --status`, or stop it with `codeassist serve --stop`",
            ) from None
        self._lockfile = lockfile
        lockfile.truncate(0)  # the pid of a dead server, if any: clients need not wait for it
        if path.exists() or path.is_symlink():
            if protocol.alive(path):  # held no lock yet answers: not ours to replace
                raise UsageError(f"something already listens on {path}")
            path.unlink()  # stale: its server died without cleaning up
        lockfile.write(f"{os.getpid()}\n")  # clients wait for a refusing socket while it lives
        lockfile.flush()

    def serve(self) -> None:
        """Serve until stopped or idle; always removes the socket."""
        watchdog = threading.Thread(target=self._watch_idle, daemon=True)
        watchdog.start()
        try:
            self.serve_forever(poll_interval=0.2)
        finally:
            self.server_close()
            self.path.unlink(missing_ok=True)
            if self.on_exit and self.lock.acquire(timeout=30):
                try:
                    self.on_exit()
                finally:
                    self.lock.release()
            if self._lockfile:
                self._lockfile.truncate(0)
                self._lockfile.close()

    def _watch_idle(self) -> None:
        while True:
            time.sleep(min(1.0, max(0.05, self.idle_timeout / 4)))
            with self.counter:
                idle = self.state.active == 0 and self.state.waiting == 0
                quiet = time.monotonic() - self.state.last_request
            if idle and quiet >= self.idle_timeout:
                self.shutdown()
                return

    def status(self) -> dict[str, Any]:
        with self.counter:
            data = asdict(self.state)
        data["uptime_s"] = round(time.time() - data.pop("started"), 1)
        data["idle_s"] = round(time.monotonic() - data.pop("last_request"), 1)
        data["idle_timeout_s"] = self.idle_timeout
        data["version"] = protocol.VERSION
        return data

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside a request (the client vanished): one line, no trace."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            self.log(f"connection failed: {type(exc).__name__}: {exc}")

    def internal_error(self, exc: Exception) -> None:
        """Log a bug met while answering: its traceback the first time, one line after that."""
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = (type(exc).__name__, frame.filename, frame.lineno)
        if where in self._reported:
            self.log(f"internal error again: {type(exc).__name__}: {exc}")
            return
        self._reported.add(where)
        self.log("internal error:\n" + "".join(traceback.format_exception(exc)).rstrip())

    def stop_soon(self) -> None:
        threading.Thread(target=self.shutdown, daemon=True).start()
