"""Python checks: it parses, its imports exist, the request's examples and given tests pass.

Examples are taken from the request text: doctest lines (`>>> f(1)` then `2`) and one-line
forms such as `f(1) == 2` or `f(1) ➞ 2`, for functions the code defines. They and the tests run
in the sandbox, never in this process; where there is no sandbox they are not run at all.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from codeassist import syntax
from codeassist.verify import Check, Subject, python_unused, sandbox
from codeassist.verify.risk import risk_check

MAX_EXAMPLES = 20
NOT_RUN = "not run: no sandbox here"
_MARK = "@@codeassist-result@@ "
_ARROW = re.compile(
    r"^\s*(?:[*\-•]\s*|for\s+|>>>\s*)?([A-Za-z_]\w*\(.*\))\s*(?:#\s*)?"
    r"(?:==>|==|=>|->|➞|→|=|returns|should return)\s*(.+?)\s*[.,;]?\s*$"
)
_PROMPT = re.compile(r"^\s*>>> ?(.*)$")
_MORE = re.compile(r"^\s*\.\.\. ?(.*)$")
_BUILTINS = frozenset(dir(builtins))
_FIND_SPECS = (
    "import importlib.util, sys\n"
    "for n in sys.argv[1:]:\n"
    "    try:\n"
    "        found = importlib.util.find_spec(n) is not None\n"
    "    except (ImportError, ValueError):\n"
    "        found = False\n"
    "    if not found:\n"
    "        print(n)\n"
)

# Imports the solution module's names (private ones too) into the running script.
_PRELUDE = (
    "import solution as _codeassist_solution\n"
    "globals().update({k: v for k, v in vars(_codeassist_solution).items()"
    " if not k.startswith('__')})\n"
)

_HARNESS = """
import json as _json, math as _math
def _same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return _math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
        except TypeError:
            return False
    if isinstance(a, (list, tuple)) and type(a) is type(b) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b))
    return a == b
_fails = []
for _src, _want in _EXAMPLES:
    try:
        _got = eval(_src)
    except Exception as _e:
        _fails.append(f"{_src} raised {type(_e).__name__}: {_e}")
        continue
    try:
        _ok = _same(_got, eval(_want))
    except Exception:
        _ok = repr(_got) == _want or str(_got) == _want
    if not _ok:
        _fails.append(f"{_src} returned {_got!r}, expected {_want}")
print(MARK + _json.dumps(_fails))
"""


def check(subject: Subject) -> list[Check]:
    try:
        tree = syntax.parse_python(subject.code)
    except SyntaxError as exc:
        detail = f"line {exc.lineno}: {exc.msg}" if exc.lineno else exc.msg
        checks = [Check("python.parse", False, detail)]
        reason = "not run: the code does not parse"
        checks += [Check(name, False, reason) for name in _dependent_names(subject)]
        return checks
    checks = [Check("python.parse", True, "")]
    missing = missing_imports(tree, subject.cwd)
    checks.append(
        Check(
            "python.imports",
            not missing,
            f"modules not found: {', '.join(missing)}" if missing else "",
        )
    )
    checks.append(python_unused.check(subject, tree))
    checks.extend(c for c in [risk_check(subject.code, "python")] if c)
    examples = find_examples(subject.request, defined_names(tree))
    if examples:
        checks.append(run_examples(subject.code, examples, subject.timeout_s))
    if subject.tests.strip():
        checks.append(run_tests(subject.code, subject.tests, subject.timeout_s))
    return checks


def _dependent_names(subject: Subject) -> list[str]:
    names = ["python.imports", python_unused.NAME]
    if find_examples(subject.request, None):
        names.append("python.examples")
    if subject.tests.strip():
        names.append("python.tests")
    return names


def defined_names(tree: ast.Module) -> set[str]:
    """Functions and classes defined at the top level."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


def _guarded(tree: ast.Module) -> set[int]:
    """ids of import nodes inside `try: … except ImportError` (optional imports)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        names = {
            n.id
            for h in node.handlers
            for n in ast.walk(h.type or ast.Name("Exception"))
            if isinstance(n, ast.Name)
        }
        if names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}:
            guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return guarded


def missing_imports(tree: ast.Module, root: Path | None) -> list[str]:
    """Top-level modules imported (outside optional-import guards) that cannot be found."""
    guarded = _guarded(tree)
    wanted: list[str] = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            wanted += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            wanted.append(node.module.split(".")[0])
    candidates = [
        name
        for name in dict.fromkeys(wanted)
        if name != "__future__" and not in_repository(name, root)
    ]
    return not_installed(candidates)


def in_repository(name: str, root: Path | None) -> bool:
    if root is None:
        return False
    return any(
        (base / f"{name}.py").is_file() or (base / name).is_dir() for base in (root, root / "src")
    )


def user_python() -> str:
    """The interpreter the user's code will run with: the active virtualenv's, else python3."""
    venv = os.environ.get("VIRTUAL_ENV")
    if venv and (Path(venv) / "bin" / "python").exists():
        return str(Path(venv) / "bin" / "python")
    return shutil.which("python3") or sys.executable


def not_installed(names: list[str]) -> list[str]:
    """The top-level modules the user's Python cannot find (asked of it, in a subprocess)."""
    names = [n for n in names if n not in sys.stdlib_module_names]
    if not names:
        return []
    try:
        proc = subprocess.run(
            [user_python(), "-I", "-c", _FIND_SPECS, *names],
            capture_output=True, text=True, timeout=20, check=True,
        )  # fmt: skip
        return [n for n in proc.stdout.split() if n in names]
    except (OSError, subprocess.SubprocessError):  # no usable interpreter: ask this one
        return [n for n in names if not module_exists(n)]


