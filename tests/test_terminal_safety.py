"""Nothing from a model, a file or a database acts on the terminal: escapes shown, markup literal.

End to end through the installed `codeassist` on a real pseudo-terminal (so rich renders as
for a user) and piped, against a scripted OpenAI-compatible server on 127.0.0.1.
"""

from __future__ import annotations

import fcntl
import io
import os
import select
import sqlite3
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from rich.console import Console

from codeassist.backends.base import Backend
from codeassist.backends.fake import FakeBackend
from codeassist.commands._ui import ReplView
from codeassist.errors import ModelError
from codeassist.repl.session import Session
from codeassist.terminal import sanitize
from tests.helpers.cli import codeassist_exe, run_cli
from tests.scripted_endpoint import scripted_endpoint

OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # writes "pwned" to the clipboard
TITLE = "\x1b]0;pwned\x07"  # sets the window title
CLEAR = "\x1b[2J"  # clears the screen
CSI8 = "\x9b2J"  # the same, with the 8-bit CSI
ATTACKS = (OSC52, TITLE, CLEAR, CSI8)
RAW = [b"\x1b]52", b"\x1b]0;", b"\x1b[2J", "\x9b".encode()]  # what must never reach a terminal
REPLY = (
    f"```python\nprint('hello')  # {OSC52}{TITLE}{CLEAR}{CSI8}\nanswer = 42\n```\n"
    f"It prints hello.{TITLE}{CLEAR}{OSC52}"
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (OSC52, "\\x1b]52;c;cHduZWQ=\\x07"),
        (TITLE, "\\x1b]0;pwned\\x07"),
        (CLEAR, "\\x1b[2J"),
        (CSI8, "\\x9b2J"),
        ("\x9d0;t\x9c", "\\x9d0;t\\x9c"),  # 8-bit OSC ... ST
        ("\x1bP+q\x1b\\", "\\x1bP+q\\x1b\\"),  # DCS
        ("ok\rrm -rf /", "ok\\x0drm -rf /"),  # a lone CR would hide what came before
        ("a\bb\x00\x7f", "a\\x08b\\x00\\x7f"),
        ("x = 'user\u202e \u2066// admin\u2069'", "x = 'user\\u202e \\u2066// admin\\u2069'"),
        ("x\u200by\ufeff", "x\\u200by\\ufeff"),
        ("name\udcff.py", "name\\udcff.py"),  # an undecodable file name: unprintable raw
        ("plain text, tabs\tand\nnewlines\r\n", "plain text, tabs\tand\nnewlines\r\n"),
        ("héllo wörld 日本語 🙂 emoji\u200d🙂", "héllo wörld 日本語 🙂 emoji\u200d🙂"),
        ("[bold red]not markup[/x]", "[bold red]not markup[/x]"),
    ],
)
def test_the_sanitizer_makes_controls_visible_and_keeps_text(text: str, shown: str) -> None:
    assert sanitize(text) == shown
    assert sanitize(shown) == shown  # idempotent: sanitizing twice changes nothing more


def test_piped_text_keeps_its_bytes_but_no_escape_introducer() -> None:
    code = f"a\tb\rc\u202e{OSC52}{CSI8}\x07"
    assert sanitize(code, piped=True) == "a\tb\rc\u202e\\x1b]52;c;cHduZWQ=\x07\\x9b2J\x07"
    assert sanitize("print('\\x1b[1m')", piped=True) == "print('\\x1b[1m')"  # source escapes


