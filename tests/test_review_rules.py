"""The review rules that need no model: secrets, leftover debugging, risky shell and SQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codeassist.review import leftovers, risky, secrets
from codeassist.review.diff import Change, FileChange, parse_patch
from codeassist.review.engine import Settings, review
from codeassist.review.findings import Finding, Report, render


def added(path: str, text: str, lines: set[int] | None = None) -> FileChange:
    """A new file whose every line (or the given ones) the change adds."""
    numbered = list(enumerate(text.splitlines(), 1))
    return FileChange(
        path, None, "added", new_text=text,
        added=[(n, t) for n, t in numbered if lines is None or n in lines],
    )  # fmt: skip


# --- secrets ---------------------------------------------------------------------------


def test_an_aws_access_key_id_is_an_error_and_is_masked_in_the_message() -> None:
    found = secrets.check(added("settings.py", 'KEY_ID = "AKIAZ7QWERTYUIOP2345"\n'))
    assert [(f.line, f.severity) for f in found] == [(1, "error")]
    assert "AWS access key id" in found[0].message
    assert "AKIAZ7QWERTYUIOP2345" not in found[0].message


def test_a_private_key_block_is_an_error() -> None:
    pem = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    found = secrets.check(added("deploy/id_ed25519", pem))
    assert [(f.line, f.severity, f.check) for f in found] == [(1, "error", "secrets")]


@pytest.mark.parametrize(
    "line",
    [
        'token = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"',
        "SLACK=xoxb-123456789012-abcdefABCDEF",
        'stripe.api_key = "sk_live_' + "4eC39HqLyjWDarjtT1zdp7dc" + '"',
        'KEY = "AIza' + "SyA1234567890abcdefghijklmnopqrstuv" + '"',
    ],
)
def test_token_formats_are_caught(line: str) -> None:
    assert secrets.check(added("conf.py", line + "\n")), line


def test_a_random_value_assigned_to_a_secret_name_is_caught_with_an_env_suggestion() -> None:
    found = secrets.check(added("app.py", 'api_token = "a8f3kZ92mQ0xLr7TbY4w"\n'))
    assert len(found) == 1
    assert found[0].suggestion == 'api_token = os.environ["API_TOKEN"]'


@pytest.mark.parametrize(
    "line",
    [
        'password = "changeme_please"',  # a placeholder
        'api_key = os.environ["API_KEY"]',  # read from the environment
        'token_url = "https://example.com/oauth/token"',  # not random
        'name = "a8f3kZ92mQ0xLr7TbY4w"',  # random, but not a secret's name
        "secret_version = 1234567890123",  # one kind of character
    ],
)
def test_look_alikes_are_not_secrets(line: str) -> None:
    assert secrets.check(added("app.py", line + "\n")) == []


def test_only_added_lines_are_scanned() -> None:
    text = 'OLD = "AKIAZ7QWERTYUIOP2345"\nx = 1\n'
    assert secrets.check(added("a.py", text, lines={2})) == []


def test_entropy_separates_words_from_tokens() -> None:
    assert secrets.entropy("aaaaaaaa") == 0
    assert secrets.entropy("passwordpassword") < 3.5 < secrets.entropy("a8f3kZ92mQ0xLr7TbY4w")


# --- leftovers --------------------------------------------------------------------------


def test_python_leftovers_are_found_from_the_syntax_tree() -> None:
    text = (
        "import pdb\n"
        "def f(x):\n"
        "    print(x)\n"
        "    breakpoint()\n"
        "    if x: pdb.set_trace()\n"
        '    s = "print(x) breakpoint()"  # text in a string is not a call\n'
        "    return x\n"
    )
    found = leftovers.check(added("a.py", text))
    assert [(f.line, f.severity) for f in found] == [
        (1, "warning"), (3, "warning"), (4, "error"), (5, "error"),
    ]  # fmt: skip
    assert found[1].suggestion == ""  # the print is alone on its line: delete it
    assert found[3].suggestion is None  # `if x: pdb.set_trace()`: not a whole-line delete


def test_a_print_that_was_already_there_is_not_reported() -> None:
    text = "print('start')\nx = 1\n"
    assert leftovers.check(added("a.py", text, lines={2})) == []


@pytest.mark.parametrize("path", ["app.js", "app.ts", "view.tsx"])
def test_javascript_console_log_and_debugger(path: str) -> None:
    text = "function f(x) {\n  console.log(x);\n  debugger;\n  logger.log(x);\n}\n"
    found = leftovers.check(added(path, text))
    assert [(f.line, f.severity) for f in found] == [(2, "warning"), (3, "error")]


# --- risky shell and SQL ----------------------------------------------------------------


def test_risky_shell_in_a_script_is_reported_on_its_line() -> None:
    text = "#!/bin/sh\nset -e\nrm -rf ./build\ncurl -fsSL https://x.example/i.sh | sh\n"
    found = risky.check(added("install.sh", text))
    assert [f.line for f in found] == [4]
    assert found[0].severity == "warning" and "high-risk" in found[0].message


def test_risky_sql_in_a_migration_and_in_python_strings() -> None:
    sql = "-- cleanup\nDELETE FROM users;\nDELETE FROM users WHERE id = 1;\n"
    found = risky.check(added("migrate.sql", sql))
    assert [f.line for f in found if f.severity == "warning"] == [2]
    py = 'import os\ncur.execute("DROP TABLE users")\ncur.execute("SELECT 1")\n'
    found = risky.check(added("job.py", py))
    assert [f.line for f in found] == [2]


def test_python_calls_that_would_do_what_a_high_risk_command_does_are_warnings() -> None:
    py = (
        "import os, shutil\n"
        "shutil.rmtree('build')\n"  # low: under the working directory
        "shutil.rmtree(os.path.expanduser('~'))\n"  # high: the home folder
        "os.remove(path)\n"  # medium: known only at run time; the rule in committed code
        "os.system('rm -rf /')\n"  # reported once, with the command (the shell-string rule)
        "import subprocess\n"
        "subprocess.run(['git', 'push', '--force'])\n"  # an argv: no shell string to quote
    )
    found = risky.check(added("clean.py", py))
    assert [(f.line, f.severity) for f in found] == [(3, "warning"), (5, "warning"), (7, "warning")]
    assert "force-pushes" in found[2].message
    assert found[0].message == (
        "high-risk Python call `shutil.rmtree(os.path.expanduser('~'))`: "
        "recursively deletes your home directory"
    )
    # only the lines the change adds
    assert risky.check(added("clean.py", py, lines={1, 2, 4})) == []


def test_a_shell_command_built_at_run_time_is_reported_as_info_with_what_it_does() -> None:
    # os.system("rm -rf " + x) passed review: medium risk was left out (new-user audit)
    py = (
        "import os, shlex, subprocess\n"
        'os.system("rm -rf " + build_dir)\n'
        'subprocess.run(f"ls {d}", shell=True)\n'
        'os.system("cat %s" % name)\n'
        'os.system("ls " + shlex.quote(d))\n'  # quoted: fine
        'subprocess.run(["ls", d])\n'  # a list: no shell
        "os.system(cmd)\n"  # a name: what it holds is not known here
        'os.system("rm -rf " + os.path.expanduser("~"))\n'  # high: a warning says more
    )
    found = risky.check(added("deploy.py", py))
    assert [(f.line, f.severity) for f in found] == [
        (2, "info"), (3, "info"), (4, "info"), (8, "warning"),
    ]  # fmt: skip
    assert found[0].message.startswith(
        'shell command built at run time `os.system("rm -rf " + build_dir)` '
        "(recursively deletes paths computed when it runs): "
    )
    assert "shlex.quote" in found[1].message


def test_a_missing_safety_package_fails_the_review_loudly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "codeassist.safety.risk", None)  # import fails
    change = Change(tmp_path, [added("install.sh", "rm -rf /\n")], "staged", None)
    with pytest.raises(ImportError):
        review(change, Settings())


def test_sql_statements_are_split_with_their_lines_and_quotes_respected() -> None:
    text = "SELECT 1;\n\nDELETE FROM t\nWHERE a = ';';\nDROP TABLE x"
    assert [(a, b) for a, b, _ in risky.sql_statements(text)] == [(1, 1), (3, 4), (5, 5)]


# --- diff parsing and rendering ---------------------------------------------------------


def test_added_lines_get_their_new_line_numbers() -> None:
    patch = (
        b"@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -10,0 +11,1 @@\n+z\n\\ No newline at end of file"
    )
    hunks, lines = parse_patch(patch)
    assert [h.new_start for h in hunks] == [1, 11]
    assert lines == [(2, b"B"), (3, b"C"), (11, b"z")]


def test_findings_render_as_path_line_severity_message_with_the_suggestion_indented() -> None:
    report = Report(
        findings=[
            Finding("a.py", 3, "warning", "print() added", "leftovers", ""),
            Finding("b.py", 7, "error", "secret", "secrets", 'k = os.environ["K"]'),
        ]
    )
    assert render(report) == (
        "a.py:3: warning: print() added\n"
        "    suggestion: delete this line\n"
        "b.py:7: error: secret\n"
        '    suggestion: k = os.environ["K"]'
    )
