"""Start, inspect and stop the resident server (the core of `codeassist serve`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeassist import config as configuration
from codeassist.config import Config
from codeassist.errors import BackendError, UsageError
from codeassist.serve import protocol

if TYPE_CHECKING:
    from codeassist.serve.cache import PromptCache

START_TIMEOUT = 120.0  # seconds for a detached server to load its model and listen


@dataclass(frozen=True)
class Target:
    """The server one `codeassist serve` call is about: model, socket, idle limit, config."""

    config: Config
    spec: str
    path: Path
    idle_timeout: float


def default_socket(spec: str) -> Path:
    return protocol.socket_path(spec)


def target(model: str | None, socket: Path | None, idle_timeout: float | None) -> Target:
    """The options given, checked like their config keys, else the config's and the defaults."""
    cfg = configuration.load()
    configuration.check_option("--idle-timeout", "serve_idle_timeout", idle_timeout)
    spec = model or cfg.model
    idle = cfg.serve_idle_timeout if idle_timeout is None else idle_timeout
    return Target(cfg, spec, socket or default_socket(spec), idle)


def status(path: Path) -> dict[str, Any] | None:
    """The running server's status, or None when none answers on `path`."""
    if not protocol.alive(path):
        return None
    try:
        return dict(protocol.call(path, {"op": "status"}, key="status", kind=dict))
    except (BackendError, OSError):
        return None


def fork_server() -> str | None:
    """The socket of the fork server that runs gen, fix, warm and explain (launch.py), or None."""
    from codeassist.launch import SOCKET_NAME

    path = protocol.runtime_dir() / SOCKET_NAME
    return str(path) if protocol.alive(path) else None


def stop(path: Path, wait: float = 10.0) -> bool:
    """Ask the server to stop and wait for its socket to go; False when none was running.

    A server that does not answer (stopped with `kill -STOP`, or stuck) but whose process the
    socket's lock file names is ended by signal: SIGTERM (and SIGCONT, so that a stopped one
    gets it), then SIGKILL if it is still there after `wait`."""
    try:
        protocol.call(path, {"op": "stop"}, key="stopping")
    except (BackendError, OSError):
        pid = protocol.owner(path) if protocol.alive(path) else None
        if pid is None:
            return False
        _end(pid, wait)
        return True
    deadline = time.monotonic() + wait
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def _end(pid: int, wait: float) -> None:
    """SIGTERM and SIGCONT to a server that does not answer; SIGKILL if it outlives `wait`."""
    for sig in (signal.SIGTERM, signal.SIGCONT):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def preflight(path: Path) -> None:
    """What would stop a server on `path`, found before seconds are spent loading a model."""
    protocol.check_length(path)
    protocol.check_free(path)
    if not path.parent.is_dir():
        raise UsageError(
            f"cannot use {path}: {path.parent} is not a folder",
            hint="create the folder, or leave --socket out for the default",
        )
    if protocol.alive(path):
        raise UsageError(
            f"a codeassist server already runs on {path}",
            hint="see `codeassist serve --status`, or stop it with `codeassist serve --stop`",
        )


def run(
    where: Target,
    loading: Callable[[], object],
    ready: Callable[[], object],
    log: Callable[[str], object] = lambda line: None,
) -> None:
    """Check the socket, load the model (and its saved prompt cache), serve until stopped or idle.

    `loading` is called once the socket is known to be free, `ready` once the model is loaded.
    """
    from codeassist.backends.select import open_local
    from codeassist.launch import IN_PROCESS, SUPPORTED
    from codeassist.serve import forks
    from codeassist.serve.server import Server

    config, path = where.config, where.path
    preflight(path)
    loading()
    stopping = threading.Event()
    if SUPPORTED and not os.environ.get(IN_PROCESS):  # the CLI imported, for launch.py
        threading.Thread(target=forks.supervise, args=(stopping,), daemon=True).start()
    try:
        model: Any = open_local(config, where.spec)
        cache = prompt_cache(model, config, log)
        server = Server(path, model, where.idle_timeout, log=log, cache=cache)
        signal.signal(signal.SIGTERM, lambda signum, frame: server.stop_soon())
        ready()
        server.serve()
    finally:
        stopping.set()


def prompt_cache(model: Any, config: Config, log: Callable[[str], object]) -> PromptCache:
    """The server's prompt cache: its saved prefixes, the newest loaded (memory only when off)."""
    from codeassist.serve import prefix
    from codeassist.serve.cache import PromptCache

    if not config.prompt_cache_disk:
        return PromptCache(model, None, log)
    settings = (config.n_ctx, config.flash_attn, config.kv_cache_type)
    where = prefix.directory(Path(model.llm.model_path), *settings)
    try:
        store = prefix.Store(where, config.prompt_cache_entries, config.prompt_cache_mb * 2**20)
    except OSError as exc:  # an unreadable cache dir: the cache in memory still works
        log(f"prompt cache: not on disk: {exc}")
        return PromptCache(model, None, log)
    if (newest := store.newest()) is not None:
        store.load(model, newest)
    return PromptCache(model, store, log)


def detach(where: Target) -> int:
    """Start `codeassist serve` in a new session and wait until it listens; returns its pid."""
    spec, path, idle_timeout = where.spec, where.path, where.idle_timeout
    preflight(path)  # a server already there is a usage error, as for `serve` itself
    log = path.with_name(path.name + ".log")
    cmd = [sys.executable, "-m", "codeassist", "serve", "--model", spec,
           "--socket", str(path), "--idle-timeout", str(idle_timeout)]  # fmt: skip
    with log.open("ab") as out:  # a second start at the same moment must not wipe the first's
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
            env={**os.environ},
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if protocol.alive(path):  # ours, or one started at the same moment: its pid
            found = status(path)
            return int(found["pid"]) if found and "pid" in found else proc.pid
        if proc.poll() is not None:
            if protocol.owner_alive(path):  # lost the race to a server still loading: wait
                time.sleep(0.05)
                continue
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise BackendError(f"the server exited at start: {tail[0]}", hint=f"see {log}")
        time.sleep(0.05)
    raise BackendError(f"the server did not listen on {path} in time", hint=f"see {log}")
