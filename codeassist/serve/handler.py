"""One connection to the resident server: read its request line, answer it (docs/protocol.md).

`generate` streams one answer (or, with `n`, draws n candidates in one line), `warm` evaluates a
directory's stable prefix, `status`, `count_tokens` and `stop` answer at once. A request's
failure is one error line to the client and one line in the log; the server goes on.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import struct
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from codeassist.backends.base import CompletesMany, Message, Options, Response
from codeassist.errors import CodeassistError, UsageError
from codeassist.serve import cache as prompt_cache
from codeassist.serve import protocol, validate

if TYPE_CHECKING:
    from codeassist.serve.server import Model, Server

READ_TIMEOUT = 30.0  # seconds a connection may take to send its request line
PROMPT_STATS = ("reused", "evaluated")  # known once the prompt is evaluated
# A valid generate or warm request is told so at once, before it waits for the model: a
# client hearing nothing knows the server is stuck or stopped, not busy (docs/protocol.md).
ACCEPTED = {"accepted": True}


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end (SO_PEERCRED: pid, uid, gid)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


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
        self.send(ACCEPTED)
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
        self.send(ACCEPTED)
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
