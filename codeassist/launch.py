"""The `codeassist` executable: hands a request to the warm fork server when one runs.

Starting Python and importing the CLI, the pipeline and the checks takes about a third of a
second on a laptop, longer than a shell answer takes to decode. While `codeassist serve`
runs, it keeps a process with all of that imported (serve/forks.py). For `gen`, `fix`,
`warm` and `explain`, this module, which imports only the standard library, passes that
process its arguments, working directory, environment, umask, CPUs, niceness and resource
limits, and its own stdin, stdout and stderr; a fork of it runs the command on them, as this
process would have, and its exit status becomes ours. Signals sent to this process (Ctrl-C)
are passed on to the fork's process group.

Anything amiss before the fork (no fork server, another codeassist, a changed install, an
unreadable working directory) runs the command here, in this process, as before.
`CODEASSIST_IN_PROCESS=1` always does.
"""

from __future__ import annotations

import marshal
import os
import signal
import socket
import struct
import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing costs this path several ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import BinaryIO

SOCKET_NAME = "forks.sock"
IN_PROCESS = "CODEASSIST_IN_PROCESS"
FORWARDED = ("gen", "fix", "warm", "explain")  # what the widget runs: no terminal of its own
MAGIC = b"CAF1"
HEADER = struct.Struct("!4sI")  # magic, then the length of the marshalled request that follows
PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
LOST = 70  # the fork and the fork server both ended without a status (EX_SOFTWARE)
_PASSED_ON = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
# Linux 5.3 or later: pidfds, O_PATH, SO_PEERCRED and CPU affinity; elsewhere, no fork server
SUPPORTED = sys.platform.startswith("linux") and hasattr(os, "pidfd_open")


def main() -> None:
    """Console-script entry point."""
    try:
        status = forwarded(sys.argv) if _forwardable(sys.argv) else None
    except KeyboardInterrupt:  # before the fork took the signals over: the fork is stopped too
        if sys.stderr is not None:
            sys.stderr.write("\n")
        sys.exit(130)  # Exit.INTERRUPTED, as the CLI's own Ctrl-C
    if status is not None:
        sys.exit(status)
    from codeassist.cli import main as run_here

    run_here()


def _forwardable(argv: list[str]) -> bool:
    """A command that reads no terminal: `gen` without `--run`, `fix`, `warm`, and `explain`
    with its stdin not a terminal (`explain -` would read it)."""
    if not SUPPORTED or os.environ.get(IN_PROCESS) or len(argv) < 2 or argv[1] not in FORWARDED:
        return False
    options = argv[2 : argv.index("--")] if "--" in argv else argv[2:]
    if "--run" in options or (argv[1] == "explain" and os.isatty(0)):  # may read the terminal
        return False
    return not _stops_background_writes()


def _stops_background_writes() -> bool:
    """`stty tostop` on our terminal: the fork, not in its foreground, would stop at a write."""
    for fd in (1, 2):
        if os.isatty(fd):
            import termios

            try:
                if termios.tcgetattr(fd)[3] & termios.TOSTOP:
                    return True
            except termios.error:
                continue
    return False


def install_token() -> str:
    """What the code of this install is: Python, the package's place and version, and its
    source files' count, total size and newest mtime.

    A fork server whose token differs runs other code than this process would (an upgrade,
    an edit, another checkout on PYTHONPATH), so it is not used.
    """
    from codeassist import __version__

    package = os.path.dirname(os.path.abspath(__file__))
    newest, count, size = 0, 0, 0
    for folder, dirs, files in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                newest, count, size = max(newest, info.st_mtime_ns), count + 1, size + info.st_size
    return f"{sys.executable}|{sys.version}|{package}|{__version__}|{count}|{size}|{newest}"


def socket_paths() -> list[str]:
    """Where a fork server listens: the runtime dir, or the temp-dir fallback servers use."""
    from codeassist import paths

    try:
        found = [os.path.join(paths.runtime_dir(), SOCKET_NAME)]
    except OSError:
        found = []
    return [*found, os.path.join(paths.runtime_fallback(), SOCKET_NAME)]


