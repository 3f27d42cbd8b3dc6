"""`codeassist explain`: each part of a command, from the man pages and --help installed here."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from codeassist.backends.fake import FakeBackend
from codeassist.commands._ui import ReplView
from codeassist.repl.session import Session
from codeassist.shell.explain import Part, explain
from tests.helpers.cli import run_cli
from tests.helpers.programs import fake_program
from tests.scripted_endpoint import scripted_server


def help_of(program: str) -> str:
    return subprocess.run([program, "--help"], capture_output=True, text=True).stdout


def parts(command: str) -> list[tuple[str, str]]:
    return [(p.text, p.kind) for p in explain(command).parts]


def by_text(command: str) -> dict[str, Part]:
    return {p.text: p for p in explain(command).parts}


def test_a_pipeline_of_programs_options_and_a_glob() -> None:
    assert parts("du -sh * | sort -h") == [
        ("du", "program"), ("-sh", "option"), ("*", "argument"),
        ("|", "operator"), ("sort", "program"), ("-h", "option"),
    ]  # fmt: skip
    found = by_text("du -sh * | sort -h")
    assert found["du"].source == "man du" and found["du"].doc
    assert found["-sh"].source == "du --help"
    summarize = found["-sh"].doc.split("; ")[0].removeprefix("-s: ")
    assert summarize and summarize in " ".join(help_of("du").split())  # du's own words
    assert "expands" in found["*"].doc and found["|"].source == "shell syntax"


def test_wrappers_keep_their_own_options_and_values() -> None:
    found = explain("sudo -u www-data ls -la /tmp")
    assert [(p.text, p.kind) for p in found.parts] == [
        ("sudo", "program"), ("-u", "option"), ("www-data", "argument"),
        ("ls", "program"), ("-la", "option"), ("/tmp", "argument"),
    ]  # fmt: skip
    texts = {p.text: p for p in found.parts}
    assert texts["www-data"].doc == "the value of -u"
    assert texts["ls"].source == "man ls"
    assert "-l: use a long listing format" in texts["-la"].doc
    assert found.risk.level == "medium" and any("sudo" in r for r in found.risk.reasons)


def test_find_values_exec_and_the_risk_show() -> None:
    found = explain("find . -name '*.py' -mtime -1 -exec rm {} +")
    texts = {p.text: p for p in found.parts}
    assert texts["-1"].kind == "argument" and texts["-1"].doc == "the value of -mtime"
    assert texts["'*.py'"].doc == "the value of -name"
    assert texts["rm"].kind == "program" and texts["rm"].source == "man rm"
    assert texts["-mtime"].source == "man find" and texts["-mtime"].doc
    assert texts["+"].doc.startswith("ends -exec")
    assert found.risk.reasons and "." in found.risk.touches


def test_redirections_are_explained_and_what_they_touch() -> None:
    found = explain("tar -xzf a.tgz > out.txt 2>&1")
    texts = {p.text: p for p in found.parts}
    assert texts["-xzf"].doc.startswith("-x: extract files from an archive")
    assert texts["a.tgz"].doc == "the value of -f"
    assert texts["> out.txt"].kind == "redirect" and "out.txt" in texts["> out.txt"].doc
    assert texts["2>&1"].doc == "sends standard error to where standard output goes"
    assert found.risk.touches == ("out.txt",)


def test_sh_c_scripts_and_undocumented_options_are_explained() -> None:
    found = explain("bash -c 'ls --frobnicate'")
    inner = [p for p in found.parts if p.depth == 1]
    assert [(p.text, p.kind) for p in inner] == [("ls", "program"), ("--frobnicate", "option")]
    assert inner[1].doc == "ls does not document --frobnicate"


def test_json_has_the_documented_shape() -> None:
    proc = run_cli("explain", "--json", "du -sh * | sort -h > sizes.txt")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"command", "parts", "risk"}
    assert set(data["risk"]) == {"level", "reasons", "touches"}
    for part in data["parts"]:
        assert set(part) == {"text", "kind", "doc", "source"}
        assert part["kind"] in ("program", "option", "argument", "redirect", "operator")
    assert [p["kind"] for p in data["parts"]][-1] == "redirect"


def test_the_table_shows_parts_sources_and_risk() -> None:
    proc = run_cli("explain", "rm -rf build && ls")
    assert proc.returncode == 0, proc.stderr
    assert "man rm" in proc.stdout and "rm --help" in proc.stdout and "&&" in proc.stdout
    assert "risk: low\n  - recursively deletes files" in proc.stdout
    assert "touches: build" in proc.stdout


def test_empty_input_is_a_usage_error() -> None:
    proc = run_cli("explain", "  ")
    assert proc.returncode == 2 and "nothing to explain" in proc.stderr and "hint:" in proc.stderr


def test_documentation_reaches_the_terminal_sanitized(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_program(
        bin_dir, "evil", 'case "$1" in --help) printf "  -x   \\033]0;pwned\\007 x\\n";; esac\n'
    )
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = run_cli("explain", "evil -x", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\\x1b]0;pwned" in proc.stdout


def test_summary_asks_the_model_with_the_documented_parts_only() -> None:
    with scripted_server("It shows disk usage per entry, largest last.") as server:
        proc = run_cli("explain", "--summary", "--endpoint", server.url, "du -sh * | sort -h")
    assert proc.returncode == 0, proc.stderr
    assert "summary: It shows disk usage per entry, largest last." in proc.stdout
    (request,) = server.requests
    asked = request["messages"][-1]["content"]
    assert "du -sh * | sort -h" in asked and "display only a total for each argument" in asked


def test_without_summary_no_model_is_asked() -> None:
    with scripted_server("never") as server:
        proc = run_cli("explain", "--endpoint", server.url, "ls -la")
    assert proc.returncode == 0 and server.requests == []


@pytest.mark.parametrize("line", ["/explain df -h /tmp", "/explain"])
def test_repl_explain_uses_the_docs_for_shell(line: str) -> None:
    out = io.StringIO()
    backend = FakeBackend.scripted("```bash\ndf -h /tmp\n```")
    view = ReplView(Console(file=out, width=120, color_system=None))
    session = Session(view=view, ask=input, open_backend=lambda _: backend)
    if line == "/explain":
        session.handle("free space here")
    session.handle(line)
    assert "man df" in out.getvalue() and "risk: low" in out.getvalue()
    assert len(backend.history) == (1 if line == "/explain" else 0)  # the model is not asked
