"""The fork server: `codeassist gen` handed to a warm process with everything imported.

A real `codeassist serve` on the small model starts the fork server; the installed
`codeassist` is run as the widget runs it. Whether a command went through a fork is seen
from the client's own imports (`-X importtime`): a forwarded one never imports the CLI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist import launch
from codeassist.errors import Exit
from codeassist.serve import forks as forks_module
from codeassist.serve import protocol
from tests.helpers import serving
from tests.helpers.cli import assert_clean_error, codeassist_exe
from tests.helpers.repos import git

pytestmark = pytest.mark.model
# A group of its own in the test's session: run where the test's own group is orphaned (its
# starter gone, as under `nohup … &`), a Ctrl-Z would be discarded by the kernel, not stop it.
ORPHAN_PROOF = 0


def forks_socket() -> Path:
    return protocol.runtime_dir() / launch.SOCKET_NAME


def wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        time.sleep(0.05)


def forks_pid() -> int:
    """The fork server's pid: the process listening on forks.sock (found through its lock)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            home = os.environ["CODEASSIST_HOME"].encode()
            if b"codeassist.serve.forks" in cmdline and b"CODEASSIST_HOME=" + home in environ:
                return int(entry.name)
    raise AssertionError("no fork server runs for this home")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def long_request(
    *before: str, output: int = subprocess.DEVNULL, tokens: int = 2000
) -> tuple[subprocess.Popen[str], int]:
    """A `gen` whose fork decodes for seconds, run under `before` (taskset, nice, ...): the
    client, and the pid of its fork."""
    server = forks_pid()
    client = subprocess.Popen(
        [*before, codeassist_exe(), "gen", "--lang", "python", "--max-tokens", str(tokens),
         "--no-verify", "a long python module of many classes"],
        stdout=output, stderr=output, text=True, process_group=ORPHAN_PROOF,
    )  # fmt: skip
    wait_for(lambda: children(server))
    (fork,) = children(server)
    return client, fork


@pytest.fixture
def forks(short_home: Path) -> Iterator[subprocess.Popen[str]]:
    """A model server and its fork server, both listening; stopped afterwards."""
    proc = serving.start()
    wait_for(lambda: protocol.alive(forks_socket()))
    yield proc
    proc.terminate()
    proc.communicate(timeout=30)


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """The installed `codeassist`, its imports listed on stderr (`-X importtime`)."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", codeassist_exe(), *args],
        env={**os.environ, **(env or {})}, cwd=cwd, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def forwarded(proc: subprocess.CompletedProcess[str]) -> bool:
    """Whether the command ran in a fork: the client imported no CLI (and, so that starting it
    stays cheap, nothing but the standard library and codeassist's launch and paths)."""
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}  # fmt: skip
    if "codeassist.cli" in imported:
        return False
    ours = {name for name in imported if name.split(".")[0] in ("codeassist", "platformdirs")}
    assert ours <= {"codeassist", "codeassist.launch", "codeassist.paths", "platformdirs",
                    *(n for n in ours if n.startswith("platformdirs."))}, ours  # fmt: skip
    assert not imported & {"typer", "click", "rich", "typing"}, imported
    return True


def without_imports(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(True) if not line.startswith("import time:"))