def module_exists(name: str) -> bool:
    """Importable by this interpreter (standard library or installed)."""
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _usable(source: str, names: set[str] | None) -> bool:
    """An expression that calls one of `names` with nothing but literals and builtins."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return False
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    if names is None:
        return bool(called)
    return bool(called & names) and used <= names | _BUILTINS


def _literal(text: str) -> str | None:
    """The expected value as a Python literal (JSON-ish true/false/null accepted), else None."""
    text = {"true": "True", "false": "False", "null": "None"}.get(text, text)
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return text


def doctest_pairs(text: str) -> list[tuple[str, str]]:
    """(source, first line of expected output) of each `>>>` example, however it is indented."""
    lines = text.splitlines()
    pairs = []
    for i, line in enumerate(lines):
        m = _PROMPT.match(line)
        if m is None:
            continue
        source, j = m.group(1), i + 1
        while j < len(lines) and (more := _MORE.match(lines[j])):
            source, j = source + "\n" + more.group(1), j + 1
        want = lines[j].strip() if j < len(lines) else ""
        if want and not _PROMPT.match(lines[j]):
            pairs.append((source.strip(), want))
    return pairs


def find_examples(request: str, names: set[str] | None) -> list[tuple[str, str]]:
    """(call, expected) pairs from the request, for the given function names (None: any)."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for src, text in doctest_pairs(request):
        want = _literal(text)
        if want is not None and _usable(src, names):
            found.append((src, want))
            seen.add(src)
    for line in request.splitlines():
        m = _ARROW.match(line)
        if m is None or m.group(1) in seen or not _usable(m.group(1), names):
            continue
        want = _literal(m.group(2).strip())
        if want is not None:
            found.append((m.group(1), want))
            seen.add(m.group(1))
    return found[:MAX_EXAMPLES]


def run_examples(code: str, examples: list[tuple[str, str]], timeout_s: float) -> Check:
    script = _PRELUDE + f"MARK = {_MARK!r}\n_EXAMPLES = {examples!r}\n" + _HARNESS
    if (outcome := _run(code, script, timeout_s)) is None:
        return Check("python.examples", False, NOT_RUN, ran=False)
    if outcome.timed_out:
        return Check("python.examples", False, f"timed out after {timeout_s:g} s")
    marked = [ln for ln in outcome.stdout.splitlines() if ln.startswith(_MARK)]
    if not marked:
        return Check("python.examples", False, _tail(outcome.stderr) or "the code did not run")
    fails: list[str] = json.loads(marked[-1][len(_MARK) :])
    n = len(examples)
    if fails:
        shown = "; ".join(fails[:3])
        return Check("python.examples", False, f"{len(fails)} of {n} examples fail: {shown}")
    return Check("python.examples", True, f"{n} examples pass")


def run_tests(code: str, tests: str, timeout_s: float) -> Check:
    if (outcome := _run(code, _PRELUDE + tests, timeout_s)) is None:
        return Check("python.tests", False, NOT_RUN, ran=False)
    if outcome.timed_out:
        return Check("python.tests", False, f"timed out after {timeout_s:g} s")
    if outcome.returncode != 0:
        return Check("python.tests", False, _tail(outcome.stderr) or "the tests failed")
    return Check("python.tests", True, "tests pass")


def _run(code: str, main: str, timeout_s: float) -> sandbox.Outcome | None:
    """main.py run next to the code as solution.py; None where there is no sandbox."""
    if sandbox.unavailable():
        return None
    return sandbox.run_python(main, files={"solution.py": code}, limits=sandbox.Limits(timeout_s))


def _tail(text: str, lines: int = 6, chars: int = 800) -> str:
    """The end of a traceback, without the sandbox's own frames."""
    own = ("<frozen runpy>", 'File "<string>"', "import solution as", "globals().update(")
    rows = [r for r in text.strip().splitlines() if not any(o in r for o in own)]
    kept = re.sub(r"/\S*/codeassist-sandbox-\w+/", "", "\n".join(rows[-lines:]))
    return kept[-chars:]
