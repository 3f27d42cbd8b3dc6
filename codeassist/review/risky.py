"""Risky shell and SQL added in a change, judged by the shared risk rules (codeassist.safety)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from codeassist import syntax
from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding
from codeassist.safety.python import PROCESS_CALLS as _SUBPROCESS
from codeassist.safety.python import SHELL_CALLS as _SHELL_CALLS

SEVERITY = {"high": "warning", "medium": "info"}  # low risk is no finding
_SQL_METHODS = {"execute", "executemany", "executescript", "exec_driver_sql"}

Assess = Callable[[str], Any]


def _finding(change: FileChange, line: int, kind: str, code: str, risk: Any) -> Finding | None:
    severity = SEVERITY.get(str(getattr(risk, "level", "low")).lower())
    if severity is None:
        return None
    reasons = "; ".join(str(r) for r in getattr(risk, "reasons", ()) or ()) or "risky"
    snippet = " ".join(code.split())
    snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
    message = f"{risk.level}-risk {kind} `{snippet}`: {reasons}"
    return Finding(change.path, line, severity, message, "risky")


def sql_statements(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, statement) for each `;`-separated statement, quotes respected."""
    start, line, quote, buf = 1, 1, "", []
    for ch in text:
        buf.append(ch)
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ";":
            stmt = "".join(buf).strip()
            if stmt.strip(";").strip():
                yield start + _leading_newlines(buf), line, stmt
            buf, start = [], line
        if ch == "\n":
            line += 1
    stmt = "".join(buf).strip()
    if stmt:
        yield start + _leading_newlines(buf), line, stmt


def _leading_newlines(buf: list[str]) -> int:
    text = "".join(buf)
    return text[: len(text) - len(text.lstrip())].count("\n")


def _strip_sql_comments(stmt: str) -> str:
    return "\n".join(ln for ln in stmt.splitlines() if not ln.strip().startswith("--")).strip()


def _string_value(node: Any) -> str | None:
    """The value of a plain Python string literal (no f-string holes), else None."""
    if node is None or node.type != "string":
        return None
    if any(c.type == "interpolation" for c in node.children):
        return None
    parts = [syntax.text_of(c) for c in node.children if c.type == "string_content"]
    return "".join(parts)


def _built(node: Any) -> bool:
    """A command string made when the code runs: an f-string with holes, `+` or `%` on a
    string, `.format()` or `.join()`; what shlex quoted is not counted."""
    text = syntax.text_of(node)
    if "shlex." in text or "quote(" in text:
        return False
    if node.type == "string":
        return any(c.type == "interpolation" for c in node.children)
    if node.type == "binary_operator":
        return any(c.type in ("string", "binary_operator") for c in node.named_children)
    if node.type == "call":
        fn = syntax.text_of(node.child_by_field_name("function"))
        return fn.endswith((".format", ".join")) and fn.startswith(("'", '"', "f'", 'f"'))
    return False


def _injection(change: FileChange, node: Any) -> Finding:
    """A shell string built from run-time values: a value holding `;` or `$(...)` runs as
    code (bandit's B602/B605). Info, with what the command does where that is risky."""
    from codeassist.safety import python
    from codeassist.safety.shell import findings as shell_findings

    line = syntax.line_of(node)
    call = syntax.text_of(node)
    known = [at.finding.reason for at in python.located(call, shell_findings) if at.call]
    reasons = [r for r in known if not r.startswith("runs a command known only")]
    snippet = " ".join(call.split())
    snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
    what = f" ({'; '.join(dict.fromkeys(reasons))})" if reasons else ""
    return Finding(
        change.path, line, "info",
        f"shell command built at run time `{snippet}`{what}: a value holding `;` or `$(` "
        "runs as shell code; pass a list of arguments without shell=True, or shlex.quote "
        "each value", "risky",
    )  # fmt: skip


def _python(change: FileChange, shell: Assess, sql: Assess) -> tuple[list[Finding], list[Finding]]:
    """Findings for shell and SQL strings on added lines; and, apart, shell strings built
    at run time."""
    found: list[Finding] = []
    built: list[Finding] = []
    lines = change.added_lines
    for node in syntax.walk(syntax.parse("python", change.new_text)):
        if node.type != "call" or syntax.line_of(node) not in lines:
            continue
        fn = syntax.text_of(node.child_by_field_name("function"))
        args = node.child_by_field_name("arguments")
        if args is None or not args.named_children:
            continue
        value = _string_value(args.named_children[0])
        arg_text = syntax.text_of(args)
        to_shell = fn in _SHELL_CALLS or (fn in _SUBPROCESS and "shell=True" in arg_text)
        if value is None:
            if to_shell and _built(args.named_children[0]):
                built.append(_injection(change, node))
            continue
        method = fn.rpartition(".")[2]
        if to_shell:
            f = _finding(change, syntax.line_of(node), "shell command", value, shell(value))
        elif method in _SQL_METHODS:
            f = _finding(change, syntax.line_of(node), "SQL", value, sql(value))
        else:
            continue
        if f:
            found.append(f)
    return found, built


def _python_calls(change: FileChange, reported: set[int]) -> list[Finding]:
    """Calls on added lines that would do what a high-risk shell command does
    (`shutil.rmtree(Path.home())`, `subprocess.run(["git", "push", "-f"])`, `exec` of a
    download): warnings. A line `_python` `reported` (a shell string, with the command
    itself) is not reported again; medium ones (a path known only at run time) are left
    out: in committed code they are the rule."""
    from codeassist.safety import python
    from codeassist.safety.risk import combine
    from codeassist.safety.shell import findings as shell_findings

    lines, source = change.added_lines, change.new_text.splitlines()
    per_line: dict[int, list[Any]] = {}
    for at in python.located(change.new_text, shell_findings):
        if at.line in lines and at.line not in reported and at.finding.level == "high":
            per_line.setdefault(at.line, []).append(at.finding)
    out = []
    for line, risks in sorted(per_line.items()):
        f = _finding(change, line, "Python call", source[line - 1].strip(), combine(risks))
        if f:
            out.append(f)
    return out


def check(change: FileChange) -> list[Finding]:
    """Findings for risky commands and statements on the lines the change adds."""
    from codeassist.safety.risk import assess_shell, assess_sql

    language = syntax.language_of(change.path)
    lines = change.added_lines
    if not lines:
        return []
    found: list[Finding] = []
    if language == "bash":
        root = syntax.parse("bash", change.new_text)
        for node in root.named_children:
            first, last = node.start_point[0] + 1, node.end_point[0] + 1
            if node.type == "comment" or not lines.intersection(range(first, last + 1)):
                continue
            code = syntax.text_of(node)
            f = _finding(change, first, "shell command", code, assess_shell(code))
            if f:
                found.append(f)
    elif language == "sql":
        for first, last, stmt in sql_statements(change.new_text):
            code = _strip_sql_comments(stmt)
            if code and lines.intersection(range(first, last + 1)):
                at = first + next(
                    (
                        i
                        for i, ln in enumerate(stmt.splitlines())
                        if not ln.strip().startswith("--")
                    ),
                    0,
                )
                f = _finding(change, at, "SQL", code, assess_sql(code))
                if f:
                    found.append(f)
    elif language == "python":
        strings, built = _python(change, assess_shell, assess_sql)
        calls = _python_calls(change, {f.line for f in strings})
        warned = {f.line for f in calls}  # a high-risk call says more than "built at run time"
        built = [f for f in built if f.line not in warned]
        found.extend(sorted(strings + calls + built, key=lambda f: f.line))
    return found
