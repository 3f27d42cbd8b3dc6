"""Run untrusted code in a real sandbox, or not at all.

The sandbox is a set of new Linux namespaces made with util-linux `unshare` (user, mount, PID,
network, IPC, UTS), set up by sandbox_init.py: the whole file system read-only (reads are
allowed), /tmp, /var/tmp and /run hidden under empty tmpfs, a minimal /dev, a fresh tmpfs work
dir holding the given files, no network at all, no capabilities, limits on time, memory, file
size and processes. When the run ends, or at its time limit, every process in it is killed.

Where such a sandbox cannot be made here (probed once), or `CODEASSIST_SANDBOX=off`, nothing
runs: `run` raises `Unavailable`, and callers report their check as not run.
"""

from __future__ import annotations

import functools
import io
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeassist.errors import CodeassistError
from codeassist.verify.unpack import unpack

OUTPUT_LIMIT = 64 * 1024  # characters of stdout / stderr kept
INIT = Path(__file__).with_name("sandbox_init.py")
OUTPUTS = ("stdout", "stderr", "out.tar")
NAMESPACES = ("--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child",
              "--mount-proc", "--net", "--ipc", "--uts", "--propagation", "private")  # fmt: skip
HINT = (
    "allow unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`; on Ubuntu "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns=0`) and install util-linux's `unshare`"
)
# Runs main.py as __main__ with the work dir first on sys.path (-I leaves it off).
_PY_BOOT = (
    "import os as _os, runpy as _runpy, sys as _sys\n"
    "_sys.path.insert(0, _os.getcwd())\n"
    "_sys.argv = ['main.py']\n"
    "_runpy.run_path('main.py', run_name='__main__')\n"
)


class Unavailable(CodeassistError):
    """No sandbox can be made here, so generated code is not run."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # wall clock; everything in the sandbox is killed after it
    memory_mb: int = 1024  # address space, per process
    file_mb: int = 64  # largest file it may write (also caps its output)
    processes: int = 64  # processes in the sandbox at once; more and all are killed
    disk_mb: int = 256  # each tmpfs (work dir, /tmp, /dev/shm), besides the given files


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None when killed at the time limit; 128+N when killed by signal N
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    network_isolated: bool = True  # always: code runs only in the sandbox
    started: bool = True  # False: the sandbox itself failed (unshare refused, setup failed)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def unavailable() -> str | None:
    """Why no sandbox can be used here, or None when one can."""
    if os.environ.get("CODEASSIST_SANDBOX", "").lower() in ("off", "0", "no", "false"):
        return "turned off by CODEASSIST_SANDBOX"
    return _probe()


@functools.cache
def _probe() -> str | None:
    """The verdict on this machine. A "yes" is remembered on disk (a sandbox start saved in
    every later process) while what decides it is unchanged; a run whose sandbox then does
    not start (the init never says it stands) forgets it (`run`)."""
    if not sys.platform.startswith("linux"):
        return "sandboxing needs Linux namespaces"
    unshare = _unshare()
    if not unshare:
        return "util-linux `unshare` is not installed"
    key = _probe_key(unshare)
    with suppress(OSError, ValueError, TypeError, KeyError):
        kept = json.loads(_probe_file().read_text(encoding="utf-8"))
        if kept["key"] == key and kept["verdict"] is None:  # only a yes is ever written
            return None
    verdict = _probe_now()
    if verdict is not None:  # a "no" may be a passing load: asked again by the next process
        return verdict
    with suppress(OSError):
        from codeassist.paths import make

        path = _probe_file()
        make(path.parent)
        part = path.with_name(f"{path.name}.{os.getpid()}")
        part.write_text(json.dumps({"key": key, "verdict": verdict}), encoding="utf-8")
        part.replace(path)
    return verdict


def _unshare() -> str | None:
    """util-linux's unshare: on PATH, else where util-linux installs it (a PATH of one's own
    need not turn the sandbox off)."""
    return shutil.which("unshare") or shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")


def _probe_file() -> Path:
    from codeassist.paths import cache_dir

    return cache_dir() / "sandbox.json"


def _probe_key(unshare: str) -> list[str]:
    """What the verdict depends on: this boot, the unshare and Python used, the sandbox's init
    (codeassist's version), the user, and the kernel's settings for user namespaces."""
    key = [str(os.getuid()), sys.executable]
    for path in (unshare, sys.executable, str(INIT)):
        with suppress(OSError):
            st = os.stat(path)
            key.append(f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}")
    for setting in (
        "/proc/sys/kernel/random/boot_id",
        "/proc/sys/kernel/unprivileged_userns_clone",
        "/proc/sys/user/max_user_namespaces",
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
    ):
        try:
            key.append(Path(setting).read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError):
            key.append("-")
    return key


def _probe_now() -> str | None:
    try:
        outcome = _launch([sys.executable, "-I", "-S", "-c", "open('x', 'w').close()"], {},
                          Limits(timeout_s=20), None, "", {}, None)  # fmt: skip
    except OSError as exc:
        return f"unshare failed: {exc}"
    if not outcome.ok:
        lines = (outcome.stderr or "").strip().splitlines()
        return lines[-1] if lines else f"the sandbox test failed ({outcome.returncode})"
    return None


def run(
    argv: Sequence[str],
    *,
    workdir: Path | None = None,
    files: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    result: Path | None = None,
    leave_out: Collection[str] = (),
    keep: Collection[str] = (),
) -> Outcome:
    """Run argv in the sandbox, in a tmpfs work dir holding a copy of `workdir` plus `files`.

    The work dir has workdir's own path inside (a fresh /tmp name when there is none); when
    `result` is given, the tree the run leaves there is unpacked into it. Names in
    `leave_out` at the top of `workdir` (".git") are not copied. Directories in `keep` stay
    visible (read-only) where they are under the hidden /tmp, /var/tmp or /run.
    """
    reason = unavailable()
    if reason:
        raise Unavailable(f"no sandbox here: {reason}", HINT)
    outcome = _launch(
        argv, files or {}, limits or Limits(), workdir, stdin, env or {}, result, leave_out, keep
    )
    if not outcome.started and not outcome.timed_out:
        _probe.cache_clear()  # the remembered "yes" no longer holds: forget it, say why
        with suppress(OSError):
            _probe_file().unlink()
        said = (outcome.stderr.strip().splitlines() or ["the sandbox did not start"])[0]
        raise Unavailable(f"no sandbox here: {said}", HINT)
    return outcome


def _pack(
    workdir: Path | None, files: Mapping[str, str], into: Path, leave_out: Collection[str] = ()
) -> int:
    """The work dir's starting content as a tar (owned by root inside), without the folders
    and files at its top named in `leave_out`; its size in bytes."""
    skipped = {f"./{name}" for name in leave_out}

    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def kept(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if info.name in skipped else owned(info)  # a folder: and all in it

    with tarfile.open(into, "w") as tar:
        if workdir is not None:
            tar.add(workdir, arcname=".", filter=kept)
        for name, text in files.items():
            data = text.encode("utf-8")
            info = owned(tarfile.TarInfo(name))
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return into.stat().st_size


def _config(
    argv: Sequence[str], limits: Limits, inside: str, env: Mapping[str, str], in_size: int,
    keep: Collection[str] = (),
) -> dict[str, Any]:  # fmt: skip
    """What sandbox_init.py is told: the command, its environment, work dir and limits."""
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": inside, "TMPDIR": "/tmp",
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0", **env,
    }  # fmt: skip
    return {
        "argv": list(argv), "env": child_env, "workdir": inside,
        "keep": [sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent),
                 *keep],
        "tmpfs_mb": limits.disk_mb + in_size // 2**20 + 1,
        "limits": {"timeout_s": limits.timeout_s, "memory_mb": limits.memory_mb,
                   "file_mb": limits.file_mb, "processes": limits.processes},
    }  # fmt: skip


def _launch(
    argv: Sequence[str], files: Mapping[str, str], limits: Limits, workdir: Path | None,
    stdin: str, env: Mapping[str, str], result: Path | None, leave_out: Collection[str] = (),
    keep: Collection[str] = (),
) -> Outcome:  # fmt: skip
    fresh = f"/tmp/codeassist-sandbox-{secrets.token_hex(4)}"
    inside = str(workdir.resolve()) if workdir else fresh
    with tempfile.TemporaryDirectory(prefix="codeassist-run-") as tmp, ExitStack() as files_open:
        size = _pack(workdir, files, Path(tmp, "in.tar"), leave_out)
        fin = files_open.enter_context(Path(tmp, "in.tar").open("rb"))
        fout, ferr, ftar = (files_open.enter_context(Path(tmp, n).open("wb")) for n in OUTPUTS)
        out_fd = None if result is None else ftar.fileno()
        ready, told = os.pipe()  # the init writes a byte here once the sandbox is set up
        files_open.callback(os.close, ready)
        config = {
            **_config(argv, limits, inside, env, size, keep),
            "in_fd": fin.fileno(),
            "out_fd": out_fd,
            "ready_fd": told,
        }
        fds = [fd for fd in (fin.fileno(), out_fd, told) if fd is not None]
        launcher = [_unshare() or "unshare", *NAMESPACES, "--", sys.executable, "-I", "-S",
                    str(INIT)]  # fmt: skip
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(
                [*launcher, json.dumps(config)], stdin=subprocess.PIPE, stdout=fout, stderr=ferr,
                start_new_session=True, pass_fds=fds,
            )  # fmt: skip
        finally:
            os.close(told)  # the child's copy is the only one left
        timed_out = False
        try:
            _communicate(proc, stdin.encode("utf-8"), limits.timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:  # at the time limit, or on Ctrl-C: the namespace dies with its first process
            _kill_group(proc.pid)
            proc.wait()
        duration = time.perf_counter() - started
        os.set_blocking(ready, False)
        try:
            set_up = os.read(ready, 1) == b"1"
        except BlockingIOError:  # its writer still open somewhere: cannot tell, assume it started
            set_up = True
        files_open.close()
        if result is not None:
            unpack(None if timed_out else Path(tmp, "out.tar"), result)
        return Outcome(
            returncode=None if timed_out else proc.returncode,
            stdout=_read(Path(tmp, "stdout")), stderr=_read(Path(tmp, "stderr")),
            timed_out=timed_out, duration_s=duration, started=set_up,
        )  # fmt: skip


def _communicate(proc: subprocess.Popen[bytes], data: bytes, timeout: float) -> None:
    """`proc.communicate(data, timeout)`, but told of the exit at once: Popen's wait with a
    timeout polls, sleeping up to 50 ms between looks, which a short run (most are under
    0.1 s) paid on every call. A pidfd is readable the moment the process exits (Linux 5.3)."""
    try:
        pidfd = os.pidfd_open(proc.pid) if len(data) <= _PIPE_PAGE else -1
    except (AttributeError, OSError):  # another kernel
        pidfd = -1
    if pidfd < 0:  # or more input than a pipe surely holds: Popen's own way
        proc.communicate(data, timeout=timeout)
        return
    try:
        _feed(proc, data)
        if not select.select([pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        proc.wait()
    finally:
        os.close(pidfd)


_PIPE_PAGE = 4096  # what any pipe holds with no reader (one page): written, never blocking


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    with suppress(BrokenPipeError):  # it exited without reading: as communicate does
        if data:
            proc.stdin.write(data)
        proc.stdin.close()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read(path: Path) -> str:
    with path.open("rb") as f:
        data = f.read(OUTPUT_LIMIT)
    return data.decode("utf-8", errors="replace")


def run_python(
    source: str,
    *,
    limits: Limits | None = None,
    workdir: Path | None = None,
    files: Mapping[str, str] | None = None,
    stdin: str = "",
) -> Outcome:
    """Run Python source as main.py in the sandbox's work dir (a copy of workdir, if given).

    `files` are written next to it first (e.g. the code under test as solution.py).
    """
    argv = [sys.executable, "-I", "-c", _PY_BOOT]
    everything = {**(files or {}), "main.py": source}
    return run(argv, workdir=workdir, files=everything, limits=limits, stdin=stdin)


def run_shell(
    command: str,
    *,
    workdir: Path,
    limits: Limits | None = None,
    shell: str = "bash",
    result: Path | None = None,
) -> Outcome:
    """Run a command line with the shell (no rc files) over a copy of workdir, at its path.

    workdir itself is never changed; `result`, when given, receives the tree the command left.
    """
    exe = shutil.which(shell) or shell
    argv = (
        [exe, "--noprofile", "--norc", "-c", command] if shell == "bash" else [exe, "-c", command]
    )
    return run(argv, workdir=workdir, limits=limits, result=result)
