"""The fork server: a process with codeassist already imported, which runs commands for
launch.py in forks of itself, so that a widget request skips Python's start and the imports.

`codeassist serve` starts it beside the model (`supervise`), with a pipe on its stdin: when
the pipe closes, the model server is gone and so is this. One runs per runtime dir, whatever
the model: a second waits for the first one's lock. It listens on `forks.sock` (0600, in the
private runtime dir) and serves only its own user (SO_PEERCRED).

A request is the client's arguments, environment, umask, CPUs, niceness and limits, and (as
SCM_RIGHTS) its stdin, stdout, stderr and working directory. A fork becomes that process: own
process group, those files on fds 0-2, that directory, environment and limits; it runs the
CLI and exits with its status, which goes back to the client (docs/protocol.md). The client
passes its signals on to the fork's group; when the client goes away first, the fork's group
gets SIGTERM. Nothing of one request is left for the next: each fork starts from the state
after the imports, none of its own.

A client with another install token (an upgrade, an edit, another checkout) is refused and
runs in process; when this install's own files changed, the server also exits, and
`supervise` starts one with the new code.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import marshal
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path
from typing import IO, Any

from codeassist import launch

RESPAWN_S = 5.0  # at least this long between two starts of a fork server that keeps exiting
CANNOT = 78  # its exit status where it cannot run at all (EX_CONFIG): not started again
REQUEST_TIMEOUT = 0.5  # seconds for the rest of a request whose first bytes have come
MAX_REQUEST = 16 * 2**20
SERVER_SIDE = (  # the model server's own modules (they import llama.cpp), and the repl's
    "codeassist.backends.llamacpp", "codeassist.serve.cache", "codeassist.serve.prefix",
    "codeassist.serve.server", "codeassist.serve.handler", "codeassist.repl",
)  # fmt: skip
LIBRARIES = (  # imported inside functions: the context's ranking, SQL, highlighting
    "numpy", "networkx", "sqlglot", "sqlite3", "platformdirs", "tree_sitter",
    "tree_sitter_language_pack.bindings.bash", "rich.console", "rich.syntax",
)  # fmt: skip


def supervise(stopping: threading.Event) -> None:
    """Keep a fork server running until `stopping` is set; run in a daemon thread."""
    while not stopping.is_set():
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "codeassist.serve.forks"],
            stdin=subprocess.PIPE, cwd="/", start_new_session=True,
        )  # fmt: skip
        while proc.poll() is None:
            if stopping.wait(0.5):
                _close(proc)
                return
        if proc.returncode == CANNOT:
            return
        stopping.wait(max(0.0, RESPAWN_S - (time.monotonic() - started)))


def _close(proc: subprocess.Popen[bytes]) -> None:
    """Close the fork server's pipe: it exits (its running forks finish their commands)."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def main() -> None:
    """`python -m codeassist.serve.forks`, stdin a pipe from the model server."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads (numpy's)
    token = launch.install_token()
    from codeassist.errors import CodeassistError
    from codeassist.serve import protocol

    try:
        os.close(os.pidfd_open(os.getpid()))  # Linux 5.3 or later: how forks are watched
        path = protocol.runtime_dir() / launch.SOCKET_NAME
    except (CodeassistError, OSError) as exc:  # commands run in process, as without one
        said = exc.message if isinstance(exc, CodeassistError) else f"no pidfd: {exc}"
        print(f"codeassist fork server: {said}", file=sys.stderr)
        sys.exit(CANNOT)
    lock = _lock(path)
    if lock is None:
        return  # the model server went away while another fork server held the socket
    preload()
    if not _parent_alive():
        return
    Forks(path, token, lock).serve()


def preload() -> None:
    """Import every module a command may need (not the model's: that is the model server's),
    and the libraries they import when used, so that a fork imports nothing."""
    import importlib
    import pkgutil

    def under(package: str) -> None:  # walk_packages would import the server-side packages
        for found in pkgutil.iter_modules(importlib.import_module(package).__path__):
            name = f"{package}.{found.name}"
            if name.startswith(SERVER_SIDE) or name == "codeassist.__main__":
                continue
            if found.ispkg:
                under(name)
            else:
                importlib.import_module(name)

    under("codeassist")
    for name in LIBRARIES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from codeassist import cli

    cli.command()  # typer builds its click command from the functions' signatures: once


def _parent_alive(timeout: float = 0.0) -> bool:
    """False once the model server's pipe (our stdin) has closed."""
    import select

    readable, _, _ = select.select([0], [], [], timeout)
    return not readable or bool(os.read(0, 4096))


