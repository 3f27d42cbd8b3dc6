"""Run untrusted code in a subprocess: temp dir, time/memory/file limits, no network.

The network is cut with a new (empty) network namespace, `unshare -rn`, where the kernel allows
unprivileged user namespaces. Where it does not, Python children still get no network: an audit
hook installed before the code runs refuses every internet socket and name lookup; a shell
child then runs with `network_isolated=False` in its Outcome, so a caller can refuse to run it.
The whole process group is killed at the time limit.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OUTPUT_LIMIT = 64 * 1024  # characters of stdout / stderr kept

# Runs in the child before the code: no internet sockets, no name lookups.
_PY_BOOT = """\
import socket as _s, sys as _sys
def _codeassist_no_network(event, args, _inet=(_s.AF_INET, _s.AF_INET6)):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
        if args and getattr(args[0], "family", None) in _inet:
            raise PermissionError("network access is disabled in the sandbox")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        raise PermissionError("network access is disabled in the sandbox")
_sys.addaudithook(_codeassist_no_network)
del _codeassist_no_network, _s
import os as _os, runpy as _runpy
_sys.path.insert(0, _os.getcwd())
_sys.argv = ["main.py"]
_runpy.run_path("main.py", run_name="__main__")
"""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # wall clock; the process group is killed after it
    memory_mb: int = 1024  # address space
    file_mb: int = 64  # largest file it may write (also caps its output)


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None when killed at the time limit
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    network_isolated: bool  # True when it ran in its own empty network namespace

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@functools.cache
def can_unshare_network() -> bool:
    """Whether `unshare -rn` works here (unprivileged user + network namespaces)."""
    exe = shutil.which("unshare")
    if not exe:
        return False
    try:
        proc = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _limiter(limits: Limits) -> Callable[[], None]:
    def apply() -> None:  # runs in the child, between fork and exec
        mem = limits.memory_mb * 1024 * 1024
        cpu = int(limits.timeout_s) + 2
        fsize = limits.file_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _read(path: Path) -> str:
    with path.open("rb") as f:
        data = f.read(OUTPUT_LIMIT)
    return data.decode("utf-8", errors="replace")


def run(
    argv: Sequence[str],
    *,
    workdir: Path,
    limits: Limits | None = None,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    isolate_network: bool | None = None,
) -> Outcome:
    """Run argv in workdir under the limits; isolate_network=None means: when possible."""
    limits = limits or Limits()
    isolated = can_unshare_network() if isolate_network is None else isolate_network
    if isolated:
        argv = ["unshare", "-rn", *argv]
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        **(env or {}),
    }
    with tempfile.TemporaryDirectory(prefix="codeassist-out-") as out:
        out_path, err_path = Path(out, "stdout"), Path(out, "stderr")
        started = time.perf_counter()
        with out_path.open("wb") as fout, err_path.open("wb") as ferr:
            proc = subprocess.Popen(
                list(argv), cwd=workdir, env=child_env, stdin=subprocess.PIPE,
                stdout=fout, stderr=ferr, start_new_session=True,
                preexec_fn=_limiter(limits),  # noqa: PLW1509 - needed for setrlimit
            )  # fmt: skip
            timed_out = False
            try:
                proc.communicate(stdin.encode("utf-8"), timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc.pid)
                proc.wait()
            _kill_group(proc.pid)  # anything it left running in the background
        duration = time.perf_counter() - started
        return Outcome(
            returncode=None if timed_out else proc.returncode,
            stdout=_read(out_path), stderr=_read(err_path), timed_out=timed_out,
            duration_s=duration, network_isolated=isolated,
        )  # fmt: skip


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_python(
    source: str,
    *,
    limits: Limits | None = None,
    workdir: Path | None = None,
    files: Mapping[str, str] | None = None,
    stdin: str = "",
    isolate_network: bool | None = None,
) -> Outcome:
    """Run Python source as main.py in a fresh temp dir (or workdir) with the network off.

    `files` are written next to it first (e.g. the code under test as solution.py).
    """
    with tempfile.TemporaryDirectory(prefix="codeassist-sandbox-") as tmp:
        where = workdir or Path(tmp)
        for name, text in {**(files or {}), "main.py": source}.items():
            (where / name).write_text(text, encoding="utf-8")
        argv = [sys.executable, "-I", "-c", _PY_BOOT]
        return run(argv, workdir=where, limits=limits, stdin=stdin, isolate_network=isolate_network)


def run_shell(
    command: str,
    *,
    workdir: Path,
    limits: Limits | None = None,
    shell: str = "bash",
    isolate_network: bool | None = None,
) -> Outcome:
    """Run a command line with the shell in workdir (no rc files), under the limits."""
    exe = shutil.which(shell) or shell
    argv = (
        [exe, "--noprofile", "--norc", "-c", command] if shell == "bash" else [exe, "-c", command]
    )
    return run(argv, workdir=workdir, limits=limits, isolate_network=isolate_network)
