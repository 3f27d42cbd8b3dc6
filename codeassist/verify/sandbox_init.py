"""The sandbox's first process: read-only file system, a tmpfs work dir, no capabilities, limits.

sandbox.py starts it as `python -I -S sandbox_init.py CONFIG` under `unshare` with new user,
mount, PID, network, IPC and UTS namespaces. As PID 1 of its PID namespace it:

1. makes every mount read-only (one recursive `mount_setattr`, else a remount of each mount);
2. mounts empty tmpfs over /tmp, /var/tmp and /run (and so hides the sockets there), a minimal
   /dev (null, zero, full, random, urandom, tty, shm) and a fresh tmpfs at the work dir, into
   which it unpacks the tar that sandbox.py passes on an inherited descriptor;
3. runs the code there with every capability dropped, no new privileges, and rlimits on
   address space, CPU, file size and processes; it also counts the namespace's processes
   and kills them all when there are more than the limit (root ignores RLIMIT_NPROC);
4. when the code exits, kills everything left in the namespace (a `setsid` grandchild too),
   optionally packs the work dir back as a tar, and exits with the code's status.

If this process dies, the kernel kills every process of the namespace. The new network
namespace has only a loopback interface, down. Standard library only; imports no codeassist.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import tarfile
import time
from typing import Any

SETUP_FAILED = 125  # exit status when the sandbox itself could not be built
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_MOVE, MS_REC = 8192, 16384
MS_FLAGS = {
    "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024,
    "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24,
}  # fmt: skip
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
HIDDEN = ("/tmp", "/var/tmp", "/run")
POLL_S = 0.005

libc = ctypes.CDLL(None, use_errno=True)


class MountAttr(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clr", "propagation", "userns_fd")]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str, target: str, fstype: str, flags: int = 0, data: str = "") -> None:
    raw = libc.mount(source.encode(), target.encode(), fstype.encode(), ctypes.c_ulong(flags),
                     data.encode() or None)  # fmt: skip
    _check(raw, f"mount {target}")


def make_readonly() -> None:
    """Every mount of this namespace read-only, recursively."""
    attr = MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    call = libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, ctypes.byref(attr),
                        ctypes.c_size_t(ctypes.sizeof(attr)))  # fmt: skip
    if call == 0:
        return
    with open("/proc/self/mountinfo", encoding="utf-8") as f:  # kernels before 5.12
        mounts = [line.split() for line in f]
    for fields in mounts:
        point = fields[4].encode().decode("unicode_escape")
        kept = sum(MS_FLAGS.get(opt, 0) for opt in fields[5].split(","))
        mount("none", point, "", MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def tmpfs(target: str, size_mb: int, mode: str = "755") -> None:
    os.makedirs(target, exist_ok=True)
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mb}m,mode={mode}")


def minimal_dev() -> None:
    """A read-only /dev with the harmless devices only (no disks, no terminals but the own)."""
    stage = "/tmp/.codeassist-dev"
    tmpfs(stage, 1)
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(f"{stage}/{name}", "w").close()
            mount(f"/dev/{name}", f"{stage}/{name}", "", MS_BIND)
    for name, fd in (("stdin", 0), ("stdout", 1), ("stderr", 2)):
        os.symlink(f"/proc/self/fd/{fd}", f"{stage}/{name}")
    os.symlink("/proc/self/fd", f"{stage}/fd")
    os.mkdir(f"{stage}/shm")
    mount("none", stage, "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    mount(stage, "/dev", "", MS_MOVE)
    os.rmdir(stage)


def hide(keep: list[str], size_mb: int) -> None:
    """Empty tmpfs over HIDDEN, but for the kept dirs under them (the interpreter's, say)."""
    held = [
        (path, os.open(path, os.O_PATH | os.O_DIRECTORY))
        for path in keep
        if os.path.isdir(path) and any(path.startswith(h + "/") for h in HIDDEN)
    ]
    for path in HIDDEN:
        if os.path.isdir(path) and not os.path.islink(path):
            tmpfs(path, size_mb, "1777")
    for path, fd in held:
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, "", MS_BIND | MS_REC)
        mount("none", path, "", MS_REMOUNT | MS_BIND | MS_RDONLY)
        os.close(fd)