def _connect() -> socket.socket | None:
    """A connection to our own user's fork server. The temp-dir fallback can be a folder
    another user made first: a socket there that another uid serves is never sent our
    environment and files."""
    for path in socket_paths():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(1.0)  # a full accept queue: the fork server is stuck, so do without it
        try:
            sock.connect(path)
            if peer_uid(sock) == os.getuid():
                return sock
        except OSError:
            pass
        sock.close()
    return None


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED)."""
    cred = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size)
    return int(PEERCRED.unpack(cred)[1])


def forwarded(argv: list[str]) -> int | None:
    """Run `argv` in a fork of the warm server; its exit status, or None when it was not run."""
    try:
        os.getcwd()
        cwd = os.open(".", os.O_PATH | os.O_DIRECTORY)  # the fork goes there: even unreadable
    except OSError:  # a deleted working directory: the CLI says so itself
        return None
    try:
        return _forwarded(argv, cwd)
    finally:
        os.close(cwd)


def _forwarded(argv: list[str], cwd: int) -> int | None:
    sock = _connect()
    if sock is None:
        return None
    # Held from the request until the fork's pid is known: a Ctrl-C or Ctrl-Z pressed
    # meanwhile reaches the fork too, not this process alone (which then stopped, while the
    # fork went on writing to the terminal).
    held = {*_PASSED_ON, signal.SIGTSTP}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    with sock:
        try:
            sock.settimeout(5.0)  # the fork server answers at once, or something is wrong
            reader = sock.makefile("rb")
            try:
                _send(sock, argv, cwd)
                word, _, value = reader.readline().decode("ascii", "replace").partition(" ")
            except OSError:
                return None
            if word != "pid" or not value.strip().isdigit():
                return None  # refused: another install's, or its code changed on disk
            pid = int(value)
            sock.settimeout(None)
            previous = {sig: signal.signal(sig, _pass_on(pid)) for sig in _PASSED_ON}
            previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, _suspend(pid))
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)  # what came meanwhile lands now
        try:
            return _status(reader, pid)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _send(sock: socket.socket, argv: list[str], cwd: int) -> None:
    umask = os.umask(0o077)
    os.umask(umask)
    streams = [
        [stream.encoding, stream.errors] if stream is not None else None
        for stream in (sys.stdin, sys.stdout, sys.stderr)
    ]
    fds = [fd for fd in (0, 1, 2) if _is_open(fd)]
    body = marshal.dumps({
        "argv": argv, "env": dict(os.environ), "umask": umask,
        "streams": streams, "fds": fds, "token": install_token(), **_limits(),
    })  # fmt: skip
    socket.send_fds(sock, [HEADER.pack(MAGIC, len(body))], [*fds, cwd])  # cwd's fd last
    sock.sendall(body)


LIMITS = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
          "RLIMIT_NOFILE", "RLIMIT_NPROC")  # fmt: skip


def _limits() -> dict[str, object]:
    """What `taskset`, `nice` and `ulimit` set on this process, for the fork to take on."""
    import resource

    return {
        "cpus": sorted(os.sched_getaffinity(0)),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "rlimits": {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS},
    }


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _pass_on(pid: int) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        try:
            os.killpg(pid, signum)
        except OSError:  # it ended meanwhile
            pass

    return handler


def _suspend(pid: int) -> Callable[[int, FrameType | None], None]:
    """Ctrl-Z: stop the fork's group and then ourselves; continue it when we are continued."""

    def handler(signum: int, frame: FrameType | None) -> None:
        try:
            os.killpg(pid, signal.SIGSTOP)
        except OSError:
            pass
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until `fg` or `bg`
        signal.signal(signal.SIGTSTP, handler)
        try:
            os.killpg(pid, signal.SIGCONT)
        except OSError:
            pass

    return handler


def _status(reader: BinaryIO, pid: int) -> int:
    """The exit status the fork reports (or the fork server, for a fork killed by a signal);
    with neither, the fork's end is waited for and LOST returned."""
    while True:
        try:
            line = reader.readline()
        except InterruptedError:
            continue
        if not line:
            break
        word, _, value = line.decode("ascii", "replace").partition(" ")
        if word == "status" and value.strip().lstrip("-").isdigit():
            return int(value)
    _wait_for(pid)
    if sys.stderr is not None:
        sys.stderr.write("codeassist: the command ended with no exit status (killed, and its "
                         "fork server too)\n")  # fmt: skip
    return LOST


def _wait_for(pid: int) -> None:
    """Wait until process `pid` (not our child) has ended."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)
