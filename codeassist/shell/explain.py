"""Explain a shell command line part by part, from the installed programs' own documentation.

The line is parsed with tree-sitter-bash (codeassist/syntax.py); each simple command's words
are told apart by codeassist/shell/words.py (through wrappers such as sudo, env and xargs,
subcommands, find's -exec); `sh -c` scripts and `$( … )` are explained in turn.
Pipes, lists and redirections are explained from the shell's rules. Nothing is run but
`man` and `--help` (codeassist/shell/docs.py); no model is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety.argv import words_of
from codeassist.safety.risk import Risk, assess_shell
from codeassist.shell.words import Word, classify, inline_script

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from codeassist.backends.base import Message

MAX_DEPTH = 3  # nested `sh -c` scripts explained
OPERATORS = {
    "|": "pipe: the output of the command before becomes the input of the one after",
    "|&": "pipe both standard output and standard error into the next command",
    "&&": "run what follows only if the command before succeeded",
    "||": "run what follows only if the command before failed",
    ";": "then run what follows, whatever happened",
    "&": "run the command before in the background",
}
STREAMS = {"0": "standard input", "1": "standard output", "2": "standard error"}
SHELL_SOURCE = "shell syntax"


@dataclass(frozen=True)
class Part:
    """One part of the command line and what it means."""

    text: str
    kind: str  # program | option | argument | redirect | operator
    doc: str
    source: str  # "man du", "du --help", "shell syntax"; "" when nothing documents it
    depth: int = 0  # inside an `sh -c` script or a `$( … )`

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "kind": self.kind, "doc": self.doc, "source": self.source}


@dataclass(frozen=True)
class Explanation:
    command: str
    parts: list[Part]
    risk: Risk
    parses: bool = True  # False: parts of the line are not valid shell

    def to_json(self) -> dict[str, object]:
        return {
            "command": self.command,
            "parts": [p.to_json() for p in self.parts],
            "risk": self.risk.to_json(),
        }


def explain(command: str) -> Explanation:
    """Every part of the command line, with its documented meaning, and the line's risk."""
    tree = _parse(command)
    parts: list[Part] = []
    _walk(tree.root_node, parts, 0)
    return Explanation(command, parts, assess_shell(command), not tree.root_node.has_error)


def _walk(node: Node, parts: list[Part], depth: int) -> None:
    if node.type == "command":
        _command(node, parts, depth)
    elif node.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
        parts.append(Part(_source(node), "redirect", _redirect(node), SHELL_SOURCE, depth))
    elif not node.is_named and node.type in OPERATORS:
        parts.append(Part(node.type, "operator", OPERATORS[node.type], SHELL_SOURCE, depth))
    elif node.type == "variable_assignment":
        name = _source(node).split("=", 1)[0]
        parts.append(Part(_source(node), "argument", f"sets the shell variable {name}",
                          SHELL_SOURCE, depth))  # fmt: skip
    else:
        for child in node.children:
            _walk(child, parts, depth)


def _command(node: Node, parts: list[Part], depth: int) -> None:
    for child in node.children:
        if child.type == "variable_assignment":
            name = _source(child).split("=", 1)[0]
            parts.append(Part(_source(child), "argument",
                              f"sets {name} in the environment of this command only",
                              SHELL_SOURCE, depth))  # fmt: skip
        elif child.type in ("file_redirect", "herestring_redirect"):
            _walk(child, parts, depth)
    words = words_of(node)
    found = classify(words)
    parts.extend(_part(word, depth) for word in found)
    for child in node.children:  # `$( … )` and `<( … )` inside the words
        for inner in _substitutions(child):
            _walk(inner, parts, depth + 1)
    script = inline_script([value for _, value in words])
    if script is not None and depth < MAX_DEPTH:
        _walk(_parse(script).root_node, parts, depth + 1)


def _part(word: Word, depth: int) -> Part:
    doc = word.doc
    if word.known is False:
        missing = ", ".join(word.missing)
        doc = f"{word.program} does not document {missing}" + (f" ({doc})" if doc else "")
    elif word.kind == "argument" and not doc:
        doc = _argument(word.text)
    return Part(word.text, word.kind, doc, word.source if word.doc else "", depth)


def _argument(raw: str) -> str:
    """What the shell does with an argument before the program sees it."""
    if raw[:1] in ("'", '"'):
        return "quoted: passed as written"
    if any(c in raw for c in "*?[") and "$" not in raw:
        return "a pattern the shell expands to the matching file names"
    if raw == "{}":
        return "where find puts the path of each file it found"
    if raw.startswith("~"):
        return "a path in the home directory"
    return ""


def _substitutions(node: Node) -> list[Node]:
    if node.type in ("command_substitution", "process_substitution"):
        return [node]
    return [found for child in node.children for found in _substitutions(child)]


def _redirect(node: Node) -> str:
    """What a redirection does, in words."""
    if node.type == "heredoc_redirect":
        return "here-document: the lines that follow, up to the end marker, are the input"
    if node.type == "herestring_redirect":
        return "here-string: the word that follows is the input"
    operator = next((c.type for c in node.children if not c.is_named), ">")
    fd_node = node.child_by_field_name("descriptor")
    fd = _source(fd_node) if fd_node else ("0" if operator.startswith("<") else "1")
    stream = STREAMS.get(fd, f"file descriptor {fd}")
    dest_node = node.child_by_field_name("destination")
    dest = _source(dest_node) if dest_node else ""
    if operator in (">&", "<&") and dest in STREAMS:
        return f"sends {stream} to where {STREAMS[dest]} goes"
    if operator in ("&>", "&>>", ">&"):
        stream = "standard output and standard error"
    if dest == "/dev/null" and not operator.startswith("<"):
        return f"discards {stream}"
    if operator.startswith("<"):
        return f"reads {stream} from {dest}"
    if operator.endswith(">>"):
        return f"appends {stream} to {dest}"
    return f"writes {stream} to {dest} (replacing what the file held)"


def _source(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def summary_messages(explanation: Explanation) -> list[Message]:
    """A request to the model: summarize the command from the documented parts, nothing else."""
    from codeassist.backends.base import Message

    lines = [f"Command: {explanation.command}", "What its parts mean, from the documentation:"]
    for part in explanation.parts:
        lines.append(f"- {part.text} ({part.kind}): {part.doc or 'no documentation'}")
    risk = explanation.risk
    lines.append(f"Risk: {risk.level}" + (": " + "; ".join(risk.reasons) if risk.reasons else ""))
    lines.append("In one or two plain sentences, say what the command does. Use only these facts.")
    system = "You explain shell commands to a user, briefly and exactly. No code blocks."
    return [Message("system", system), Message("user", "\n".join(lines))]


def _parse(code: str) -> Tree:
    return syntax.parser("bash").parse(code.encode("utf-8"))
