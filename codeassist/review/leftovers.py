"""Leftover debugging added in a change: print, breakpoint, pdb, console.log, debugger."""

from __future__ import annotations

from typing import Any

from codeassist import syntax
from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding

_PY_DEBUGGERS = {"pdb", "ipdb", "pudb", "pdbpp", "debugpy"}
_CONSOLE = {"log", "debug", "trace", "dir", "table"}


def _whole_line(change: FileChange, node: Any) -> bool:
    """True when the statement holding `node` is alone on its line (deleting it is safe)."""
    row = node.start_point[0]
    lines = change.new_text.splitlines()
    if row >= len(lines):
        return False
    line = lines[row].strip().rstrip(";")
    candidates = [node] + ([node.parent] if node.parent is not None else [])
    return any(line == syntax.text_of(n).strip().rstrip(";") for n in candidates)


def _python(change: FileChange, root: Any, lines: set[int]) -> list[Finding]:
    found: list[Finding] = []
    for node in syntax.walk(root):
        line = syntax.line_of(node)
        if line not in lines:
            continue
        if node.type == "call":
            fn = syntax.text_of(node.child_by_field_name("function"))
            if fn == "print":
                found.append(
                    Finding(
                        change.path,
                        line,
                        "warning",
                        "print() added: leftover debugging?",
                        "leftovers",
                        "" if _whole_line(change, node) else None,
                    )  # fmt: skip
                )
            elif fn == "breakpoint" or (
                fn.endswith(".set_trace") and fn.split(".")[0] in _PY_DEBUGGERS
            ):
                found.append(
                    Finding(
                        change.path,
                        line,
                        "error",
                        f"{fn}() added: it stops the program",
                        "leftovers",
                        "" if _whole_line(change, node) else None,
                    )  # fmt: skip
                )
        elif node.type in ("import_statement", "import_from_statement"):
            names = syntax.text_of(node).replace(",", " ").split()
            hit = sorted(_PY_DEBUGGERS.intersection(names))
            if hit:
                found.append(
                    Finding(
                        change.path,
                        line,
                        "warning",
                        f"import of debugger {hit[0]} added",
                        "leftovers",
                    )  # fmt: skip
                )
    return found


def _javascript(change: FileChange, root: Any, lines: set[int]) -> list[Finding]:
    found: list[Finding] = []
    for node in syntax.walk(root):
        line = syntax.line_of(node)
        if line not in lines:
            continue
        if node.type == "debugger_statement":
            found.append(
                Finding(change.path, line, "error", "debugger statement added", "leftovers", "")
            )
        elif node.type == "call_expression":
            fn = syntax.text_of(node.child_by_field_name("function"))
            obj, _, member = fn.partition(".")
            if obj == "console" and member in _CONSOLE:
                found.append(
                    Finding(
                        change.path,
                        line,
                        "warning",
                        f"{fn}() added: leftover debugging?",
                        "leftovers",
                        "" if _whole_line(change, node) else None,
                    )  # fmt: skip
                )
    return found


def check(change: FileChange) -> list[Finding]:
    """Debugging calls on the lines this change adds, found in the parsed new file."""
    language = syntax.language_of(change.path)
    if not change.added or language not in ("python", "javascript", "typescript", "tsx"):
        return []
    root = syntax.parse(language, change.new_text)
    if language == "python":
        return _python(change, root, change.added_lines)
    return _javascript(change, root, change.added_lines)
