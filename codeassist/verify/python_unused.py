"""Imports an answer never uses, where the request asked for none of them.

A model grounded in a repository copies the imports it sees there: asked for a palindrome
test inside codeassist's own checkout, qwen2.5-coder-1.5b began its answer with `import ast`.
An unused import is noise the reader has to check, and a linter flags it (ruff's F401). Where
a top-level import binds a name that the code never reads, dropping it is certain, so
`without_unused` is the fix and the check fails only where that fix applies. Imports stay
where the request names their module ("with numpy"), where the module sets `__all__` (it
re-exports), where a string mentions the name (an annotation in quotes, a `getattr`), where
the import is all there is, and where the statement shares its lines with other code or
carries a comment (`import readline  # line editing for input()`).
"""

from __future__ import annotations

import ast
import copy
import re

from codeassist import syntax
from codeassist.verify import Check, Subject

NAME = "python.unused"


def check(subject: Subject, tree: ast.Module) -> Check:
    names = _unused_names(tree, subject.request)
    if not names or without_unused(subject) is None:
        return Check(NAME, True, "")
    return Check(NAME, False, f"imported and never used: {', '.join(sorted(names))}")


def without_unused(subject: Subject) -> str | None:
    """The code without the imports it never uses; None when there is nothing certain to drop."""
    try:
        tree = syntax.parse_python(subject.code)
    except SyntaxError:
        return None
    unused = _unused_names(tree, subject.request)
    if not unused:
        return None
    lines = subject.code.splitlines(keepends=True)
    for node in reversed(_imports(tree)):
        kept = [a for a in node.names if _bound(a, node) not in unused]
        if len(kept) == len(node.names):
            continue
        if not _alone(node, tree, lines):
            return None
        first, last = node.lineno - 1, node.end_lineno or node.lineno
        if kept:
            replacement = copy.copy(node)
            replacement.names = kept
            lines[first:last] = [ast.unparse(replacement) + "\n"]
        else:
            del lines[first:last]
    fixed = re.sub(r"\n{4,}", "\n\n\n", "".join(lines)).lstrip("\n")
    try:
        syntax.parse_python(fixed)
    except SyntaxError:
        return None
    return fixed if fixed.strip() and fixed != subject.code else None


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Top-level imports that bind names (not `from __future__`, not `*`)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (
            node.module == "__future__" or any(a.name == "*" for a in node.names)
        ):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
    return found


def _bound(alias: ast.alias, node: ast.Import | ast.ImportFrom) -> str:
    """The name an import binds: `import a.b` binds `a`, `import a as b` and `from a import b`
    bind `b`."""
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name


def _unused_names(tree: ast.Module, request: str) -> set[str]:
    imports = _imports(tree)
    if not imports or all(n in imports or _docstring(n) for n in tree.body):
        return set()  # nothing but imports (and a docstring): the imports are the answer
    read: set[str] = set()
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            read.add(node.id)
            if node.id == "__all__":
                return set()  # a module that re-exports what it imports
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            words.update(re.findall(r"\w+", node.value))
    asked = {w.lower() for w in re.findall(r"\w+", request)}
    unused = set()
    for node in imports:
        module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
        for alias in node.names:
            name = _bound(alias, node)
            named = {name, *alias.name.split("."), *module.split(".")} - {""}
            if name in read or name in words or {n.lower() for n in named} & asked:
                continue
            unused.add(name)
    return unused


def _docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _alone(node: ast.stmt, tree: ast.Module, lines: list[str]) -> bool:
    """Whether the statement has its lines to itself (no `import a; b()`) with no comment."""
    first, last = node.lineno, node.end_lineno or node.lineno
    for other in tree.body:
        if other is not node and other.lineno <= last and (other.end_lineno or 0) >= first:
            return False
    return all("#" not in line for line in lines[first - 1 : last])
