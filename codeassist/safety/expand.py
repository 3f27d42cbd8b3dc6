"""A command's words as the shell makes them before they run, as far as the line itself tells.

The rules judge what runs, not how it is spelled, so what the line says literally is expanded
here as the shell would: variables given a literal value earlier in the line (`x=rm; $x -rf ~`,
and a `sh -c` script's $0, $1…), splitting on IFS (`rm${IFS}-rf${IFS}~`, `IFS=,;x=rm,-rf,/;$x`),
`$(echo …)` and `$(printf …)` of literal text, decoded too (`$(echo cm0= | base64 -d)` is rm:
codeassist/safety/decode.py), and brace lists (`rm -rf {~,}`). Whatever the line does not tell
(`$HOME`, `$(curl …)`, a variable set elsewhere) is kept as written, for the rules to judge as
such. `written` is what a pipeline writes, for the shell it is piped into (safety/feeds.py);
the Line keeps what it wrote to files, for a shell that runs one later in the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING

from codeassist.safety import decode
from codeassist.safety.argv import program, text, word_nodes
from codeassist.safety.paths import normalise
from codeassist.safety.quotes import DOUBLE_QUOTED, HEREDOC, unescape_ansi, unescape_double

if TYPE_CHECKING:
    from tree_sitter import Node

DEFAULT_IFS = " \t\n"
_SPLIT = "\0"  # where an unquoted expansion's value breaks into words
_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution"})
_QUOTED = frozenset({"string", "raw_string", "ansi_c_string", "translated_string"})
_GROUP = re.compile(r"\{([^{}]*,[^{}]*)\}")
_MAX_BRACE_WORDS = 64
_UNRESOLVED = re.compile(r"[$`]")
_GLOB = re.compile(r"[*?]")
_ESCAPED = re.compile(r"\\.", re.DOTALL)


@dataclass(frozen=True)
class Output:
    """What a pipeline writes, as far as the line tells: its text (None: the line does not
    tell), the program that writes it, whether it is decoded or downloaded, and whether the
    line tells every expansion in the words it comes from."""

    text: str | None
    writer: str
    decoded: bool = False
    fetched: bool = False
    resolved: bool = True

    def then(self, more: Output) -> Output:
        """This, and `more` appended to it (`>>`)."""
        both = self.text + more.text if self.text is not None and more.text is not None else None
        return Output(both, more.writer, self.decoded or more.decoded,
                      self.fetched or more.fetched, self.resolved and more.resolved)  # fmt: skip


@dataclass
class Line:
    """What the line has said so far: variables with a literal value, a literal `cd`, and
    what it wrote to files (`> run.sh`)."""

    variables: dict[str, str] = field(default_factory=lambda: {"IFS": DEFAULT_IFS})
    cwd: str = ""  # "" for the directory the line starts in
    files: dict[str, Output] = field(default_factory=dict)

    def inner(self) -> Line:
        """The same shell, later (`eval`, an alias, a trap): what it knows, copied."""
        return Line(dict(self.variables), self.cwd, dict(self.files))

    def wrote(self, path: str, output: Output | None, append: bool = False) -> None:
        """The line wrote `output` to the file (None: what the line does not tell)."""
        key, before = self._file(path), self.written(path)
        if output is None:
            self.files.pop(key, None)
        else:
            self.files[key] = before.then(output) if append and before is not None else output

    def written(self, path: str) -> Output | None:
        """What the line wrote to the file, when it did."""
        return self.files.get(self._file(path))

    def _file(self, path: str) -> str:
        if self.cwd and not path.startswith(("/", "~", "$")):
            path = f"{self.cwd.rstrip('/')}/{path}"
        return normalise(path).removeprefix("./")

    def assign(self, name: str, value: str | None, append: bool = False) -> None:
        """`name=value` (None: a value the line does not tell)."""
        if value is None or _UNRESOLVED.search(value) or append and name not in self.variables:
            self.variables.pop(name, None)
        else:
            self.variables[name] = self.variables.get(name, "") + value if append else value


def script_line(parameters: list[str]) -> Line:
    """The line of `sh -c SCRIPT NAME ARGS…`: a new shell; NAME is $0, ARGS are $1…"""
    line = Line()
    for i, value in enumerate(parameters):
        line.variables[str(i)] = value
    line.variables["@"] = line.variables["*"] = " ".join(parameters[1:])
    return line


def argv(node: Node, line: Line) -> list[str]:
    """The words of a `command` node, expanded: its name and arguments."""
    return [word for child in word_nodes(node) for word in fields(child, line)]


def fields(node: Node, line: Line) -> list[str]:
    """One word as the words it becomes: split where an unquoted expansion holds IFS
    characters, brace lists expanded when nothing in it is quoted, and gone when nothing in
    it is quoted and it expands to nothing (`x=; $x rm -rf /` runs rm)."""
    value = expand(node, line, quoted=False)
    quoted = node.type in _QUOTED or any(c.type in _QUOTED for c in node.children)
    words = [w for w in value.split(_SPLIT) if w] if _SPLIT in value or not quoted else [value]
    if quoted:
        return words
    return [each for word in words for each in braces(word)]


def expand(node: Node, line: Line, quoted: bool = True) -> str:
    """The text of a word, what the line tells of its expansions filled in (a split mark
    where an unquoted value would break into words)."""
    kind = node.type
    if kind in _EXPANSIONS:
        value = _value(node, line)
        if value is None:
            return _raw(node)
        return value if quoted else _mark_splits(value, line)
    if kind == "string":
        return _filled(node, line, DOUBLE_QUOTED)[1:-1]
    if kind == "concatenation":
        return "".join(expand(child, line, quoted) for child in node.children)
    return text(node)


def literal(node: Node) -> bool:
    """Is the word its text alone, no expansion or glob in it? A backquote or `$` escaped or
    quoted is text (`\\`date\\``, `'$x'`), not a substitution."""
    if node.type == "word":
        return not _GLOB.search(_ESCAPED.sub("", _raw(node)))
    if node.type in ("raw_string", "ansi_c_string", "string_content"):
        return True
    return node.type in ("string", "concatenation") and all(map(literal, node.named_children))


def resolved(node: Node, line: Line) -> bool:
    """Does the line tell the value of every expansion in the node? (`'$HOME'` has none.)"""
    stack = list(node.children)
    while stack:
        child = stack.pop()
        if child.type in ("process_substitution", "arithmetic_expansion"):
            return False
        if child.type in _EXPANSIONS:
            if _value(child, line) is None:
                return False
        else:
            stack.extend(child.children)
    return True


def _value(node: Node, line: Line) -> str | None:
    if node.type == "command_substitution":
        inner = node.named_children
        if len(inner) != 1:
            return None
        said = written(pipeline_elements(inner[0]), line, exact=True)
        return said.rstrip("\n") if said is not None else None
    names = [c for c in node.children if c.type in ("variable_name", "special_variable_name")]
    plain = node.type == "simple_expansion" or [c.type for c in node.children] == [
        "${",
        "variable_name",
        "}",
    ]
    if len(names) != 1 or not plain:
        return None  # `${x:-default}`, `${#x}`: left to the rules as written
    return line.variables.get(_raw(names[0]))


def _filled(node: Node, line: Line, escapes: re.Pattern[str]) -> str:
    """The node's text with each expansion inside it replaced by its value, where known, and
    the backslashes of its text that `escapes` matches taken out (`\\`` is a backquote)."""
    data, start = node.text or b"", node.start_byte
    out, at = [], 0
    for child in node.children:
        if child.type in _EXPANSIONS:
            out.append(_unescaped(data[at : child.start_byte - start], escapes))
            out.append(expand(child, line))
            at = child.end_byte - start
    out.append(_unescaped(data[at:], escapes))
    return "".join(out)


def _unescaped(data: bytes, escapes: re.Pattern[str]) -> str:
    return unescape_double(data.decode("utf-8", "replace"), escapes)


def _mark_splits(value: str, line: Line) -> str:
    ifs = line.variables.get("IFS", DEFAULT_IFS)
    return re.sub(f"[{re.escape(ifs)}]+", _SPLIT, value) if ifs else value


def _raw(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def braces(word: str) -> list[str]:
    """`{~,}` is `~` and ``; `a{b,c}d` is abd and acd (not `${x,,}`, not `{}`). Past a few
    dozen words, every alternative stands alone: none may hide in what is left out."""
    groups = [m for m in _GROUP.finditer(word) if not word[: m.start()].endswith("$")]
    if not groups:
        return [word]
    if prod(len(m[1].split(",")) for m in groups) > _MAX_BRACE_WORDS:
        return [word, *(alt for m in groups for alt in m[1].split(","))]
    words = [word]
    for _ in groups:
        words = [w for each in words for w in _expand_first(each)]
    return words


def _expand_first(word: str) -> list[str]:
    found = next((m for m in _GROUP.finditer(word) if not word[: m.start()].endswith("$")), None)
    if found is None:
        return [word]
    head, tail = word[: found.start()], word[found.end() :]
    return [head + alt + tail for alt in found[1].split(",")]


_FORMAT = re.compile(r"%%|%[-+ #0-9.]*[sbdiouxXcq]")


def printed(words: list[str]) -> str | None:
    """What `echo …` or `printf FORMAT …` of these words writes, `:` nothing (None: another
    program)."""
    name, args = (program(words[0]), words[1:]) if words else ("", [])
    if name in (":", "true"):
        return ""
    if name == "echo":
        escapes, end = False, "\n"
        while args and re.fullmatch(r"-[neE]+", args[0]):
            escapes = "e" in args[0] or escapes and "E" not in args[0]
            end = "" if "n" in args[0] else end
            args = args[1:]
        said = " ".join(args)
        return (unescape_ansi(said) if escapes else said) + end
    args = args[1:] if name == "printf" and args[:1] == ["--"] else args
    if name == "printf" and args and args[0] != "-v":
        values = iter(args[1:])
        said = _FORMAT.sub(lambda m: "%" if m[0] == "%%" else next(values, ""), args[0])
        return unescape_ansi(said)
    return None


_INPUTS = frozenset({"<", "<&", "<>"})


def redirected(statement: Node) -> Node | None:
    """What a redirected statement's redirects are for: its body, or the last statement of a
    list in it (tree-sitter-bash puts `a && b < f`'s redirect around the list; bash gives it
    to b)."""
    body = statement.child_by_field_name("body")
    while body is not None and body.type == "list" and body.named_children:
        body = body.named_children[-1]
    return body


def pipeline_elements(node: Node) -> list[Node]:
    """The statements a pipeline runs, in order (one for anything else)."""
    return node.named_children if node.type == "pipeline" else [node]


def written(elements: list[Node], line: Line, exact: bool = False) -> str | None:
    """The text a pipeline's elements write, when the line tells (see `writes`)."""
    return writes(elements, line, exact)[0]


def writes(elements: list[Node], line: Line, exact: bool = False) -> tuple[str | None, list[Node]]:
    """The text a pipeline's elements write, when the line tells, and the elements it comes
    from: what `echo` or `printf` print, or a here-string or here-document, passed on through
    cat, rev and the decoders of safety/decode.py. None when it does not tell, or is not text.
    `exact`: None too when a word holds an expansion the line does not tell (else it is kept
    as written)."""
    data: bytes | None = None
    start = 0
    for k, node in enumerate(elements):
        command, given, known = _command_input(node, line)
        if command is None:
            data = None
            continue
        words = argv(command, line)
        if exact and any(_UNRESOLVED.search(w) for w in [*words, (given or b"").decode()]):
            return None, []
        said = printed(words)
        if said is not None:  # echo and printf write their words, whatever they are given
            data, start = said.encode("utf-8"), k
            continue
        if given is not None:
            start = k
        source = given if given is not None else data if known else None
        data = decode.filtered(words, source) if source is not None else None
    text = decode.script(data) if data is not None else None
    return text, elements[start:] if text is not None else []


def _command_input(node: Node, line: Line) -> tuple[Node | None, bytes | None, bool]:
    """A pipeline element's command, the input the line gives it (a here-string or
    here-document; None: what the pipe brings), and whether that input is known (not a file)."""
    redirects: list[Node] = []
    if node.type == "redirected_statement":
        redirects = node.children
        node = redirected(node) or node
    if node.type != "command":
        return None, None, False
    given: bytes | None = None
    for child in [*node.children, *redirects]:
        if child.type == "herestring_redirect" and child.named_children:
            given = (expand(child.named_children[-1], line) + "\n").encode("utf-8")
        elif child.type == "heredoc_redirect":
            given = heredoc(child, line)
            if given is None:
                return node, None, False
        elif child.type == "file_redirect" and any(c.type in _INPUTS for c in child.children):
            return node, None, False  # `base64 -d < payload.b64`: a file the line does not show
    return node, given, True


def heredoc(node: Node, line: Line) -> bytes | None:
    """A here-document's text: as written under a quoted delimiter, expanded under a bare one."""
    body = next((c for c in node.named_children if c.type == "heredoc_body"), None)
    start = next((c for c in node.named_children if c.type == "heredoc_start"), None)
    if body is None or start is None:
        return None
    quoted = any(q in _raw(start) for q in "'\"\\")
    return (_raw(body) if quoted else _filled(body, line, HEREDOC)).encode("utf-8")
