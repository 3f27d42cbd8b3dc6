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
