"""Shell risk: walk the tree-sitter-bash syntax tree of a command line.

Every simple command (in lists, pipelines, subshells, command substitutions, `sh -c` and
`eval` strings) is reduced to its argv, wrappers such as sudo, env and xargs are peeled off
(codeassist/safety/argv.py), and the per-program rules of codeassist/safety/rules.py judge
what is left. Pipelines, redirections and function definitions are judged here, where their
structure is visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety import nodes
from codeassist.safety.argv import (
    MAX_DEPTH,
    SHELLS,
    Command,
    argv_of,
    inline_script,
    text,
    unwrap,
)
from codeassist.safety.risk import Finding
from codeassist.safety.rules import redirect_findings, rule_for
from codeassist.safety.rules_exfil import pipeline_sends

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

SCRIPTING = frozenset({"python", "python3", "perl", "ruby", "node", "php"})
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c"})
SOURCING = frozenset({"source", ".", "eval"})


# What an unfinished line may lack at its end; the shell would wait for it (PS2), and the
# user's Enter would supply it. `rm -rf "/` is judged as `rm -rf "/"`.
CLOSERS = ('"', "'", "`", ")", "}", '")', "')", '"}', "))", "\n}")


def findings(command: str, depth: int = 0) -> list[Finding]:
    """Every rule that matches somewhere in the command line (an unclosed one as if closed)."""
    tree = _parse(command)
    found: list[Finding] = []
    if tree.root_node.has_error:
        found.append(Finding("medium", "parts of the command do not parse as shell: read it"))
        tree = next((t for t in map(_parse, (command + c for c in CLOSERS))
                     if not t.root_node.has_error), tree)  # fmt: skip
    _walk(tree.root_node, found, depth)
    return found


def _parse(command: str) -> Tree:
    return syntax.parser("bash").parse(command.encode("utf-8"))


def _head(node: Node) -> Command | None:
    """The command a pipeline element runs (the first simple command inside it)."""
    if node.type == "command":
        return unwrap(argv_of(node))
    for child in node.children:
        if child.type in ("command_substitution", "process_substitution"):
            continue
        found = _head(child)
        if found is not None:
            return found
    return None


def runs_stdin(cmd: Command) -> bool:
    """Does this command execute the script it reads on standard input?"""
    if cmd.name in SHELLS:
        return "-c" not in cmd.args
    if cmd.name in SCRIPTING:
        positional = [a for a in cmd.args if not a.startswith("-") or a == "-"]
        return not positional or positional[0] == "-" and not {"-c", "-e", "-m"} & set(cmd.args)
    return False


def _downloads(node: Node) -> bool:
    """Is there a downloader anywhere inside this node?"""
    if node.type == "command":
        cmd = unwrap(argv_of(node))
        if cmd.name in DOWNLOADERS:
            return True
    return any(_downloads(child) for child in node.children)


def _pipeline(node: Node, found: list[Finding]) -> None:
    heads = [_head(child) for child in node.named_children]
    fetched = False
    for cmd in heads:
        if cmd is None:
            continue
        if fetched and runs_stdin(cmd):
            found.append(Finding("high", f"pipes a download into {cmd.name}: runs unseen code"))
        fetched = fetched or cmd.name in DOWNLOADERS
    argvs = [cmd.argv or cmd.wrappers[-1:] for cmd in heads if cmd is not None]  # `env |`
    found.extend(pipeline_sends(argvs[:-1], argvs[1:]))


def _fork_bomb(node: Node, found: list[Finding]) -> None:
    name_node = node.child_by_field_name("name")
    body = node.child_by_field_name("body")
    if name_node is None or body is None:
        return
    name = text(name_node)
    calls = sum(1 for n in _descendants(body) if n.type == "command" and _calls(n, name))
    background = any(n.type == "&" for n in _descendants(body))
    if calls and (
        background or calls > 1 and any(n.type == "pipeline" for n in _descendants(body))
    ):
        found.append(Finding("high", f"fork bomb: function {name} starts copies of itself"))


def _calls(node: Node, name: str) -> bool:
    argv = argv_of(node)
    return bool(argv) and argv[0] == name


def _descendants(node: Node) -> list[Node]:
    out = []
    stack = list(node.children)
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.children)
    return out


def _command(node: Node, found: list[Finding], depth: int) -> None:
    cmd = unwrap(argv_of(node))
    if "sudo" in cmd.wrappers or "doas" in cmd.wrappers:
        root = "opens a root shell" if cmd.name in ("sudo", "doas") else f"runs {cmd.name} as root"
        found.append(Finding("medium", f"{root} (sudo)"))
    if not cmd.argv:
        return
    name = cmd.name
    if name in SHELLS or name in SOURCING:
        nested = [c for c in node.children if c.type in ("command_substitution",
                  "process_substitution") or c.type in ("string", "concatenation")]  # fmt: skip
        if any(_downloads(c) for c in nested):
            found.append(Finding("high", f"{name} runs a script straight from a download"))
        script = inline_script(cmd)
        if script is not None and depth < MAX_DEPTH:
            found.extend(findings(script, depth + 1))
    rule = rule_for(name)
    if rule is not None:
        found.extend(rule(cmd.argv, cmd.from_input))


def _walk(node: Node, found: list[Finding], depth: int) -> None:
    if node.type == "command":
        _command(node, found, depth)
    elif node.type == "pipeline":
        _pipeline(node, found)
    elif node.type == "function_definition":
        _fork_bomb(node, found)
    elif node.type == "file_redirect":
        found.extend(_redirect(node))
    elif node.type == "redirected_statement" and depth < MAX_DEPTH:
        found.extend(_heredoc_script(node, depth))
        found.extend(nodes.input_sent(node))
    elif node.type in ("variable_assignment", "unset_command"):
        found.extend(nodes.variables(node))
    for child in node.children:
        _walk(child, found, depth)


def _heredoc_script(node: Node, depth: int) -> list[Finding]:
    """`bash <<EOF … EOF` runs the here-document: judge it as a script."""
    head = _head(node)
    if head is None or not runs_stdin(head) or head.name not in SHELLS:
        return []
    bodies = [n for n in _descendants(node) if n.type == "heredoc_body"]
    return [f for body in bodies for f in findings(text(body), depth + 1)]


def _redirect(node: Node) -> list[Finding]:
    operator = next((c.type for c in node.children if not c.is_named), "")
    destination = node.child_by_field_name("destination")
    if destination is None or operator not in (">", ">|", "&>", ">>", "&>>", ">&"):
        return []
    if operator == ">&" and text(destination).isdigit() or text(destination) == "-":
        return []  # 2>&1, >&-: file descriptors, not files
    return redirect_findings(text(destination), append=operator.endswith(">>"))
