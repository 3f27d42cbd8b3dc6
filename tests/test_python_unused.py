"""Imports an answer never uses are dropped, where that is certain (verify/python_unused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeassist import pipeline
from codeassist.backends.fake import FakeBackend
from codeassist.verify import Subject, autofix, run_checks
from codeassist.verify.python_unused import NAME, without_unused
from tests.helpers.cli import run_cli
from tests.scripted_endpoint import scripted_endpoint

PALINDROME = "def is_palindrome(s: str) -> bool:\n    return s == s[::-1]\n"


@pytest.mark.parametrize(
    ("code", "fixed"),
    [
        ("import ast\n\n" + PALINDROME, PALINDROME),
        ("import os, sys\n\nprint(sys.argv)\n", "import sys\n\nprint(sys.argv)\n"),
        (
            "from collections import (\n    OrderedDict,\n    defaultdict,\n)\n\n"
            "d = defaultdict(int)\n",
            "from collections import defaultdict\n\nd = defaultdict(int)\n",
        ),
        (
            "import numpy as np\nimport re\n\nprint(re.escape('a'))\n",
            "import re\n\nprint(re.escape('a'))\n",
        ),
        ('"""Tools."""\nimport json\n\n\n\nx = 1\n', '"""Tools."""\n\n\nx = 1\n'),
    ],
)  # fmt: skip
def test_imports_never_read_are_dropped(code: str, fixed: str) -> None:
    subject = Subject("python", code, request="write it")
    checks = run_checks(subject)
    assert [c.passed for c in checks if c.name == NAME] == [False]
    assert without_unused(subject) == autofix(subject, checks) == fixed


@pytest.mark.parametrize(
    ("code", "asked"),
    [
        ("import numpy as np\n\ndef f():\n    return 1\n", "a function, using numpy"),
        ("import os\nimport json\n", "the imports for a script"),
        ("import readline  # line editing for input()\nx = input()\n", "read a line"),
        ("import os; x = 1\n", "x"),
        ("from __future__ import annotations\n\nx = 1\n", "x"),
        ("from os.path import *\n\nx = 1\n", "x"),
        ("import typing\n\ndef f() -> 'typing.Any':\n    pass\n", "f"),
        ("import os.path\n\ndef f():\n    return os.getcwd()\n", "f"),
        ("import json\n\n__all__ = ['json']\n", "re-export json"),
        ("import sys\n\ntry:\n    import yaml\nexcept ImportError:\n    yaml = None\n", "x"),
    ],
)
def test_imports_that_may_be_meant_stay(code: str, asked: str) -> None:
    subject = Subject("python", code, request=asked)
    if "import sys" in code:  # only the top level is tidied: yaml in the try stays
        assert without_unused(subject) == code.replace("import sys\n\n", "")
        return
    assert [c.passed for c in run_checks(subject) if c.name == NAME] == [True]
    assert without_unused(subject) is None


def test_code_that_does_not_parse_reports_the_check_as_failed_with_the_others() -> None:
    checks = run_checks(Subject("python", "import os\ndef f(:\n", request="f"))
    assert [(c.name, c.passed) for c in checks][:3] == [
        ("python.parse", False), ("python.imports", False), (NAME, False),
    ]  # fmt: skip


def test_the_pipeline_shows_the_answer_without_the_copied_import() -> None:
    backend = FakeBackend.scripted(f"```python\nimport ast\n\n{PALINDROME}```")
    request = pipeline.Request("a palindrome test", language="python")
    result = pipeline.run(request, backend)
    assert result.code == PALINDROME.rstrip("\n")
    assert result.repairs == 0 and all(c.passed for c in result.checks if c.ran)
    assert result.fixed == [NAME]  # the code shown is not the model's: the result says so


def test_gen_prints_the_tidied_code_and_json_says_the_checks_passed(tmp_path: Path) -> None:
    reply = f"```python\nimport ast\nimport re\n\n{PALINDROME}\nprint(re.sub('a', 'b', 'a'))\n```"
    with scripted_endpoint(reply) as url:
        args = ("gen", "--endpoint", url, "--no-context", "--lang", "python", "palindromes")
        piped = run_cli(*args, cwd=tmp_path, timeout=60)
        as_json = run_cli(*args, "--json", cwd=tmp_path, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("import re\n\ndef is_palindrome") and "ast" not in piped.stdout
    found = json.loads(as_json.stdout)
    assert found["code"] == piped.stdout.rstrip("\n")
    assert {c["name"]: c["passed"] for c in found["checks"]}[NAME] is True
    # the code is not the model's: said on stderr and in the JSON
    assert f"fixed by the checks: the model's code failed {NAME}" in piped.stderr
    assert found["fixed"] == [NAME]