def _lock(path: Path) -> IO[str] | None:
    """Hold `forks.sock.lock`, waiting while another fork server holds it; None: parent gone."""
    lock = path.with_name(path.name + ".lock").open("a")
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if not _parent_alive(1.0):
                lock.close()
                return None
            continue
        return lock


class Forks:
    """The accept loop: one selector over the socket, the parent pipe, and each fork's pidfd."""

    def __init__(self, path: Path, token: str, lock: IO[str]) -> None:
        self.path, self.token, self.lock = path, token, lock
        path.unlink(missing_ok=True)  # we hold the lock: a socket there is a dead server's
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self.listener.bind(os.fsencode(path))
        finally:
            os.umask(old)
        self.listener.listen(socket.SOMAXCONN)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(0, selectors.EVENT_READ, "parent")
        self.running: dict[int, tuple[int, socket.socket]] = {}  # pidfd: (pid, client)
        self.pending: set[socket.socket] = set()  # connected, request not yet read
        self.open = True

    def serve(self) -> None:
        """Serve until the model server's pipe closes or this install changes; then let the
        running forks end and report, and exit."""
        try:
            while self.open or self.running:
                for key, _ in self.selector.select():
                    if key.data == "parent":
                        if not os.read(0, 4096):
                            self.selector.unregister(0)
                            self._close()
                    elif key.data == "accept":
                        self._accept()
                    elif key.data == "request":
                        self._start(key.fileobj)  # type: ignore[arg-type]
                    elif key.data == "fork":
                        self._ended(key.fd)
                    else:
                        self._client_event(key.fd, key.data)
        finally:
            self._close()

    def _close(self) -> None:
        """Stop taking requests: the socket goes and the lock is free for a successor."""
        if self.open:
            self.open = False
            self.selector.unregister(self.listener)
            self.path.unlink(missing_ok=True)  # ours: we hold the lock
            self.listener.close()
            self.lock.close()
            for conn in self.pending:  # their clients run the command themselves
                self.selector.unregister(conn)
                conn.close()
            self.pending.clear()

    def _accept(self) -> None:
        """Take a connection; its request is read once it has arrived (a silent client holds
        up no other)."""
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.pending.add(conn)
        self.selector.register(conn, selectors.EVENT_READ, "request")

    def _start(self, conn: socket.socket) -> None:
        """Read the request and fork the process that runs it; or refuse it."""
        self.selector.unregister(conn)
        self.pending.discard(conn)
        try:
            request, fds = _receive(conn)
        except (OSError, ValueError, EOFError, TypeError):
            conn.close()
            return
        try:
            if request.get("token") != self.token:
                conn.sendall(b"refused another install\n")
                conn.close()
                if launch.install_token() != self.token:  # ours changed: make way for new code
                    self._close()
                return
            pid = os.fork()
            if pid == 0:
                self._become(conn, request, fds)  # never returns
        except OSError:  # no fork (out of processes or memory): the client runs it itself
            conn.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        with contextlib.suppress(OSError):  # the fork does it too: whichever runs first
            os.setpgid(pid, pid)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # out of file descriptors: no way to watch it but to wait for it
            self._report(pid, conn)
            return
        self.running[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "fork")
        self.selector.register(conn, selectors.EVENT_READ, pidfd)

    def _client_event(self, fd: int, pidfd: int) -> None:
        """The client wrote or hung up; a hang-up (killed, or its caller gave up) stops the fork."""
        pid, conn = self.running[pidfd]
        try:
            data = conn.recv(1)
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(conn)
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGTERM)

    def _ended(self, pidfd: int) -> None:
        pid, conn = self.running.pop(pidfd)
        self.selector.unregister(pidfd)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn)
        os.close(pidfd)
        self._report(pid, conn)

    def _report(self, pid: int, conn: socket.socket) -> None:
        """Reap the fork; its status for the client, if the fork could not say it itself."""
        _, wait_status = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(wait_status)
        if status < 0:  # killed by a signal: what a shell reports for it
            status = 128 - status
        with contextlib.suppress(OSError):  # a client that has the fork's own line has gone
            conn.sendall(f"status {status}\n".encode())
        conn.close()

    def _become(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        """In the fork: turn into the client's process and run the CLI; exits, never returns.

        The fork tells the client its pid (once it leads its own process group, which the
        client signals) and, at the end, its exit status: the fork server's own death then
        costs the client nothing.
        """
        status = 1
        try:
            for pidfd, (_, other) in self.running.items():
                os.close(pidfd)
                other.close()
            for other in self.pending:
                other.close()
            self.selector.close()
            if self.open:
                self.listener.close()
                self.lock.close()
            os.setpgid(0, 0)
            try:
                conn.sendall(f"pid {os.getpid()}\n".encode())
            except OSError:  # the client has gone: nothing to run it for
                return
            status = run_as(request, fds)
            with contextlib.suppress(OSError):
                conn.sendall(f"status {status}\n".encode())
        except BaseException:  # noqa: BLE001 (a bug here: say it where the user sees it)
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            os._exit(status)


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request: the header with the client's fds, then the marshalled body."""
    uid = launch.peer_uid(conn)
    conn.settimeout(REQUEST_TIMEOUT)
    head, fds, _, _ = socket.recv_fds(conn, launch.HEADER.size, 4)
    try:
        if uid != os.getuid():
            raise ValueError("another user")
        while len(head) < launch.HEADER.size:
            more = conn.recv(launch.HEADER.size - len(head))
            if not more:
                raise EOFError
            head += more
        magic, size = launch.HEADER.unpack(head)
        if magic != launch.MAGIC or size > MAX_REQUEST:
            raise ValueError("not a codeassist request")
        body = bytearray()
        while len(body) < size:
            more = conn.recv(min(size - len(body), 2**20))
            if not more:
                raise EOFError
            body += more
        request = marshal.loads(bytes(body))
        if not isinstance(request, dict) or len(request.get("fds", ())) + 1 != len(fds):
            raise ValueError("a malformed request")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    conn.settimeout(None)
    return request, fds


def run_as(request: dict[str, Any], fds: list[int]) -> int:
    """Take on the client's files, directory, environment and arguments; run the CLI."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for target in (0, 1, 2):
        if target in request["fds"]:
            os.dup2(fds[request["fds"].index(target)], target)
        else:
            os.close(target)  # closed in the client: closed here too
    os.fchdir(fds[-1])  # the client's working directory, sent as an fd: the same directory
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.umask(request["umask"])
    _take_limits(request)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    stdin, stdout, stderr = (
        _stream(fd, request["streams"][fd]) if fd in request["fds"] else None for fd in (0, 1, 2)
    )
    sys.stdin = sys.__stdin__ = stdin  # type: ignore[misc]
    sys.stdout = sys.__stdout__ = stdout  # type: ignore[misc]
    sys.stderr = sys.__stderr__ = stderr  # type: ignore[misc]
    from codeassist.cli import main

    try:
        main()
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    return status


def _take_limits(request: dict[str, Any]) -> None:
    """The client's CPUs, niceness and resource limits, as far as this process may take them
    (a limit above the fork server's own hard limit is lowered to that)."""
    import resource

    with contextlib.suppress(OSError, ValueError):
        os.sched_setaffinity(0, request["cpus"])
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, request["nice"])

    def lower(a: int, b: int) -> int:
        return b if a == resource.RLIM_INFINITY else a if b == resource.RLIM_INFINITY else min(a, b)

    for name, (soft, hard) in request["rlimits"].items():
        if name in launch.LIMITS:
            which = getattr(resource, name)
            hard = lower(hard, resource.getrlimit(which)[1])
            with contextlib.suppress(OSError, ValueError):
                resource.setrlimit(which, (lower(soft, hard), hard))


def _exit_status(code: object) -> int:
    """What Python's own exit does with SystemExit's code."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(OSError, ValueError):
        print(code, file=sys.stderr)
    return 1


def _stream(fd: int, spec: list[str] | None) -> io.TextIOWrapper:
    """A text stream on `fd` as Python makes its own at start: the client's encoding and
    errors, line-buffered on a terminal (stdout) and always (stderr)."""
    encoding, errors = spec or ("utf-8", "strict")
    raw = io.open(fd, "rb" if fd == 0 else "wb", closefd=False)  # noqa: UP020, SIM115
    line_buffering = fd == 2 or (fd == 1 and os.isatty(fd))
    return io.TextIOWrapper(
        raw, encoding=encoding, errors=errors, newline="\n", line_buffering=line_buffering
    )


if __name__ == "__main__":
    main()
