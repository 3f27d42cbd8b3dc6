"""`codeassist --help` stays fast: no heavy module is imported on that path."""

import subprocess
import sys

HEAVY = ["llama_cpp", "tree_sitter", "git", "prompt_toolkit", "httpx", "rich", "numpy", "sqlglot"]


def test_cli_import_pulls_in_nothing_heavy() -> None:
    code = f"import sys, codeassist.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_the_commands() -> None:
    from typer.testing import CliRunner

    from codeassist.cli import app

    result = CliRunner().invoke(app, ["--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "gen" in result.output and "model" in result.output


def _gen_piped(reply: str) -> subprocess.CompletedProcess[str]:
    """`codeassist gen --lang shell` with stdout piped, as the shell widget runs it, against a
    real endpoint on 127.0.0.1; `-X importtime` lists on stderr every module it imported."""
    from tests.scripted_endpoint import scripted_endpoint

    with scripted_endpoint(reply) as url:
        argv = ["-X", "importtime", "-m", "codeassist", "gen", "--endpoint", url,
                "--no-context", "--lang", "shell", "list the files here"]  # fmt: skip
        return subprocess.run([sys.executable, *argv], capture_output=True, text=True)


def _imported(stderr: str) -> set[str]:
    lines = [line for line in stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def test_a_piped_answer_that_passes_every_check_imports_no_rich() -> None:
    # rich is tens of milliseconds of every widget request; it only prints the check notes
    proc = _gen_piped("```bash\nls -la\n```")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "ls -la\n"
    assert not {m for m in _imported(proc.stderr) if m.split(".")[0] == "rich"}
    # an answer that fails a check still gets its note on stderr
    proc = _gen_piped("```bash\nls --no-such-option-at-all\n```")
    assert proc.stdout == "ls --no-such-option-at-all\n"
    assert "check failed shell.flags" in proc.stderr
