"""The resident server: loads a model once and answers requests on a Unix socket.

Requests are served one thread per connection; generation holds a lock around the model,
so concurrent requests queue. The KV cache survives between requests, so a request that
shares its prefix (system prompt, repository context) with the previous one evaluates only
its new tokens. The server exits after `idle_timeout` seconds without a request.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from codeassist.backends.base import Message, Options
from codeassist.errors import CodeassistError, UsageError
from codeassist.serve import protocol


class Model(Protocol):
    """What the server needs from a backend (LlamaCppBackend; FakeBackend-like in tests)."""

    name: str

    def stream(self, messages: list[Message], options: Options) -> Any: ...

    def count_tokens(self, text: str) -> int: ...


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


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end (SO_PEERCRED: pid, uid, gid)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(
        self,
        path: Path,
        model: Model,
        idle_timeout: float,
        on_exit: Callable[[], object] | None = None,
    ) -> None:
        self.model = model
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
        if path.exists() or path.is_symlink():
            if protocol.alive(path):  # held no lock yet answers: not ours to replace
                raise UsageError(f"something already listens on {path}")
            path.unlink()  # stale: its server died without cleaning up

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

    def stop_soon(self) -> None:
        threading.Thread(target=self.shutdown, daemon=True).start()


class Handler(socketserver.StreamRequestHandler):
    server: Server

    def send(self, obj: dict[str, Any]) -> None:
        self.wfile.write(protocol.encode(obj))
        self.wfile.flush()

    def handle(self) -> None:
        if peer_uid(self.connection) != os.getuid():
            self.send({"error": "refused: the server belongs to another user", "hint": ""})
            return
        line = self.rfile.readline()
        if not line.strip():
            return  # a liveness probe: connect and close
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("a request is a JSON object")
            op = req.get("op")
            if op == "generate":
                self.generate(req)
            elif op == "status":
                self.send({"done": True, "status": self.server.status()})
            elif op == "count_tokens":
                text = req.get("text")
                if not isinstance(text, str):
                    raise ValueError("count_tokens needs a string `text`")
                self.send({"done": True, "tokens": self.server.model.count_tokens(text)})
            elif op == "stop":
                self.send({"done": True, "stopping": True})
                self.server.stop_soon()
            else:
                raise ValueError(f"unknown op {op!r}")
        except ValueError as exc:
            self.send({"error": f"bad request: {exc}", "hint": "see docs/protocol.md"})
        except CodeassistError as exc:
            self.send({"error": exc.message, "hint": exc.hint})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away; the lock is released, the cache stays valid

    def generate(self, req: dict[str, Any]) -> None:
        messages = protocol.messages_from_json(req.get("messages"))
        options = protocol.options_from_json(req.get("options"))
        server, state = self.server, self.server.state
        with server.counter:
            state.waiting += 1
            state.last_request = time.monotonic()
        with server.lock:
            with server.counter:
                state.waiting -= 1
                state.active += 1
                state.requests += 1
            try:
                self._stream(messages, options)
            finally:
                with server.counter:
                    state.active -= 1
                    state.last_request = time.monotonic()

    def _stream(self, messages: list[Message], options: Options) -> None:
        model = self.server.model
        started = time.perf_counter()
        first: float | None = None
        pieces = model.stream(messages, options)
        try:
            for piece in pieces:
                if first is None:
                    first = time.perf_counter() - started
                self.send({"text": piece})
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()
        last = getattr(model, "last", None)
        stats: dict[str, Any] = asdict(last) if last is not None else {}
        stats["first_token_s"] = round(first or 0.0, 4)
        stats["total_s"] = round(time.perf_counter() - started, 4)
        self.send({"done": True, "stats": stats})
