"""One home for languages: file names to languages, parsers, lexers and SQL dialects."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from codeassist import syntax


@pytest.mark.parametrize(
    ("path", "language"),
    [("a/b.py", "python"), ("stubs/x.PYI", "python"), ("x.SQL", "sql"), ("run.sh", "bash"),
     ("rc.zsh", "bash"), ("Makefile", "make"), ("rules.mk", "make"), ("ui.tsx", "tsx"),
     ("m.mts", "typescript"), ("lib.h", "c"), ("lib.hpp", "cpp"), ("README.md", None),
     (".bashrc", None), ("dir.py/notes", None)],
)  # fmt: skip
def test_a_file_name_has_one_language(path: str, language: str | None) -> None:
    assert syntax.language_of(path) == language


def test_a_parser_is_made_once_per_language_and_thread() -> None:
    mine = syntax.parser("bash")
    assert syntax.parser("bash") is mine and syntax.parser("python") is not mine
    other: list[object] = []
    worker = threading.Thread(target=lambda: other.append(syntax.parser("bash")))
    worker.start()
    worker.join()
    assert other[0] is not mine  # a Parser is not shared between threads
    assert syntax.parse("bash", "ls -la").type == "program"


def test_the_language_object_serves_queries() -> None:
    import tree_sitter

    query = tree_sitter.Query(syntax.language("python"), "(function_definition) @f")
    root = syntax.parse("python", "def f():\n    pass\n")
    assert list(tree_sitter.QueryCursor(query).captures(root)) == ["f"]


@pytest.mark.parametrize(
    ("name", "dialect"),
    [("postgresql", "postgres"), ("PostgreSQL", "postgres"), ("psql", "postgres"),
     ("postgres", "postgres"), ("sqlite3", "sqlite"), ("SQLite", "sqlite"),
     ("mariadb", "mysql"), ("duckdb", "duckdb")],
)  # fmt: skip
def test_sql_dialect_names_map_to_sqlglot_names(name: str, dialect: str) -> None:
    assert syntax.sql_dialect(name) == dialect


def test_the_lexer_map_is_the_one_the_terminal_and_the_repl_use() -> None:
    from codeassist.commands import _ui
    from codeassist.repl import session

    assert _ui.LEXERS is syntax.LEXERS
    assert not hasattr(session, "LEXERS")  # the repl renders through commands/_ui


def test_importing_it_loads_no_tree_sitter() -> None:
    code = "import sys, codeassist.syntax; print(any('tree_sitter' in m for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
