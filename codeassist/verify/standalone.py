"""The checks `gen` runs, on code the user wrote: `codeassist check`.

The language is given or told from the code itself (`detect`): a statement keyword at the
start is SQL, code that compiles as Python and does more than name something is Python, the
rest is shell. The subject is built as the pipeline builds it for generated code (schema
from `--schema` and `--db`, the database's dialect, the user's shell, the current directory).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from codeassist.errors import UsageError
from codeassist.inputs import read_text
from codeassist.safety.python import parses as parses_as_python
from codeassist.verify import Check, Subject, run_checks

LANGUAGES = ("python", "sql", "shell")
SUFFIXES = {".py": "python", ".pyw": "python", ".sql": "sql", ".sh": "shell", ".bash": "shell",
            ".ksh": "shell", ".dash": "shell", ".zsh": "shell"}  # fmt: skip
MAX_FILE_BYTES = 2**20
_SQL_START = re.compile(
    r"\s*(--[^\n]*\n\s*)*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|PRAGMA|EXPLAIN|"
    r"REPLACE|TRUNCATE|GRANT|REVOKE|BEGIN|VACUUM|ATTACH|DETACH|UPSERT|MERGE)\b",
    re.IGNORECASE,
)
_PYTHON_START = re.compile(r"^\s*(def|class|import|from\s+\S+\s+import|async\s+def)\b", re.M)
_FIRST_WORD = re.compile(r"\s*(?:sudo\s+)?([\w./+-]+)(?:\s|$)")
# bash keywords that start Python statements too: they decide nothing
_SHARED_KEYWORDS = frozenset({"if", "for", "while", "with", "else", "elif", "in", "not", "!",
                              "{", "}", "time", "function", "select", "case"})  # fmt: skip


# what names joined by - | < > parse as: no call, no literal, nothing a Python program does
_WORDY = (ast.Name, ast.Attribute, ast.BinOp, ast.UnaryOp, ast.Compare, ast.operator,
          ast.unaryop, ast.cmpop, ast.expr_context)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """What the checks said about one piece of code."""

    language: str
    checks: list[Check]

    @property
    def failed(self) -> bool:
        return any(status(c) == "failed" for c in self.checks)

    def to_json(self) -> dict[str, object]:
        checks = [
            {"name": c.name, "status": status(c), "passed": c.passed, "detail": c.detail}
            for c in self.checks
        ]
        return {"language": self.language, "passed": not self.failed, "checks": checks}


def status(check: Check) -> str:
    """passed, failed, or "not run" (no sandbox here, or a check it depends on failed)."""
    if not check.ran or (not check.passed and check.detail.startswith("not run:")):
        return "not run"
    return "passed" if check.passed else "failed"


def named_file(argument: str) -> Path | None:
    """The file a CODE argument names: one word with a / or a known suffix (`deploy.sh`,
    `./configure`); None for code (`ls -la`, `make`)."""
    if not argument or any(c.isspace() for c in argument):
        return None
    path = Path(argument)
    return path if "/" in argument or path.suffix.lower() in SUFFIXES else None


def read_file(path: Path) -> tuple[str, str]:
    """A file's code and the language its name says ("auto" where it says none)."""
    hint = "pass a UTF-8 text file, or the code itself in quotes"
    code = read_text(path, MAX_FILE_BYTES, "file", hint, big_hint="check the part you changed")
    return code, SUFFIXES.get(path.suffix.lower(), "auto")


def detect(code: str) -> str:
    """SQL, Python or shell, told from the code."""
    if _SQL_START.match(code) and not parses_as_python(code):
        return "sql"  # `with open(f) as x: …` is Python
    if _PYTHON_START.search(code):
        return "python"
    if _runs_a_program(code):
        return "shell"  # `ls -la | sort` is valid Python too
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return "shell"
    words_only = all(
        isinstance(s, ast.Expr) and all(isinstance(n, _WORDY) for n in ast.walk(s.value))
        for s in tree.body
    )  # `make`, `a.b` and `some-tool --flag > out` parse as Python too
    return "shell" if words_only else "python"


def _runs_a_program(code: str) -> bool:
    """Does the code start with a program on PATH or a shell builtin?"""
    import shutil

    from codeassist.verify.shell import builtins

    first = _FIRST_WORD.match(code)
    if first is None or first[1] in _SHARED_KEYWORDS:
        return False
    return first[1] in builtins() or shutil.which(first[1]) is not None


def check_code(
    code: str,
    language: str = "auto",
    db: str | None = None,
    schema_file: Path | None = None,
    cwd: Path | None = None,
) -> Verdict:
    """Run the checks of the code's language on it, with the schema and database given."""
    from codeassist.db.schema import dialect_of, read_database_schema, read_schema_file
    from codeassist.pipeline.repair import checker_shell

    if not code.strip():
        raise UsageError("there is no code to check", hint='e.g. codeassist check "ls -la"')
    if language != "auto" and language not in LANGUAGES:
        hint = "use --lang auto, python, sql or shell"
        raise UsageError(f"unknown language {language!r}", hint=hint)
    lang = detect(code) if language == "auto" else language
    schema = [read_schema_file(schema_file).strip()] if schema_file else []
    schema += [read_database_schema(db)] if db else []
    subject = Subject(
        language=lang, code=code, schema="\n".join(s for s in schema if s), db=db,
        dialect=dialect_of(db), cwd=cwd or Path.cwd(), shell=checker_shell(),
    )  # fmt: skip
    return Verdict(lang, run_checks(subject))
