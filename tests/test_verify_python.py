"""Python checks on known-good and known-bad snippets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codeassist.pipeline import repair
from codeassist.verify import Check, Subject, failed, run_checks
from codeassist.verify.python import find_examples

ADD = "def add(a, b):\n    return a + b\n"
WRONG_ADD = "def add(a, b):\n    return a - b\n"


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_good_code_passes_parse_and_imports() -> None:
    code = "import json, os.path\n" + ADD + "print(json.dumps(os.path.sep))\n"
    assert [(c.name, c.passed) for c in run_checks(Subject("python", code))] == [
        ("python.parse", True),
        ("python.imports", True),
        ("python.unused", True),
    ]


def test_a_syntax_error_fails_parse_and_what_depends_on_it() -> None:
    checks = by_name(run_checks(Subject("python", "def add(a, b)\n    return a + b\n")))
    assert not checks["python.parse"].passed
    assert checks["python.parse"].detail.startswith("line 1:")
    assert checks["python.imports"] == Check(
        "python.imports", False, "not run: the code does not parse"
    )


def test_a_module_that_does_not_exist_fails_imports() -> None:
    code = "import numpie\nfrom requestz.adapters import X\nimport sys\n"
    found = by_name(run_checks(Subject("python", code)))["python.imports"]
    assert found == Check("python.imports", False, "modules not found: numpie, requestz")


def test_modules_of_the_repository_count_as_existing(tmp_path: Path) -> None:
    (tmp_path / "mylib").mkdir()
    (tmp_path / "mylib" / "__init__.py").write_text("")
    (tmp_path / "helpers.py").write_text("")
    code = "import mylib\nfrom helpers import x\n"
    assert by_name(run_checks(Subject("python", code)))["python.imports"].passed is False
    assert by_name(run_checks(Subject("python", code, cwd=tmp_path)))["python.imports"].passed


def test_optional_imports_are_not_required() -> None:
    code = "try:\n    import ujsonx as json\nexcept ImportError:\n    import json\n"
    assert by_name(run_checks(Subject("python", code)))["python.imports"].passed


def test_examples_are_read_from_doctests_and_one_line_forms() -> None:
    request = """Write add(a, b).
    >>> add(1, 2)
    3
    add(2, 2) == 4
    add('a', 'b') ➞ 'ab'
    other(1) == 2
    """
    assert find_examples(request, {"add"}) == [
        ("add(1, 2)", "3"), ("add(2, 2)", "4"), ("add('a', 'b')", "'ab'")
    ]  # fmt: skip


def test_examples_in_the_request_run_against_the_code() -> None:
    request = "Write add.\n>>> add(1, 2)\n3\n>>> add(0.1, 0.2)\n0.3\n"
    good = by_name(run_checks(Subject("python", ADD, request=request)))["python.examples"]
    assert good == Check("python.examples", True, "2 examples pass")
    bad = by_name(run_checks(Subject("python", WRONG_ADD, request=request)))["python.examples"]
    assert not bad.passed
    assert "add(1, 2) returned -1, expected 3" in bad.detail


def test_examples_for_functions_the_code_does_not_define_are_ignored() -> None:
    checks = run_checks(Subject("python", ADD, request=">>> mul(2, 3)\n6\n"))
    assert "python.examples" not in by_name(checks)


def test_given_tests_run_in_the_sandbox() -> None:
    tests = "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n"
    assert by_name(run_checks(Subject("python", ADD, tests=tests)))["python.tests"].passed
    failed = by_name(run_checks(Subject("python", WRONG_ADD, tests=tests)))["python.tests"]
    assert not failed.passed
    assert "AssertionError" in failed.detail and "codeassist-sandbox" not in failed.detail


def test_examples_run_in_the_sandbox_where_writes_outside_its_work_dir_fail(tmp_path: Path) -> None:
    target = tmp_path / "written.txt"
    code = f"open({str(target)!r}, 'w').write('x')\nopen('here.txt', 'w').write('x')\n" + ADD
    checks = by_name(run_checks(Subject("python", code, request="add(1, 2) == 3")))
    assert not target.exists() and not (Path.cwd() / "here.txt").exists()
    assert not checks["python.examples"].passed  # the write raised: the module did not load


def test_without_a_sandbox_examples_and_tests_are_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEASSIST_SANDBOX", "off")
    target = tmp_path / "written.txt"
    code = f"open({str(target)!r}, 'w').write('x')\n" + ADD
    checks = run_checks(Subject("python", code, request="add(1, 2) == 3", tests="add(1, 2)"))
    assert checks[-2:] == [
        Check("python.examples", False, "not run: no sandbox here", ran=False),
        Check("python.tests", False, "not run: no sandbox here", ran=False),
    ]
    assert not target.exists()
    assert failed(checks) == [] and repair.score(checks) == 3  # neither failed nor passed


def test_a_solution_that_never_ends_times_out() -> None:
    code = "def add(a, b):\n    while True:\n        pass\n"
    subject = Subject("python", code, tests="add(1, 2)", timeout_s=1)
    assert by_name(run_checks(subject))["python.tests"] == Check(
        "python.tests", False, "timed out after 1 s"
    )


def test_code_under_a_main_guard_is_not_run_by_the_checks() -> None:
    code = ADD + "if __name__ == '__main__':\n    input('waiting for a user')\n"
    assert by_name(run_checks(Subject("python", code, tests="assert add(1, 1) == 2")))[
        "python.tests"
    ].passed


def test_imports_are_looked_up_in_the_users_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "import sqlglot\n"
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)  # codeassist's own venv has sqlglot
    assert by_name(run_checks(Subject("python", code)))["python.imports"].passed
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    monkeypatch.setenv("VIRTUAL_ENV", str(bare))  # a fresh venv has only the standard library
    found = by_name(run_checks(Subject("python", code)))["python.imports"]
    assert found == Check("python.imports", False, "modules not found: sqlglot")


def test_doctests_are_found_whatever_surrounds_them() -> None:
    request = '''Complete this:
```python
def find_zero(xs: list):
    """
    >>> round(find_zero([1, 2]), 2) # f(x) = 1 + 2x
    -0.5
    >>> find_zero(
    ...     [2, 4])
    -0.5
    """
```'''
    assert find_examples(request, {"find_zero"}) == [
        ("round(find_zero([1, 2]), 2) # f(x) = 1 + 2x", "-0.5"),
        ("find_zero(\n    [2, 4])", "-0.5"),
    ]


def test_examples_with_free_names_or_prose_values_are_skipped() -> None:
    request = "fib(n) == fib(n - 1) + fib(n - 2)\nfib(3) -> the third number\nfib(1) ==> true\n"
    assert find_examples(request, {"fib"}) == [("fib(1)", "True")]