def on_terminal(*args: str, cwd: Path | None = None, timeout: float = 60) -> tuple[bytes, int]:
    """Run `codeassist ARGS` with stdout and stderr on a pseudo-terminal; all it wrote, its code."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [codeassist_exe(), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
        cwd=cwd, env=env,
    )  # fmt: skip
    os.close(slave)
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([master], [], [], 1)[0]:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out, proc.wait(timeout=10)


def assert_clean(out: bytes) -> None:
    for raw in RAW:
        assert raw not in out, (raw, out)
    assert b"\x07" not in out  # no BEL: the OSC terminators were made visible too


def test_gen_on_a_terminal_shows_the_attack_and_runs_none_of_it() -> None:
    with scripted_endpoint(REPLY) as url:
        out, code = on_terminal("gen", "--endpoint", url, "--lang", "python", "--no-verify",
                                "--explain", "say hello")  # fmt: skip
    assert code == 0, out
    assert_clean(out)
    assert b"print" in out and b"\x1b[" in out  # the code is there, highlighted by rich
    assert b"\\x1b]52;c;cHduZWQ=" in out  # shown, not dropped
    assert b"It prints hello.\\x1b]0;pwned\\x07" in out  # the explanation too


def test_gen_piped_gives_the_code_without_a_raw_escape() -> None:
    with scripted_endpoint(REPLY) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "python", "--no-verify", "--explain",
                       "say hello")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\x9b" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith("print('hello')  # \\x1b]52;c;cHduZWQ=")
    assert proc.stdout.endswith("\nanswer = 42\n")
    assert "It prints hello.\\x1b]0;pwned\\x07" in proc.stderr


def test_a_piped_shell_command_has_no_bidi_or_control_character() -> None:
    """The widget reads `gen --lang shell` piped and puts it on the command line: a bidi
    override there shows one command and runs another ("Trojan Source")."""
    reply = "```bash\necho safe \u202e#\a\b\b ok\n```"
    with scripted_endpoint(reply) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "shell", "--no-verify",
                       "--no-context", "say safe")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "echo safe \\u202e#\\x07\\x08\\x08 ok\n"


def test_an_error_quoting_a_server_answer_is_sanitized() -> None:
    # A BackendError quotes what the server said; the error funnel prints it.
    with scripted_endpoint(f"overloaded{TITLE}[/x]", status=503) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "python", "x")
    assert proc.returncode == 4, proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr, proc.stderr
    assert "answered 503: overloaded\\x1b]0;pwned\\x07[/x]" in proc.stderr


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def evil_repo(tmp_path: Path) -> Path:
    """A git repository with a file whose name and contents hold escape sequences."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    name = f"a{TITLE}{CLEAR}.py"
    (repo / name).write_text(f"def greet_user(name):\n    return f'hi {{name}}'  # {OSC52}\n")
    (repo / "main.py").write_text("from a import greet_user\n\nprint(greet_user('x'))\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return repo


def test_context_on_a_terminal_shows_escaped_file_names(evil_repo: Path) -> None:
    out, code = on_terminal("context", "call greet_user", cwd=evil_repo)
    assert code == 0, out
    assert_clean(out)
    assert b"a\\x1b]0;pwned\\x07\\x1b[2J.py" in out  # the name, made visible


def test_context_piped_has_no_raw_escape(evil_repo: Path) -> None:
    proc = run_cli("context", "call greet_user", cwd=evil_repo)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    assert "a\\x1b]0;pwned\\x07\\x1b[2J.py" in proc.stdout and "greet_user" in proc.stdout


def markup_db(tmp_path: Path) -> Path:
    """A SQLite database whose only table is named like rich markup."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "[bold red]" (id INTEGER, "[/x]" TEXT)')
        conn.execute("""INSERT INTO "[bold red]" VALUES (1, '[/x]')""")
    conn.close()
    return path


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_a_check_detail_with_markup_is_printed_literally(tmp_path: Path, terminal: bool) -> None:
    db = markup_db(tmp_path)
    reply = '```sql\nSELECT * FROM "[/x]";\n```'  # no such table: the checks quote its name
    with scripted_endpoint(reply) as url:
        args = ("gen", "--endpoint", url, "--lang", "sql", "--db", str(db), "list everything")
        if terminal:
            out, code = on_terminal(*args)
            said = out.decode()
        else:
            proc = run_cli(*args)
            code, said = proc.returncode, proc.stderr
    assert code == 0, said  # the code is shown; a failed check is a note, not an error
    assert "Traceback" not in said and "MarkupError" not in said
    assert "no such table: [/x] (tables: [bold red])" in said


class Harness:
    """A REPL session on a (string) terminal with a scripted model."""

    def __init__(self, *replies: str) -> None:
        self.out = io.StringIO()
        self.backend = FakeBackend.scripted(*replies)
        self.session = Session(
            view=ReplView(Console(file=self.out, width=100, force_terminal=True)),
            ask=lambda question: "",
            open_backend=self.open,
            language="python",
        )

    def open(self, model: str | None) -> Backend:
        if model and model != "fake":
            raise ModelError(f"unknown model {model!r}", hint=f"try {model}")
        return self.backend


def test_the_repl_shows_model_output_escaped() -> None:
    harness = Harness(REPLY, REPLY)
    harness.session.handle("say hello")
    harness.session.handle("/explain")
    out = harness.out.getvalue()
    for attack in ATTACKS:
        assert attack not in out
    assert "print" in out and "\\x1b]52;c;cHduZWQ=" in out and "It prints hello." in out


def test_the_repl_prints_markup_in_errors_and_names_literally() -> None:
    harness = Harness("```python\nx = 1\n```")
    harness.session.handle(f"/model [bold red]m[/x]{TITLE}")
    harness.session.handle("/[/x]")
    out = harness.out.getvalue()
    assert "unknown model '[bold red]m[/x]\\x1b]0;pwned\\x07'" in out  # no MarkupError
    assert "unknown command /[/x]" in out
    assert TITLE not in out


def test_review_findings_show_escaped_paths(evil_repo: Path) -> None:
    name = f"b{TITLE}.py"
    (evil_repo / name).write_text(f"def f():\n    breakpoint()  # {CLEAR}\n    return 1\n")
    git(evil_repo, "add", name)
    proc = run_cli("review", "--no-model", cwd=evil_repo)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr, proc.stderr
    assert "b\\x1b]0;pwned\\x07.py:2:" in proc.stderr  # the finding, at its (escaped) path


def test_risk_and_doctor_echo_data_escaped(tmp_path: Path) -> None:
    risk = run_cli("risk", f"rm -rf /tmp/x{CLEAR}")
    assert risk.returncode == 0 and "\x1b" not in risk.stdout and "\\x1b[2J" in risk.stdout
    model = str(tmp_path / f"m{TITLE}.gguf")  # a model path holding an escape sequence
    doctor = run_cli("doctor", "--no-bench", env={"CODEASSIST_MODEL": model})
    said = doctor.stdout + doctor.stderr
    assert "\x1b" not in said and "\\x1b]0;pwned\\x07" in said, said


def test_the_hook_shows_paths_and_model_messages_escaped() -> None:
    from codeassist.review.findings import Finding, NotReviewed, Report
    from codeassist.review.hookrun import render_for_hook

    report = Report(
        findings=[Finding(f"a{TITLE}.py", 3, "warning", f"model says {CLEAR}[/x]", "model")],
        not_reviewed=[NotReviewed(f"b{OSC52}.py", "model: timed out")],
        notes=[f"model review: {CSI8}"],
    )
    shown = render_for_hook(report)
    for attack in ATTACKS:
        assert attack not in shown
    assert "a\\x1b]0;pwned\\x07.py:3: warning: model says \\x1b[2J[/x]" in shown