def test_gen_in_a_fork_answers_as_in_process(forks: subprocess.Popen[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Makefile").write_text("test:\n\tpytest\n")
    git(repo, "init", "-q")
    # no checks: the 135M model's answer is often comments alone, which shell.parse sends to
    # repair rounds that leave another prompt's state in the cache for the next run
    args = (
        "gen",
        "--lang",
        "shell",
        "--json",
        "--max-tokens",
        "24",
        "--no-verify",
        "run the tests",
    )
    in_process = {launch.IN_PROCESS: "1"}
    run(*args, cwd=repo, env=in_process)  # fills the caches the prompt is made from
    run(*args, cwd=repo, env=in_process)  # the prompt's KV state, as both below reuse it
    here = run(*args, cwd=repo, env=in_process)
    there = run(*args, cwd=repo)
    assert there.returncode == here.returncode == 0, there.stderr[-2000:]
    assert forwarded(there) and not forwarded(here)
    ours, theirs = json.loads(there.stdout), json.loads(here.stdout)
    for key in ("code", "language", "checks", "repairs", "prompt_tokens"):
        assert ours[key] == theirs[key]
    assert ours["prompt_tokens"]["evaluated"] == 1  # the same prompt: all but a token reused


def test_errors_exit_codes_cwd_and_environment_are_the_clients(
    forks: subprocess.Popen[str], tmp_path: Path
) -> None:
    (tmp_path / "here").mkdir()
    proc = run("gen", "--schema", "missing.sql", "count the users", cwd=tmp_path / "here")
    assert forwarded(proc)
    proc.stderr = without_imports(proc.stderr)
    assert_clean_error(proc, Exit.INPUT, "missing.sql")
    proc = run("gen", "--lang", "shell", "x", env={"CODEASSIST_MODEL": "no-such-model"})
    assert forwarded(proc)
    proc.stderr = without_imports(proc.stderr)
    assert_clean_error(proc, Exit.USAGE, "unknown model 'no-such-model'")


def test_a_deleted_working_directory_gets_the_clis_own_error(
    forks: subprocess.Popen[str], tmp_path: Path
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    proc = subprocess.run(
        ["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "$0" gen --lang shell x',
         codeassist_exe()],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert_clean_error(proc, Exit.INPUT, "the current directory no longer exists")


def test_ctrl_c_reaches_the_fork_and_ends_it(forks: subprocess.Popen[str]) -> None:
    client, fork = long_request(output=subprocess.PIPE)
    client.send_signal(signal.SIGINT)
    _, err = client.communicate(timeout=30)
    assert client.returncode == Exit.INTERRUPTED, err
    assert "Traceback" not in err
    wait_for(lambda: not Path(f"/proc/{fork}").exists(), timeout=10)


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_ctrl_z_stops_the_fork_with_the_client_and_fg_continues_both(
    forks: subprocess.Popen[str],
) -> None:
    client, fork = long_request()
    try:
        client.send_signal(signal.SIGTSTP)
        wait_for(lambda: state(client.pid) == "T" and state(fork) == "T", timeout=10)
        client.send_signal(signal.SIGCONT)
        wait_for(lambda: state(client.pid) != "T" and state(fork) != "T", timeout=10)
    finally:
        client.kill()
        client.wait(timeout=10)


def test_a_fork_server_killed_meanwhile_costs_the_command_nothing(
    forks: subprocess.Popen[str],
) -> None:
    server = forks_pid()
    client, fork = long_request(output=subprocess.PIPE, tokens=120)
    os.kill(server, signal.SIGKILL)
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    assert out.strip() and "stopped" not in err  # the fork's own answer, and its own status
    wait_for(lambda: not Path(f"/proc/{fork}").exists() or state(fork) == "Z")  # init reaps it


def test_a_fork_killed_with_its_fork_server_leaves_one_line_and_exit_70(
    forks: subprocess.Popen[str],
) -> None:
    server = forks_pid()
    client, fork = long_request(output=subprocess.PIPE)
    os.kill(server, signal.SIGKILL)
    os.kill(fork, signal.SIGKILL)
    _, err = client.communicate(timeout=60)
    assert client.returncode == launch.LOST
    assert (
        err == "codeassist: the command ended with no exit status (killed, and its fork "
        "server too)\n"
    )


def test_a_client_killed_outright_takes_its_fork_with_it(forks: subprocess.Popen[str]) -> None:
    client, fork = long_request()
    client.kill()
    client.wait(timeout=10)
    wait_for(lambda: not Path(f"/proc/{fork}").exists(), timeout=10)


def test_the_fork_takes_on_the_clients_cpus_niceness_and_limits(
    forks: subprocess.Popen[str],
) -> None:
    limited = ("taskset", "-c", "0", "nice", "-n", "7", "prlimit", "--nofile=100:200", "--core=0")
    client, fork = long_request(*limited)
    try:
        status = Path(f"/proc/{fork}/status").read_text()
        assert "Cpus_allowed_list:\t0\n" in status
        assert int(Path(f"/proc/{fork}/stat").read_text().rsplit(")", 1)[1].split()[16]) == 7
        limits = Path(f"/proc/{fork}/limits").read_text()
        assert re.search(r"Max open files +100 +200 ", limits), limits
        assert re.search(r"Max core file size +0 +0 ", limits), limits
    finally:
        client.kill()
        client.wait(timeout=10)


def on_a_terminal(command: str) -> str:
    """`command` run by sh on a pseudo-terminal (script(1)); what the terminal showed."""
    done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    return done.stdout


@pytest.mark.parametrize(
    ("setup", "args", "forked"),
    [
        ("", "gen --lang nope x", True),
        ("", "gen --run --lang nope x", False),  # it asks on the terminal, then runs there
        ("stty tostop;", "gen --lang nope x", False),  # the fork could not write there
        ("", "explain 'ls -l' </dev/null", True),
        ("", "explain 'ls -l'", False),  # `explain -` reads a terminal stdin
    ],
)
def test_what_may_need_the_terminal_runs_in_process(
    forks: subprocess.Popen[str], setup: str, args: str, forked: bool
) -> None:
    shown = on_a_terminal(f"{setup} {sys.executable} -X importtime {codeassist_exe()} {args}")
    assert "import time:" in shown
    assert ("codeassist.cli" not in shown) == forked, shown[-2000:]


def test_a_silent_connection_holds_up_no_request(forks: subprocess.Popen[str]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
        idle.connect(str(forks_socket()))
        proc = run("gen", "--lang", "nope", "x")
        assert forwarded(proc) and proc.returncode == Exit.USAGE
        with pytest.raises(BlockingIOError):  # still waiting for its request: not read, not shut
            idle.recv(1, socket.MSG_DONTWAIT)


def test_a_changed_install_runs_in_process_until_a_fork_server_of_the_new_code_runs(
    short_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import codeassist

    copy = tmp_path / "install"
    source = Path(codeassist.__file__).parent
    shutil.copytree(source, copy / "codeassist", ignore=shutil.ignore_patterns("__pycache__"))
    if (source.parent / "models").is_dir():  # a checkout's manifests (a wheel has its own)
        shutil.copytree(source.parent / "models", copy / "models")
    monkeypatch.setenv("PYTHONPATH", str(copy))  # the server, its fork server and the clients
    proc = serving.start()
    try:
        wait_for(lambda: protocol.alive(forks_socket()))
        assert forwarded(run("gen", "--lang", "nope", "x"))
        with (copy / "codeassist" / "errors.py").open("a") as edited:  # an upgrade, an edit
            edited.write("# changed\n")
        changed = run("gen", "--lang", "nope", "x")
        assert not forwarded(changed) and changed.returncode == Exit.USAGE
        wait_for(lambda: not forks_socket().exists(), timeout=10)  # the old one made way
        wait_for(lambda: protocol.alive(forks_socket()), timeout=60)  # and a new one came
        assert forwarded(run("gen", "--lang", "nope", "x"))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_another_install_is_refused_and_runs_in_process(
    forks: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launch, "install_token", lambda: "another checkout")
    assert launch.forwarded(["codeassist", "gen", "--lang", "nope", "x"]) is None
    assert protocol.alive(forks_socket())  # its own code is unchanged: it stays


def test_the_socket_is_private_and_goes_with_the_model_server(
    forks: subprocess.Popen[str],
) -> None:
    path = forks_socket()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    status = subprocess.run([codeassist_exe(), "serve", "--status"], capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert json.loads(status.stdout)["fork_server"] == str(path)
    doctor = subprocess.run([codeassist_exe(), "doctor", "--no-bench", "--json"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert json.loads(doctor.stdout)["checks"]["fork server"] == {"socket": str(path)}
    pid = forks_pid()
    forks.terminate()
    forks.communicate(timeout=30)
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=10)
    assert not path.exists()
    proc = run("gen", "--lang", "nope", "x")  # no fork server: in process, the same error
    assert not forwarded(proc) and proc.returncode == Exit.USAGE


def test_the_fork_server_imports_what_every_language_needs(tmp_path: Path) -> None:
    """A fork should import nothing of codeassist's: run gen for each language after the
    fork server's preload, against a scripted endpoint, and list what was imported late."""
    script = f"""
import sys
from codeassist.serve import forks
forks.preload()
before = set(sys.modules)
from tests.scripted_endpoint import scripted_endpoint
from codeassist import cli
replies = {{"shell": "```bash\\nls -la\\n```",
           "python": "```python\\ndef f():\\n    return 1\\n```",
           "sql": "```sql\\nSELECT name FROM users\\n```"}}
for lang, reply in replies.items():
    with scripted_endpoint(reply) as url:
        sys.argv = ["codeassist", "gen", "--endpoint", url, "--lang", lang, "a request"]
        if lang == "sql":
            sys.argv[2:2] = ["--db", {str(tmp_path / "db.sqlite")!r}]
        try:
            cli.main()
        except SystemExit:
            pass
print(sorted(m for m in set(sys.modules) - before if m.startswith("codeassist")), file=sys.stderr)
"""
    import sqlite3

    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def main():\n    return 0\n")
    git(repo, "init", "-q")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("\n") >= 3, proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr[-3000:]


@pytest.mark.parametrize(("status", "starts"), [(forks_module.CANNOT, 1), (1, 3)])
def test_a_fork_server_that_exits_is_started_again_unless_it_cannot_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, starts: int
) -> None:
    started = tmp_path / "started"
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\necho run >> {started}\nexit {status}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    monkeypatch.setattr(forks_module, "RESPAWN_S", 0.2)
    stopping = threading.Event()
    supervisor = threading.Thread(target=forks_module.supervise, args=(stopping,), daemon=True)
    supervisor.start()
    wait_for(lambda: started.exists() and len(started.read_text().split()) >= starts)
    time.sleep(0.5)
    stopping.set()
    supervisor.join(timeout=10)
    assert not supervisor.is_alive()
    count = len(started.read_text().split())
    assert count == 1 if status == forks_module.CANNOT else count >= starts


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to listen as another user")
def test_a_socket_another_user_serves_is_never_sent_the_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the temp-dir fallback is a folder anyone may have made first: its socket is not ours
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="theirs-", dir="/tmp"))  # reachable for nobody
    folder.chmod(0o777)
    path = folder / launch.SOCKET_NAME
    listen = ("import os, socket, sys, time; os.setuid(65534); s = socket.socket(socket.AF_UNIX);"
              f"s.bind({str(path)!r}); os.chmod({str(path)!r}, 0o777); s.listen();"
              "print('ready', flush=True); c, _ = s.accept(); c.settimeout(2);"
              "print('got', len(c.recv(99999)), flush=True)")  # fmt: skip
    theirs = subprocess.Popen([sys.executable, "-c", listen], stdout=subprocess.PIPE, text=True)
    try:
        assert theirs.stdout is not None and theirs.stdout.readline() == "ready\n"
        monkeypatch.setattr(launch, "socket_paths", lambda: [str(path)])
        assert launch.forwarded(["codeassist", "gen", "--lang", "nope", "x"]) is None
        out, _ = theirs.communicate(timeout=10)
        assert out == "got 0\n"  # connected, then left at once: not a byte of the request
    finally:
        theirs.kill()
        theirs.wait()
        shutil.rmtree(folder, ignore_errors=True)