def build(config: dict[str, Any]) -> str:
    """The file system of the sandbox; returns the work dir, with the given files in it."""
    try:  # a hard cap on processes where the kernel has per-namespace pid_max (6.14+)
        with open("/proc/sys/kernel/pid_max", "w") as pid_max:
            pid_max.write("512")
    except OSError:
        pass
    make_readonly()
    size = config["tmpfs_mb"]
    hide(config["keep"], size)
    minimal_dev()
    tmpfs("/dev/shm", size, "1777")
    work: str = config["workdir"]
    tmpfs(work, size)
    with os.fdopen(config["in_fd"], "rb") as f, tarfile.open(fileobj=f, mode="r|") as tar:
        # packed by sandbox.py, not by the code; Python before 3.11.4 has no filters
        if hasattr(tarfile, "fully_trusted_filter"):
            tar.extractall(work, filter="fully_trusted")
        else:
            tar.extractall(work)
    return work


def drop_privileges() -> None:
    """No capabilities now or after exec, and no way to gain any (setuid files included)."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    _check(libc.capset(header, (ctypes.c_uint32 * 6)()), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def start(config: dict[str, Any], work: str) -> int:
    """Fork and exec the code in the work dir, limited; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    try:
        os.chdir(work)
        lim = config["limits"]
        for kind, value in (
            (resource.RLIMIT_AS, lim["memory_mb"] * 1024 * 1024),
            (resource.RLIMIT_CPU, int(lim["timeout_s"]) + 2),
            (resource.RLIMIT_FSIZE, lim["file_mb"] * 1024 * 1024),
            (resource.RLIMIT_NPROC, lim["processes"]),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(kind, (value, value))
        drop_privileges()
        os.closerange(3, 1 << 16)  # the tar descriptors stay here
        os.execvpe(config["argv"][0], config["argv"], config["env"])
    except OSError as exc:
        print(f"sandbox: cannot run {config['argv'][0]}: {exc}", file=sys.stderr)
    os._exit(127)


def count() -> int:
    return sum(name.isdigit() for name in os.listdir("/proc"))


def kill_all() -> None:
    """SIGKILL to every process of the namespace but this one, and reap them."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def supervise(child: int, limit: int, timeout_s: float) -> int:
    """Reap until the code exits (killing all when over the process limit or, should the
    caller not have done it, long after the time limit); its exit status."""
    deadline = time.monotonic() + timeout_s + 5
    while True:
        while (reaped := os.waitpid(-1, os.WNOHANG))[0]:
            if reaped[0] == child:
                return os.waitstatus_to_exitcode(reaped[1])
        if count() > limit + 1 or time.monotonic() > deadline:
            print(f"sandbox: more than {limit} processes or past its time: all killed",
                  file=sys.stderr)  # fmt: skip
            kill_all()
            return 128 + signal.SIGKILL
        time.sleep(POLL_S)


def main() -> int:
    config = json.loads(sys.argv[1])
    try:
        work = build(config)
    except (OSError, tarfile.TarError) as exc:
        print(f"sandbox: cannot set up: {exc}", file=sys.stderr)
        return SETUP_FAILED
    if config.get("ready_fd") is not None:  # tell the caller the sandbox stands
        os.write(config["ready_fd"], b"1")
        os.close(config["ready_fd"])
    child = start(config, work)
    status = supervise(child, config["limits"]["processes"], config["limits"]["timeout_s"])
    kill_all()
    if config.get("out_fd") is not None:
        with os.fdopen(config["out_fd"], "wb") as f, tarfile.open(fileobj=f, mode="w|") as tar:
            tar.add(work, arcname=".")
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    sys.exit(main())
