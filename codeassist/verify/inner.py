"""Programs of another language carried inside a shell command, found in its bash syntax tree.

`python -c "…"`, `python3 - <<EOF`, `sqlite3 db "…"`, `psql -c "…"`, `mysql -e "…"`, `jq '…'`
and `awk '…'` each hold a program that the shell's own checks cannot see into. `programs`
extracts them as the shell would pass them (quotes removed, escapes resolved; an expansion
stands in as a placeholder name), and `check` judges them with codeassist/verify/inner_langs.py
without running them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety.argv import ARG_NODES, SHELLS, program, text, unescape_ansi, unwrap
from codeassist.verify import Check

if TYPE_CHECKING:
    from tree_sitter import Node

PLACEHOLDER = "_shell_value_"  # what `$VAR`, `$(…)` become inside an extracted program
MAX_DEPTH = 3  # nested `bash -c '…'` strings looked into
_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution",
                         "arithmetic_expansion", "process_substitution"})  # fmt: skip
_PYTHON = re.compile(r"python(\d(\.\d+)?)?$")
_SQL_TOOLS = {"sqlite3": "sqlite", "psql": "postgres", "mysql": "mysql", "mariadb": "mysql"}
# options that take the next word as their value, per program (the program text excluded)
_VALUED = {
    "python": frozenset({"-X", "-W", "-Q"}),
    "sqlite3": frozenset({"-separator", "-newline", "-nullvalue", "-init", "-vfs", "-maxsize",
                          "-mmap", "-pagecache", "-lookaside", "-heap", "-A", "-escape"}),
    "psql": frozenset({"-d", "-h", "-p", "-U", "-v", "-o", "-L", "-F", "-R", "-P", "-T",
                       "--set", "--variable", "--dbname", "--host", "--port", "--username"}),
    "mysql": frozenset({"-u", "-h", "-P", "-D", "-S", "--user", "--host", "--port",
                        "--database", "--socket"}),
    "jq": frozenset({"--indent", "-L"}),
    "awk": frozenset({"-F", "-v", "-W", "-l", "--load", "--assign", "--field-separator"}),
}  # fmt: skip


@dataclass(frozen=True)
class Program:
    """A program inside a command: its language, its text, and how the command carries it."""

    language: str  # python | sql | jq | awk
    code: str
    source: str  # e.g. "python3 -c", "sqlite3", "jq"
    dialect: str = ""  # sql: sqlite | postgres | mysql; awk: the awk named
    names: tuple[str, ...] = ()  # jq: variables bound on the command line (--arg NAME …)


def programs(command: str, depth: int = 0) -> list[Program]:
    """Every program of another language inside the command line, in order."""
    found: list[Program] = []
    stack = [syntax.parse("bash", command)]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        if node.type != "command":
            continue
        name, words = _words(node)
        if name in SHELLS and depth < MAX_DEPTH:
            script = _after(words, "-c")
            found += programs(script, depth + 1) if script else []
        else:
            found += _carried(name, words, node)
    return found


def check(command: str) -> Check | None:
    """One check of every inner program (None when there is none, or none can be checked)."""
    from codeassist.verify.inner_langs import problem

    verdicts = [(p, problem(p)) for p in programs(command)]
    checked = [(p, v) for p, v in verdicts if v is not None]
    if not checked:
        return None
    failures = [f"{p.source}: {v}" for p, v in checked if v]
    if failures:
        return Check("shell.inner", False, "; ".join(failures))
    return Check("shell.inner", True, ", ".join(dict.fromkeys(p.source for p, _ in checked)))


def _words(node: Node) -> tuple[str, list[Node]]:
    """The program a command runs (wrappers such as sudo and env peeled off) and its words."""

    words: list[Node] = []
    for child in node.children:
        if child.type == "command_name":
            words.extend(child.children)
        elif child.type in ARG_NODES:
            words.append(child)
    argv = [text(w) for w in words]
    kept = unwrap(argv).argv
    words = words[len(argv) - len(kept) :] if kept else []
    return (program(text(words[0])) if words else ""), words[1:]


def _after(words: list[Node], option: str) -> str | None:
    """The decoded word after `option` (or after a bundle ending in it: `-Atc`)."""

    for i, word in enumerate(words[:-1]):
        raw = text(word)
        if raw == option or (len(option) == 2 and re.fullmatch(rf"-[A-Za-z]*{option[1]}", raw)):
            return decode(words[i + 1])
    return None


def _carried(name: str, words: list[Node], node: Node) -> list[Program]:
    """The programs one command carries, by what the program it runs is."""
    if _PYTHON.match(name):
        return _python(name, words, node)
    if name in _SQL_TOOLS:
        return _sql(name, words, node)
    if name == "jq":
        return _jq(words)
    if name in ("awk", "gawk", "mawk", "nawk"):
        return _awk(name, words)
    return []


def _operands(words: list[Node], valued: frozenset[str]) -> list[Node]:
    """The words that are not options nor option values (`--` ends the options)."""

    operands, skip, ended = [], False, False
    for word in words:
        raw = text(word)
        if skip:
            skip = False
        elif ended or not raw.startswith("-") or raw == "-":
            operands.append(word)
        elif raw == "--":
            ended = True
        else:
            skip = raw in valued
    return operands


def _python(name: str, words: list[Node], node: Node) -> list[Program]:

    i = 0
    while i < len(words):
        raw = text(words[i])
        if raw == "-c" or re.fullmatch(r"-[BbdEiIOqsSuvx]*c", raw):
            code = decode(words[i + 1]) if i + 1 < len(words) else None
            return [Program("python", code, f"{name} -c")] if code else []
        if raw == "-m" or not raw.startswith("-"):
            return []  # a module or a script file runs
        if raw == "-":
            break  # the program is read from standard input
        i += 2 if raw in _VALUED["python"] else 1
    body = stdin_text(node)
    return [Program("python", body, f"{name} (standard input)")] if body else []


def _sql(name: str, words: list[Node], node: Node) -> list[Program]:

    dialect = _SQL_TOOLS[name]
    if name == "sqlite3":
        options = frozenset({*_VALUED["sqlite3"], "-cmd"})
        texts = [decode(w) for w in _operands(words, options)[1:]]
        texts += [decode(words[i + 1]) for i, w in enumerate(words[:-1]) if text(w) == "-cmd"]
    else:
        flag = "-c" if name == "psql" else "-e"
        long = "--command" if name == "psql" else "--execute"
        texts = [_after(words, flag)]
        texts += [text(w).split("=", 1)[1] for w in words if text(w).startswith(long + "=")]
        texts += [_after(words, long)]
        if any(text(w) in ("-f", "--file") for w in words):
            return []
    found = [t for t in texts if t]
    if not found:
        body = stdin_text(node)
        found = [body] if body else []
    return [Program("sql", t, name, dialect) for t in found]


def _jq(words: list[Node]) -> list[Program]:

    names, kept, i = [], [], 0
    while i < len(words):
        raw = text(words[i])
        if raw in ("-f", "--from-file"):
            return []  # the program is in a file
        if raw in ("--arg", "--argjson", "--slurpfile", "--rawfile") and i + 1 < len(words):
            names.append(text(words[i + 1]))
            i += 3
            continue
        kept.append(words[i])
        i += 1
    operands = _operands(kept, _VALUED["jq"])
    code = decode(operands[0]) if operands else None
    return [Program("jq", code, "jq", names=tuple(names))] if code else []


def _awk(name: str, words: list[Node]) -> list[Program]:

    if any(text(w) in ("-f", "--file", "-i", "--include") for w in words):
        return []  # the program is (partly) in a file
    sources = [_after(words, "-e"), _after(words, "--source")]
    if any(sources):
        return [Program("awk", s, name, name) for s in sources if s]
    attached = [w for w in words if re.fullmatch(r"-[Fv].+", text(w))]
    operands = _operands([w for w in words if w not in attached], _VALUED["awk"])
    code = decode(operands[0]) if operands else None
    return [Program("awk", code, name, name)] if code else []


def stdin_text(node: Node) -> str | None:
    """The here-document or here-string a command reads, as the program will see it."""
    places = [node, node.parent] if node.parent is not None else [node]
    for place in places:
        for child in place.children:
            if child.type == "herestring_redirect" and child.named_children:
                return decode(child.named_children[-1])
            if child.type == "heredoc_redirect":
                return _heredoc(child)
    return None


def _heredoc(redirect: Node) -> str | None:
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
    if start is None or body is None:
        return None
    quoted = any(q in _raw(start) for q in "'\"\\")
    code = _raw(body) if quoted else _expanded(body, _unescape_heredoc)
    if any(c.type == "<<-" for c in redirect.children):
        code = "\n".join(line.lstrip("\t") for line in code.split("\n"))
    return code if code.strip() and code.strip() != PLACEHOLDER else None


def decode(node: Node) -> str | None:
    """The word as the program receives it; None when it is nothing but an expansion."""
    value = _decode(node)
    return value if value.strip() and value.strip() != PLACEHOLDER else None


def _decode(node: Node) -> str:
    raw = _raw(node)
    if node.type in _EXPANSIONS:
        return PLACEHOLDER
    if node.type == "raw_string":
        return raw[1:-1]
    if node.type == "string":
        return _expanded(node, _unescape_double)[1:-1]
    if node.type == "ansi_c_string":
        return unescape_ansi(raw[2:-1])
    if node.type == "concatenation":
        return "".join(_decode(child) for child in node.children)
    if node.type == "word":
        return re.sub(r"\\(\n|.)", lambda m: "" if m[1] == "\n" else m[1], raw)
    return raw


def _raw(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _expanded(node: Node, unescape: _Unescape) -> str:
    """The node's text with each expansion inside it replaced by the placeholder."""
    data, start = node.text or b"", node.start_byte
    out, at = [], 0
    for child in node.children:
        if child.type in _EXPANSIONS:
            out.append(unescape(data[at : child.start_byte - start].decode("utf-8", "replace")))
            out.append(PLACEHOLDER)
            at = child.end_byte - start
    out.append(unescape(data[at:].decode("utf-8", "replace")))
    return "".join(out)


def _unescape_double(text: str) -> str:
    """Inside double quotes a backslash escapes only $ ` " \\ and a newline."""
    return re.sub(r'\\([$`"\\\n])', lambda m: "" if m[1] == "\n" else m[1], text)


def _unescape_heredoc(text: str) -> str:
    return re.sub(r"\\([$`\\\n])", lambda m: "" if m[1] == "\n" else m[1], text)


if TYPE_CHECKING:
    from collections.abc import Callable

    _Unescape = Callable[[str], str]
