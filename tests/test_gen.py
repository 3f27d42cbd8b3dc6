"""`codeassist gen` end to end: the installed entry point, the real llama.cpp backend."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codeassist.errors import Exit
from tests.helpers.cli import codeassist_exe, run_cli
from tests.scripted_endpoint import scripted_endpoint

pytestmark = pytest.mark.model

SMALL = ["--model", "smollm2-135m"]


def test_piped_output_is_bare_code(small_model: Path) -> None:
    request = ("gen", *SMALL, "--lang", "python", "a python function that reverses a string")
    piped = run_cli(*request)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip(), "no code"
    assert "```" not in piped.stdout and "\x1b[" not in piped.stdout
    as_json = json.loads(run_cli(*request, "--json").stdout)
    assert piped.stdout == as_json["code"] + "\n"  # the code and nothing else
    if any(c["name"] == "python.parse" and c["passed"] for c in as_json["checks"]):
        compile(piped.stdout, "<generated>", "exec")  # what the check passed does compile


def test_json_output_and_determinism(small_model: Path) -> None:
    runs = [
        run_cli("gen", *SMALL, "--json", "a python function that adds two numbers") for _ in "ab"
    ]
    first, second = (json.loads(r.stdout) for r in runs)
    assert set(first) >= {"language", "code", "explanation", "model", "timings"}
    assert first["language"] == "python" and first["model"] == "smollm2-135m"
    assert set(first["timings"]) == {"ttft_s", "total_s", "tokens"}
    assert first["timings"]["tokens"] > 0 and first["timings"]["ttft_s"] > 0
    assert first["code"] == second["code"]  # temperature 0 by default


def test_explanation_goes_to_stderr(small_model: Path) -> None:
    proc = run_cli("gen", *SMALL, "--explain", "--max-tokens", "120", "python: add two numbers")
    assert proc.returncode == 0
    assert proc.stdout.strip() and "```" not in proc.stdout
    explanation = json.loads(
        run_cli("gen", *SMALL, "--explain", "--max-tokens", "120", "--json",
                "python: add two numbers").stdout
    )["explanation"]  # fmt: skip
    for line in filter(str.strip, explanation.splitlines()):  # what the small model said, if any
        assert line.strip() in proc.stderr  # (its prose may quote the code: stdout not checked)


def test_explanation_is_on_stderr_and_only_the_code_on_stdout(tmp_path: Path) -> None:
    code = "def add(a, b):\n    return a + b"
    said = "It returns the sum of the two numbers."
    with scripted_endpoint(f"```python\n{code}\n```\n{said}") as url:
        proc = run_cli("gen", "--endpoint", url, "--explain", "--no-context", "--lang", "python",
                       "add two numbers", cwd=tmp_path, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert said in proc.stderr
    assert said not in proc.stdout and proc.stdout == code + "\n"


def test_local_generation_opens_no_network_connection(small_model: Path, tmp_path: Path) -> None:
    log = tmp_path / "connects.txt"
    script = f"""
import sys
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        with open({str(log)!r}, "a") as f:
            f.write(f"{{event}} {{args!r}}\\n")
sys.addaudithook(hook)
sys.argv = ["codeassist", "gen", "--model", "smollm2-135m", "python: add two numbers"]
from codeassist.cli import main
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert not log.exists(), log.read_text()


def _streaming_on_a_terminal() -> tuple[int, int, bytes]:
    """codeassist on a terminal streaming an answer: (pid, terminal fd, what it showed first),
    once it has shown a few bytes."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: codeassist on a terminal, streaming a long answer
        # Ctrl-C as at a prompt: a test run started with `&` ignores it, and so would the child
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        request = "write a long python module with many functions"
        argv = ["gen", *SMALL, "--max-tokens", "4000", "--explain", request]
        os.execv(codeassist_exe(), [codeassist_exe(), *argv])
    out = b""
    deadline = time.monotonic() + 60
    while len(out) < 40 and time.monotonic() < deadline:  # wait for the stream to start
        if select.select([fd], [], [], 1)[0]:
            out += os.read(fd, 4096)
    return pid, fd, out


def test_ctrl_c_while_streaming_exits_130_and_restores_the_terminal(small_model: Path) -> None:
    for _ in range(5):  # the small model's answer is short: on a busy machine it may be over
        pid, fd, out = _streaming_on_a_terminal()
        ended, status = os.waitpid(pid, os.WNOHANG)
        if not ended:
            break
        os.close(fd)
    else:
        pytest.fail("every answer ended before it could be interrupted")
    os.kill(pid, signal.SIGINT)
    while True:
        try:
            if not select.select([fd], [], [], 10)[0]:
                break
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == Exit.INTERRUPTED
    assert b"Traceback" not in out
    assert out.rfind(b"\x1b[?25h") > out.rfind(b"\x1b[?25l")  # the cursor is shown again


def test_run_asks_first_and_a_no_runs_nothing(small_model: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    request = "create an empty file named marker.txt"
    proc = run_cli("gen", *SMALL, "--lang", "shell", "--run", request, input="n\n", cwd=work)
    assert proc.returncode == 1, proc.stderr
    assert "Run it?" in proc.stderr or "yes" in proc.stderr  # the question is on stderr
    assert "not run" in proc.stderr
    assert "Run it?" not in proc.stdout  # stdout holds only the code
    assert list(work.iterdir()) == []


def test_run_without_a_terminal_answer_runs_nothing(small_model: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = run_cli("gen", *SMALL, "--lang", "shell", "--run", "create a file named marker.txt",
                   input="", cwd=work)  # fmt: skip
    assert proc.returncode == 1 and "not run" in proc.stderr
    assert list(work.iterdir()) == []


def test_a_shell_request_in_a_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))  # a Latin-1 name, outside git
    folder.mkdir()
    heard: list[dict[str, object]] = []
    with scripted_endpoint("```bash\nls\n```", heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "shell", "list files",
                       cwd=folder, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr  # was exit 2, "the input is not valid UTF-8"
    assert proc.stdout == "ls\n"
    messages = heard[0]["messages"]
    assert isinstance(messages, list)
    assert "/caf\\xe9 (where the command runs" in messages[-1]["content"]  # shown, escaped
