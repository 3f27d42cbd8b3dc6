"""The sandbox: a read-only file system, a tmpfs work dir, no network, limits, nothing left over."""

from __future__ import annotations

import os
import secrets
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.verify import sandbox

pytestmark = pytest.mark.skipif(
    sandbox.unavailable() is not None, reason=f"no sandbox here: {sandbox.unavailable()}"
)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real TCP server on 127.0.0.1 that accepts connections: the sandbox must not reach it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        yield server


def port(server: socket.socket) -> int:
    return int(server.getsockname()[1])


def nothing_arrived(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except TimeoutError:
        return True
    return False


def survivors(token: str) -> list[int]:
    """Host pids of processes whose command line holds the token."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token in (entry / "cmdline").read_text(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


CONNECT = """
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("127.0.0.1", {port}))
except OSError as exc:
    print("refused:", type(exc).__name__)
    sys.exit(3)
print("connected")
"""

CTYPES_CONNECT = """
import ctypes, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
addr = struct.pack("=HH4s8x", socket.AF_INET, socket.htons({port}), socket.inet_aton("127.0.0.1"))
if libc.connect(fd, addr, len(addr)) != 0:
    print("refused, errno", ctypes.get_errno())
    sys.exit(3)
print("connected")
"""


def test_the_listener_is_reachable_outside_the_sandbox(listener: socket.socket) -> None:
    socket.create_connection(("127.0.0.1", port(listener)), timeout=3).close()
    assert not nothing_arrived(listener)


def test_python_in_the_sandbox_cannot_reach_the_network(listener: socket.socket) -> None:
    outcome = sandbox.run_python(CONNECT.format(port=port(listener)))
    assert outcome.returncode == 3, outcome.stdout + outcome.stderr
    assert "refused" in outcome.stdout and nothing_arrived(listener)


def test_a_raw_connect_through_ctypes_does_not_arrive(listener: socket.socket) -> None:
    outcome = sandbox.run_python(CTYPES_CONNECT.format(port=port(listener)))
    assert outcome.returncode == 3, outcome.stdout + outcome.stderr
    assert nothing_arrived(listener)


def test_bash_dev_tcp_does_not_arrive(listener: socket.socket, tmp_path: Path) -> None:
    outcome = sandbox.run_shell(
        f"exec 3<>/dev/tcp/127.0.0.1/{port(listener)} && echo connected", workdir=tmp_path
    )
    assert outcome.returncode != 0 and "connected" not in outcome.stdout
    assert "unreachable" in outcome.stderr and nothing_arrived(listener)


WRITE = """
try:
    open({path!r}, "w").write("x")
    print("written")
except OSError as exc:
    print(type(exc).__name__, exc.strerror)
