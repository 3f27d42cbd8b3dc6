"""The resident server: loads a model once and answers requests on a Unix socket.

Requests are served one thread per connection; generation holds a lock around the model,
so concurrent requests queue. The KV cache survives between requests, so a request that
shares its prefix (system prompt, repository context) with the previous one evaluates only
its new tokens, and the stable prefixes of several repositories are saved and restored
(cache.py). The server exits after `idle_timeout` seconds without a request.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from codeassist.backends.base import Backend, CompletesMany, Message, Options, Response
from codeassist.errors import CodeassistError, UsageError
from codeassist.serve import cache as prompt_cache
from codeassist.serve import protocol, validate

READ_TIMEOUT = 30.0  # seconds a connection may take to send its request line
PROMPT_STATS = ("reused", "evaluated")  # known once the prompt is evaluated


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


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end (SO_PEERCRED: pid, uid, gid)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


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


class Handler(socketserver.StreamRequestHandler):
    server: Server

    def send(self, obj: dict[str, Any]) -> None:
        self.wfile.write(protocol.encode(obj))
        self.wfile.flush()

    def handle(self) -> None:
        if peer_uid(self.connection) != os.getuid():
            self.send({"error": "refused: the server belongs to another user", "hint": ""})
            return
        try:
            self.connection.settimeout(READ_TIMEOUT)
            line = self.rfile.readline(validate.MAX_LINE + 1)
            self.connection.settimeout(None)
        except OSError:
            return  # no request line in time, or the client went away
        if not line.endswith(b"\n") and len(line) <= validate.MAX_LINE:
            return  # a liveness probe (connect and close), or a half line then close
        try:
            self.answer(line)
        except ValueError as exc:  # BadRequest, and the few checks llama.cpp's wrapper makes
            self.fail(f"bad request: {exc}", "see docs/protocol.md")
        except CodeassistError as exc:
            self.fail(exc.message, exc.hint)
        except OSError:
            pass  # the client went away; the lock is released, the cache stays valid
        except Exception as exc:  # noqa: BLE001 - one request's bug must not end the server
            self.server.internal_error(exc)
            self.fail(f"internal error: {type(exc).__name__}", "see the server's log")

    def fail(self, message: str, hint: str) -> None:
        """Answer with one error line (when the client still listens) and log it briefly."""
        self.server.log(f"request failed: {message[:200]}")
        with contextlib.suppress(OSError):
            self.send({"error": message, "hint": hint})

    def answer(self, line: bytes) -> None:
        req = validate.request_line(line)
        op = req["op"]
        if op == "generate":
            self.generate(req)
        elif op == "status":
            self.send({"done": True, "status": self.server.status()})
        elif op == "warm":
            self.warm(req)
        elif op == "count_tokens":
            text = validate.text("text", req.get("text"), validate.MAX_TEXT)
            self.send({"done": True, "tokens": self.server.model.count_tokens(text)})
        elif op == "stop":
            self.send({"done": True, "stopping": True})
            self.server.stop_soon()

    def generate(self, req: dict[str, Any]) -> None:
        messages = validate.messages(req.get("messages"))
        options = validate.options(req.get("options"), self.server.model.n_ctx)
        n = validate.candidates(req["n"], self._most()) if "n" in req else None
        cache = self.server.cache
        with self._turn():
            plan = cache.prepare(messages)
            try:
                if n is None:
                    self._stream(plan, options)
                else:
                    self._many(messages, options, n)
            except OSError:
                cache.keep_stable(plan)  # the client has what it wanted and went away
                raise
            cache.keep_stable(plan)  # after the `done` line: the client does not wait for it

    def warm(self, req: dict[str, Any]) -> None:
        messages = validate.messages(req.get("messages"))
        with self._turn():
            stats = self.server.cache.warm(messages)
        self.send({"done": True, "stats": stats})

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """Hold the model for one request, counted as waiting, then active, in `status`."""
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
                yield
            finally:
                with server.counter:
                    state.active -= 1
                    state.last_request = time.monotonic()

    def _stream(self, plan: prompt_cache.Plan, options: Options) -> None:
        model = self.server.model
        response = Response(model.generate(plan.prompt, options))
        restored = {"restored": plan.restored}
        try:
            for piece in response:
                if response.tokens == 1:  # the prompt's cost, for a client that stops early
                    cost = {k: v for k, v in _stats(model).items() if k in PROMPT_STATS}
                    self.send({"prompt": {**cost, **restored}})
                self.send({"text": piece})
        finally:
            response.finish()  # closes the stream when the client went away
        stats: dict[str, Any] = {**_stats(model), **restored}
        stats["first_token_s"] = round(response.first_token_s or 0.0, 4)
        stats["total_s"] = round(response.total_s or 0.0, 4)
        self.send({"done": True, "stats": stats})

    def _most(self) -> int:
        """The most candidates one `generate` may ask for (the model's max_candidates)."""
        return int(getattr(self.server.model, "max_candidates", 1))

    def _many(self, messages: list[Message], options: Options, n: int) -> None:
        """`generate` with `n`: n whole answers in one line (docs/protocol.md)."""
        model = self.server.model
        if not isinstance(model, CompletesMany):
            raise UsageError(f"{model.name} draws one answer at a time", hint="leave out n")
        started = time.perf_counter()
        candidates = model.complete_many(messages, options, n)
        stats = _stats(model)
        stats["total_s"] = round(time.perf_counter() - started, 4)
        self.send({"done": True, "candidates": candidates, "stats": stats})


def _stats(model: Model) -> dict[str, Any]:
    last = getattr(model, "last", None)
    return asdict(last) if last is not None else {}
