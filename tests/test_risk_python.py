"""Python code's risk (codeassist/safety/python.py), through the CLI as a user meets it: `risk
--python`, and `gen --run` on a real OpenAI-compatible server on 127.0.0.1 that answers with
the code under test. The corpus (tests/data/risk_corpus.toml, `python`) holds the levels."""

from __future__ import annotations

import json
from pathlib import Path

from codeassist.errors import Exit
from codeassist.safety.risk import assess_python, assess_shell
from tests.helpers.cli import assert_clean_error, run_cli
from tests.scripted_endpoint import scripted_endpoint


def test_risk_reads_python_from_stdin_and_says_the_line_and_what_it_touches() -> None:
    code = "import os, shutil\n\nshutil.rmtree(os.path.expanduser('~/'))\n"
    proc = run_cli("risk", "--python", "--json", "-", input=code)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["level"] == "high"
    assert found["reasons"] == ["line 3, shutil.rmtree: recursively deletes your home directory"]
    assert found["touches"] == ["$HOME/"]


def test_risk_takes_one_language_at_a_time() -> None:
    proc = run_cli("risk", "--python", "--sql", "DROP TABLE t")
    assert_clean_error(proc, Exit.USAGE, "--sql and --python")


def test_gen_run_shows_the_python_risk_and_a_high_one_needs_yes(tmp_path: Path) -> None:
    # harmless if it ran (no repository here, so the push fails), high by what it would do
    reply = "```python\nimport subprocess\nsubprocess.run(['git', 'push', '--force'])\n```"
    with scripted_endpoint(reply) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "python", "--run", "push it",
                       input="y\n", cwd=tmp_path, timeout=60)  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # "y" is not "yes": not run
    assert "risk: high" in proc.stderr
    assert "line 2, subprocess.run: force-pushes" in proc.stderr
    assert "not run" in proc.stderr


def test_gen_run_runs_low_risk_python_once_asked(tmp_path: Path) -> None:
    reply = "```python\nfrom pathlib import Path\nPath('made.txt').write_text('hi')\n```"
    with scripted_endpoint(reply) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "python", "--run", "make a file",
                       input="y\n", cwd=tmp_path, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "risk: low" in proc.stderr  # it was "medium: python code is not risk-checked"
    assert (tmp_path / "made.txt").read_text() == "hi"


def test_a_value_known_only_at_run_time_is_judged_as_a_shell_variable() -> None:
    # the same rules, the same levels: `rm -rf "$VALUE"` is medium, `rm -rf "$VALUE"/*` high
    assert assess_python("import shutil\nshutil.rmtree(path)").level == "medium"
    assert assess_shell('rm -rf "$VALUE"').level == "medium"
    risky = "import os\nos.system(f'rm -rf {folder}/*')"
    assert assess_python(risky).level == assess_shell('rm -rf "$VALUE"/*').level == "high"


def test_imports_are_followed_to_the_function_they_name() -> None:
    assert assess_python("from os import system as s\ns('reboot')").level == "high"
    assert assess_python("import subprocess as sp\nsp.call('reboot', shell=True)").level == "high"
    assert assess_python("def s(x): pass\ns('reboot')").level == "low"  # a function of its own


def test_code_nested_past_the_parser_is_one_finding_not_a_traceback(tmp_path: Path) -> None:
    deep = "x = " + "-" * 100_000 + "1\n"  # CPython's parser raises MemoryError on this
    proc = run_cli("risk", "--python", "--json", "-", input=deep)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reasons"] == ["the code does not parse as Python: read it"]
    checked = run_cli("check", "--lang", "python", deep, cwd=tmp_path)
    assert "Traceback" not in checked.stderr
    assert "python.parse: the code is nested too deeply to parse" in checked.stdout