"""


@pytest.mark.parametrize("where", ["cwd", "home", "tmp", "tmp_path"])
def test_code_cannot_write_outside_its_work_dir(where: str, tmp_path: Path) -> None:
    name = f"codeassist-sandbox-test-{secrets.token_hex(4)}"
    target = {
        "cwd": Path.cwd() / name, "home": Path.home() / name, "tmp": Path("/tmp") / name,
        "tmp_path": tmp_path / name,
    }[where]  # fmt: skip
    try:
        outcome = sandbox.run_python(WRITE.format(path=str(target)))
        assert outcome.ok, outcome.stderr
        assert not target.exists()
        if where == "home":  # not hidden, only read-only
            assert "Read-only file system" in outcome.stdout
    finally:
        target.unlink(missing_ok=True)


def test_its_own_work_dir_is_writable_and_files_are_there() -> None:
    code = "import os, helper\nopen('out.txt', 'w').write('x')\nprint(os.getcwd(), helper.VALUE)"
    outcome = sandbox.run_python(code, files={"helper.py": "VALUE = 42"})
    assert outcome.ok, outcome.stderr
    cwd, value = outcome.stdout.split()
    assert value == "42" and cwd != os.getcwd() and not Path(cwd).exists()


def test_files_outside_can_be_read() -> None:
    """The root is read-only, not hidden: reading what the user can read is allowed."""
    here = Path(__file__).resolve()
    outcome = sandbox.run_python(f"print(open({str(here)!r}).readline())")
    assert outcome.ok and "The sandbox" in outcome.stdout


def test_the_file_system_cannot_be_made_writable_again(tmp_path: Path) -> None:
    outcome = sandbox.run_shell(
        "grep Cap /proc/self/status; mount -o remount,bind,rw /; ls /dev", workdir=tmp_path
    )
    caps = [line.split()[1] for line in outcome.stdout.splitlines() if line.startswith("Cap")]
    assert caps and set(caps) == {"0000000000000000"}
    assert "mount" in outcome.stderr and "denied" in outcome.stderr
    devices = "fd full null random shm stderr stdin stdout tty urandom zero".split()
    assert set(outcome.stdout.split()[len(caps) * 2 :]) <= set(devices)  # no disks, no terminals


def test_a_setsid_grandchild_dies_with_the_run() -> None:
    token = f"{secrets.randbelow(10**6) + 10**6}"
    code = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execvp('sleep', ['sleep', '30.{token}'])\n"
        "print('parent done')\n"
    )
    outcome = sandbox.run_python(code)
    assert outcome.ok and "parent done" in outcome.stdout
    time.sleep(0.2)
    assert survivors(f"30.{token}") == []


def test_it_is_killed_at_its_time_limit_with_its_children(tmp_path: Path) -> None:
    token = f"{secrets.randbelow(10**6) + 10**6}"
    started = time.perf_counter()
    outcome = sandbox.run_shell(
        f"setsid sleep 30.{token} & sleep 30.{token}", workdir=tmp_path,
        limits=sandbox.Limits(1.0),
    )  # fmt: skip
    assert outcome.timed_out and outcome.returncode is None and not outcome.ok
    assert time.perf_counter() - started < 10
    time.sleep(0.2)
    assert survivors(f"30.{token}") == []


def test_a_fork_bomb_is_contained_and_killed(tmp_path: Path) -> None:
    started = time.perf_counter()
    outcome = sandbox.run_shell(
        ":(){ :|:& };: ; sleep 20", workdir=tmp_path, limits=sandbox.Limits(timeout_s=10)
    )
    assert not outcome.ok and not outcome.timed_out
    assert time.perf_counter() - started < 10
    assert "more than 64 processes" in outcome.stderr


def test_an_endless_python_loop_is_stopped() -> None:
    outcome = sandbox.run_python("while True:\n    pass\n", limits=sandbox.Limits(timeout_s=1))
    assert outcome.timed_out
    assert outcome.duration_s < 5


def test_memory_is_capped() -> None:
    outcome = sandbox.run_python("x = bytearray(3 * 1024**3)", limits=sandbox.Limits(memory_mb=512))
    assert outcome.returncode != 0
    assert "MemoryError" in outcome.stderr


def test_output_is_capped(tmp_path: Path) -> None:
    outcome = sandbox.run_shell("yes | head -c 1000000", workdir=tmp_path)
    assert outcome.ok
    assert len(outcome.stdout) == sandbox.OUTPUT_LIMIT


def test_a_shell_runs_over_a_copy_of_its_workdir_and_the_tree_comes_back(tmp_path: Path) -> None:
    work, left = tmp_path / "work", tmp_path / "left"
    work.mkdir()
    (work / "a.txt").write_text("a\n")
    (work / "b.txt").write_text("b\n")
    command = (
        f"test $PWD = {work} && rm a.txt && chmod 700 b.txt && echo new > new.txt && "
        "mkdir -p d/e && ln -s b.txt link && ln -s /etc/passwd out && echo done"
    )
    outcome = sandbox.run_shell(command, workdir=work, result=left)
    assert outcome.ok and outcome.stdout == "done\n", outcome.stderr
    assert sorted(p.name for p in work.iterdir()) == ["a.txt", "b.txt"]  # untouched
    tree = sorted(str(p.relative_to(left)) for p in left.rglob("*"))
    assert tree == ["b.txt", "d", "d/e", "link", "new.txt"]  # the link out of it is left out
    assert stat.S_IMODE((left / "b.txt").stat().st_mode) == 0o700
    assert os.readlink(left / "link") == "b.txt" and (left / "new.txt").read_text() == "new\n"


def test_the_tree_that_comes_back_keeps_the_modes_of_its_folders(tmp_path: Path) -> None:
    work, left = tmp_path / "work", tmp_path / "left"
    (work / "kept").mkdir(parents=True)
    (work / "kept" / "f.txt").write_text("f\n")
    (work / "kept").chmod(0o700)
    command = "mkdir -p open/inner && chmod 751 open && chmod 700 open/inner && chmod 755 kept"
    outcome = sandbox.run_shell(command, workdir=work, result=left)
    assert outcome.ok, outcome.stderr
    assert stat.S_IMODE((left / "open").stat().st_mode) == 0o751
    assert stat.S_IMODE((left / "open" / "inner").stat().st_mode) == 0o700
    assert stat.S_IMODE((left / "kept").stat().st_mode) == 0o755
    assert (left / "kept" / "f.txt").read_text() == "f\n"


def test_turned_off_nothing_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODEASSIST_SANDBOX", "off")
    assert sandbox.unavailable() == "turned off by CODEASSIST_SANDBOX"
    with pytest.raises(sandbox.Unavailable) as caught:
        sandbox.run_python(WRITE.format(path=str(tmp_path / "x")))
    assert "no sandbox here" in caught.value.message and "user namespaces" in caught.value.hint
    assert not (tmp_path / "x").exists()


def test_an_interpreter_under_tmp_stays_visible_read_only(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = venv / "x"
    code = (
        "from codeassist.verify import sandbox\n"
        f"o = sandbox.run_python({WRITE.format(path=str(target))!r})\n"
        "print(o.returncode, o.stdout.strip())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert proc.stdout.strip() == "0 OSError Read-only file system", proc.stderr
    assert not target.exists()


@pytest.mark.parametrize("size", [0, 3, 4096, 200_000])  # none, a page at most, more
def test_stdin_reaches_the_run_whole_whatever_its_size(size: int) -> None:
    data = "".join(chr(97 + i % 26) for i in range(size))
    src = "import sys; d = sys.stdin.read(); print(len(d), d[:3], d[-3:])"
    out = sandbox.run_python(src, stdin=data)
    assert out.returncode == 0 and out.stdout.split() == [
        str(size),
        *([data[:3], data[-3:]] * bool(size)),
    ]


def test_a_run_that_never_reads_its_stdin_still_ends_and_is_timed_out_when_it_hangs() -> None:
    done = sandbox.run_python("print('no read')", stdin="x" * 4000)
    assert done.returncode == 0 and done.stdout == "no read\n"
    hung = sandbox.run_python("import time; time.sleep(30)", limits=sandbox.Limits(timeout_s=1))
    assert hung.timed_out and hung.duration_s < 5
