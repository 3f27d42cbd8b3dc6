"""`codeassist warm`: the stable messages of a directory, sent to the resident server.

Against a scripted server on a real Unix socket (what was sent, byte for byte, and each kind
of answer), and against a real `codeassist serve` on the small model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codeassist.errors import Exit
from codeassist.serve import protocol
from tests.helpers.cli import assert_clean_error, run_cli
from tests.helpers.scripted_server import OLD_SERVER, STATS, scripted_server

MODEL = "scripted-model"


@pytest.fixture
def short_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A CODEASSIST_HOME short enough for a Unix socket path (108 bytes)."""
    home = Path(tempfile.mkdtemp(prefix="ca-", dir="/tmp"))
    monkeypatch.setenv("CODEASSIST_HOME", str(home))
    monkeypatch.setenv("CODEASSIST_MODEL", MODEL)
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small git repository: Python code, a Makefile (shell tasks), a subfolder."""
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "shop.py").write_text(
        "def total(items):\n    return sum(i.price for i in items)\n\n\n"
        "def main():\n    print(total([]))\n"
    )
    (root / "Makefile").write_text("test:\n\tpytest -q\n\nlint:\n\truff check .\n")
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t",
                                               "commit", "-qm", "first"]):  # fmt: skip
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def warm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("warm", *args, cwd=cwd, timeout=60)


def test_no_server_is_nothing_to_do_at_once_and_silent_with_quiet(short_home: Path) -> None:
    started = time.monotonic()
    proc = warm("--quiet")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert time.monotonic() - started < 5, "no model, no context: a Python start and a stat"
    told = warm()
    assert told.returncode == 0 and told.stdout == ""
    assert told.stderr.splitlines() == [
        f"no server runs for {MODEL}: nothing to warm",
        "hint: start one with `codeassist serve --detach`; the shell widget then warms it by"
        " itself",
    ]
    assert json.loads(warm("--json").stdout)["skipped"] == "no_server"


def test_an_endpoint_is_nothing_to_do(short_home: Path) -> None:
    with scripted_server(protocol.socket_path(MODEL)) as server:
        proc = run_cli("warm", "--quiet", env={"CODEASSIST_ENDPOINT": "http://127.0.0.1:9"})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert server.ops("warm") == []


@pytest.mark.parametrize(("lang", "where"), [("shell", "src"), ("shell", "."), ("python", ".")])
def test_warm_sends_exactly_the_system_message_gen_starts_with(
    short_home: Path, repo: Path, lang: str, where: str
) -> None:
    cwd = repo / where
    with scripted_server(protocol.socket_path(MODEL)) as server:
        gen = run_cli("gen", "--lang", lang, "--", "list the files", cwd=cwd, timeout=120)
        assert gen.returncode == 0, gen.stderr
        proc = warm("--lang", lang, "--quiet", cwd=cwd)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    (sent,) = server.ops("warm")
    first = server.ops("generate")[0]
    assert sent["messages"][0] == first["messages"][0]
    stable = sent["messages"][0]["content"]
    if lang == "shell":  # and the user message up to the request's words
        head = sent["messages"][1]
        assert [m["role"] for m in sent["messages"]] == ["system", "user"]
        assert head["content"].endswith("\n\nRequest:") and "Git working tree" in head["content"]
        assert first["messages"][1]["content"].startswith(head["content"] + " list the files")
    else:
        assert [m["role"] for m in sent["messages"]] == ["system"]
    assert ("lint" in stable) if lang == "shell" else ("def total" in stable), stable


def test_outside_a_repository_the_fixed_text_is_warmed(short_home: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with scripted_server(protocol.socket_path(MODEL)) as server:
        run_cli("gen", "--lang", "shell", "--", "list the files", cwd=plain, timeout=120)
        proc = warm(cwd=plain)
    assert proc.returncode == 0, proc.stderr
    system, head = server.ops("warm")[0]["messages"]
    asked = server.ops("generate")[0]["messages"]
    assert system == asked[0]
    where = f"Working directory: {plain} (where the command runs; paths are relative to it)."
    assert head["content"] == f"{where}\n\nRequest:"
    assert asked[1]["content"].startswith(head["content"] + " list the files")
    assert proc.stdout == f"warmed 1234 tokens (812 reused) for {plain} (shell)\n"


def test_the_stats_come_back_as_a_line_or_json(short_home: Path, repo: Path) -> None:
    with scripted_server(protocol.socket_path(MODEL)):
        line = warm(cwd=repo / "src")
        as_json = warm("--json", "--lang", "python", cwd=repo)
    assert (line.returncode, line.stderr) == (0, "")
    assert line.stdout == f"warmed 1234 tokens (812 reused) for {repo} (shell)\n"
    assert json.loads(as_json.stdout) == {
        "warmed": True, "language": "python", "path": str(repo), "skipped": None, "stats": STATS,
    }  # fmt: skip


def test_an_older_server_without_the_op_is_nothing_to_do(short_home: Path, repo: Path) -> None:
    with scripted_server(protocol.socket_path(MODEL), OLD_SERVER) as server:
        quiet = warm("--quiet", cwd=repo)
        told = warm(cwd=repo)
    assert len(server.ops("warm")) == 2
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert (told.returncode, told.stdout) == (0, "")
    assert "cannot warm (an older codeassist): nothing to warm" in told.stderr
    assert "Traceback" not in told.stderr


def test_a_failing_server_is_exit_4_and_silent_with_quiet(short_home: Path, repo: Path) -> None:
    failing = {"error": "the model broke", "hint": "see the server's log"}
    with scripted_server(protocol.socket_path(MODEL), failing):
        quiet = warm("--quiet", cwd=repo)
        told = warm(cwd=repo)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (Exit.BACKEND, "", "")
    assert_clean_error(told, Exit.BACKEND, "the model broke")


def test_a_bad_language_is_a_usage_error_even_quietly(short_home: Path) -> None:
    quiet = warm("--lang", "go", "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (Exit.USAGE, "", "")
    assert_clean_error(warm("--lang", "go"), Exit.USAGE, "unknown language 'go'")


def test_a_database_for_another_language_is_a_usage_error(short_home: Path) -> None:
    assert_clean_error(warm("--db", "shop.db"), Exit.USAGE, "--db and --schema are for SQL")


def test_a_missing_database_is_one_clean_line_when_a_server_would_be_warmed(
    short_home: Path, tmp_path: Path
) -> None:
    with scripted_server(protocol.socket_path(MODEL)) as server:
        proc = warm("--lang", "sql", "--db", str(tmp_path / "absent.db"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) <= 2, proc.stderr
    assert server.requests == []  # nothing was sent
