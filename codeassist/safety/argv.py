"""Command lines as argv: parse with tree-sitter-bash, peel wrappers, list what runs.

One parser of command lines for the risk rules (codeassist/safety/shell.py) and the shell
checks (codeassist/verify/shell.py): a simple command becomes its argv with wrappers such as
sudo, env, xargs or timeout peeled off, so `sudo -u www-data systemctl restart nginx` runs
systemctl and `env -C /srv make` runs make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codeassist import syntax

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_DEPTH = 4  # nested `sh -c` / `eval` strings parsed before giving up

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "ash", "mksh"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})

# wrappers: program -> options that take a separate value
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir"}),
    "xargs": frozenset({"-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a", "--delimiter"}),
    "nohup": frozenset(),
    "time": frozenset(),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "setsid": frozenset(),
    "unbuffer": frozenset(),
    "watch": frozenset({"-n", "--interval"}),
    "chroot": frozenset(),
}
_FIRST_POSITIONAL = frozenset({"timeout", "chroot"})  # the duration, the new root
ARG_NODES = frozenset({
    "word", "string", "raw_string", "concatenation", "simple_expansion", "expansion", "number",
    "command_substitution", "process_substitution", "ansi_c_string", "translated_string",
    "arithmetic_expansion", "brace_expression",
})  # fmt: skip
_UNKNOWABLE = frozenset("$`*?(){}<>")  # a name built from these is known only when it runs


@dataclass
class Command:
    """A simple command once its wrappers are peeled off."""

    argv: list[str]
    wrappers: list[str] = field(default_factory=list)
    from_input: bool = False  # arguments come from stdin (xargs)

    @property
    def name(self) -> str:
        return program(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> list[str]:
        return self.argv[1:]


def program(word: str) -> str:
    """`/usr/bin/rm` and `\\rm` are rm."""
    return word.lstrip("\\").rsplit("/", 1)[-1] if word else word


def text(node: Node) -> str:
    """The word a node stands for, quotes removed (expansions kept as written)."""
    raw = (node.text or b"").decode("utf-8", "replace")
    if node.type == "string" and len(raw) >= 2:
        return raw[1:-1]
    if node.type == "raw_string" and len(raw) >= 2:
        return raw[1:-1]
    if node.type == "ansi_c_string" and len(raw) >= 3:
        return raw[2:-1]
    if node.type == "concatenation":
        return "".join(text(child) for child in node.children)
    if node.type == "word":
        return raw.replace("\\", "")
    return raw


def argv_of(node: Node) -> list[str]:
    """The words of a `command` node: its name and arguments, no assignments or redirects."""
    return [word for _, word in words_of(node)]


def words_of(node: Node) -> list[tuple[str, str]]:
    """argv_of with each word also as written: (source text, word with quotes removed)."""
    nodes: list[Node] = []
    for child in node.children:
        if child.type == "command_name":
            nodes.extend(child.children)
        elif child.type in ARG_NODES:
            nodes.append(child)
    return [((n.text or b"").decode("utf-8", "replace"), text(n)) for n in nodes]


def unwrap(argv: list[str]) -> Command:
    """Peel sudo, env, xargs, nohup, timeout… off the front of an argv."""
    cmd = Command(list(argv))
    while cmd.argv and cmd.name in WRAPPERS:
        name, rest = cmd.name, cmd.argv[1:]
        if name == "command" and any(a in ("-v", "-V") for a in rest[:1]):
            return Command([])  # `command -v x` only looks x up
        i = wrapper_length(cmd.argv) - 1
        cmd.wrappers.append(name)
        cmd.from_input = cmd.from_input or name == "xargs"
        if name in ("sudo", "doas") and i >= len(rest):
            cmd.argv = [name]
            return cmd
        cmd.argv = rest[i:]
    return cmd


def wrapper_length(argv: list[str]) -> int:
    """How many words the wrapper at the front of argv takes, its options included (0: none)."""
    name = program(argv[0]) if argv else ""
    if name not in WRAPPERS:
        return 0
    rest, takes_value, i = argv[1:], WRAPPERS[name], 0
    while i < len(rest) and rest[i].startswith("-") and rest[i] != "-":
        if rest[i] == "--":
            i += 1
            break
        i += 2 if rest[i] in takes_value else 1
    if name == "env":
        while i < len(rest) and "=" in rest[i] and not rest[i].startswith("="):
            i += 1
    if name in _FIRST_POSITIONAL and i < len(rest):
        i += 1
    return 1 + min(i, len(rest))


def inline_script(cmd: Command) -> str | None:
    """The script of `bash -c 'SCRIPT'` or `eval 'SCRIPT'`."""
    if cmd.name == "eval":
        return " ".join(cmd.args)
    if cmd.name in SHELLS and "-c" in cmd.args:
        after = cmd.args[cmd.args.index("-c") + 1 :]
        return after[0] if after else None
    return None


def _find_exec(cmd: Command) -> list[Command]:
    """The commands `find … -exec CMD … ;` runs."""
    if cmd.name != "find":
        return []
    found, args = [], cmd.args
    for i, arg in enumerate(args):
        if arg in FIND_EXEC:
            end = next((j for j in range(i + 1, len(args)) if args[j] in (";", "+")), len(args))
            found.append(unwrap(args[i + 1 : end]))
    return found


def _scan(code: str, depth: int, found: list[Command], defined: set[str]) -> None:
    """Every simple command of `code` into `found`, the functions and aliases into `defined`."""
    for node in syntax.walk(syntax.parser("bash").parse(code.encode("utf-8")).root_node):
        if node.type == "function_definition":
            defined.add(syntax.text_of(node.child_by_field_name("name")))
        if node.type != "command":
            continue
        argv = argv_of(node)
        if argv[:1] == ["alias"]:
            defined.update(a.split("=", 1)[0] for a in argv[1:] if "=" in a)
        cmd = unwrap(argv)
        for each in [cmd, *_find_exec(cmd)]:
            found.append(each)
            script = inline_script(each)
            if script is not None and depth < MAX_DEPTH:
                _scan(script, depth + 1, found, defined)


def commands(code: str) -> list[Command]:
    """Every simple command a command line runs, in order, `sh -c` and `eval` scripts too."""
    found: list[Command] = []
    _scan(code, 0, found, set())
    return found


def programs(code: str) -> list[str]:
    """The programs a command line runs, wrappers included, in order and each once.

    Left out: functions and aliases the code defines, and names built from expansions or
    globs (what they are is known only when the line runs).
    """
    found: list[Command] = []
    defined: set[str] = set()
    _scan(code, 0, found, defined)
    names = [w for cmd in found for w in [*cmd.wrappers, *cmd.argv[:1]]]
    known = [n for n in names if n and not _UNKNOWABLE.intersection(n) and n not in defined]
    return list(dict.fromkeys(known))
