"""Shell risk: walk the tree-sitter-bash syntax tree of a command line.

Every simple command (in lists, pipelines, subshells, command substitutions, `sh -c` and
`eval` strings, `ssh HOST COMMAND`, aliases, traps, `find -exec`, and the code of `python3 -c`,
`perl -e` and awk: codeassist/safety/inline.py) is expanded as far as the
line tells (codeassist/safety/expand.py), reduced to its argv, wrappers such as sudo, env and
xargs are peeled off (codeassist/safety/argv.py), and the per-program rules of
codeassist/safety/rules.py judge what is left. Redirections and function definitions are
judged here, where their structure is visible; what a shell runs from its input (a pipe, `<`,
a here-document, `<(…)`) in codeassist/safety/feeds.py; a file the line writes, then runs, in
codeassist/safety/files.py. Lines are parsed with backquotes (and empty `$( )`) read as bash
reads them (codeassist/safety/backticks.py).
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import TYPE_CHECKING

from codeassist.safety import backticks, decode, expand, feeds, files, inline, nodes
from codeassist.safety.argv import (
    MAX_DEPTH,
    SHELLS,
    Command,
    argv_of,
    find_exec,
    remote_script,
    shell_script,
    text,
    unwrap,
    word_nodes,
)
from codeassist.safety.expand import Line, script_line
from codeassist.safety.paths import Where, normalise, where
from codeassist.safety.risk import SHELL_PARSE_ERROR, Finding
from codeassist.safety.rules import (
    FIND_DELETERS,
    every_file,
    find_scope,
    redirect_findings,
    rule_for,
    unknown_program,
)

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

ROOT_WRAPPERS = ("sudo", "doas", "pkexec", "run0")
CODE_VARIABLES = frozenset({"PROMPT_COMMAND"})  # the shell runs their value before each prompt
# A program name with an expansion or a glob is known only when it runs (a `$` alone is text).
_DYNAMIC = re.compile(r"\$[\w{(@*#?!$-]|`|[*?]")


# What an unfinished line may lack at its end; the shell would wait for it (PS2), and the
# user's Enter would supply it. `rm -rf "/` is judged as `rm -rf "/"`.
CLOSERS = ('"', "'", "`", ")", "}", '")', "')", '"}', "))", "\n}")


def findings(command: str, depth: int = 0, line: Line | None = None) -> list[Finding]:
    """Every rule that matches somewhere in the command line (an unclosed one as if closed)."""
    found: list[Finding] = []
    with decode.one_line() if depth == 0 else nullcontext():  # one budget for the whole line
        tree = _parse(command)
        if tree.root_node.has_error:
            found.append(Finding("medium", SHELL_PARSE_ERROR))
            tree = next((t for t in map(_parse, (command + c for c in CLOSERS))
                         if not t.root_node.has_error), tree)  # fmt: skip
        _walk(tree.root_node, found, depth, line if line is not None else Line())
    return found


def _parse(command: str) -> Tree:
    return backticks.parse(command)


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


def _command(node: Node, found: list[Finding], depth: int, line: Line) -> None:
    cmd = unwrap(expand.argv(node, line))
    name = cmd.name
    if name in SHELLS or name in feeds.SOURCING:
        nested = [c for c in node.children if c.type in ("command_substitution",
                  "process_substitution") or c.type in ("string", "concatenation")]  # fmt: skip
        if any(feeds.downloads(c) for c in nested):
            found.append(Finding("high", f"{name} runs a script straight from a download"))
    script = feeds.script_operand(node, cmd)
    if script is not None and not feeds.downloads(
        script
    ):  # `bash <(echo cm0gLXJmIH4= | base64 -d)`
        found.extend(feeds.substituted(cmd, script, depth, line))
    found.extend(files.runs_file(cmd, depth, line))  # `… > x.sh && sh x.sh`
    reads = (name in SHELLS or name in feeds.SOURCING) and feeds.runs_stdin(cmd)
    python = inline.is_python(name) and feeds.runs_stdin(cmd)
    if (reads or python) and depth < MAX_DEPTH:  # `sh <<< 'SCRIPT'`, `python3 <<< 'CODE'`
        strings = [c.named_children[-1] for c in node.children
                   if c.type == "herestring_redirect" and c.named_children]  # fmt: skip
        for string in strings:
            text = expand.expand(string, line)
            if python:
                found.extend(feeds.python_fed(name, text, "(here-string)", depth))
            else:
                found.extend(findings(text, depth + 1))
    _judge(cmd, found, depth, line, bool(_DYNAMIC.search(name)) and _literal_name(node, cmd))


def _literal_name(node: Node, cmd: Command) -> bool:
    """Is the program's name as written (`\\`date\\``: a backquote escaped is text)?"""
    words = word_nodes(node)
    return bool(words) and not cmd.wrappers and expand.literal(words[0])


def _judge(
    cmd: Command, found: list[Finding], depth: int, line: Line, literal: bool = False
) -> None:
    """One simple command, expanded and unwrapped: the rules for its program, and the scripts
    it runs (`sh -c`, `eval`, `ssh HOST CMD`, an alias, a trap, `find -exec`) judged too.
    `literal`: its name is text as written, whatever `$` or backquote it holds."""
    root = next((w for w in cmd.wrappers if w in ROOT_WRAPPERS), None)
    if root is not None and cmd.argv:
        what = "opens a root shell" if cmd.name == root else f"runs {cmd.name} as root"
        found.append(Finding("medium", f"{what} ({root})"))
    if not cmd.argv:
        return
    name = cmd.name
    if _DYNAMIC.search(name) and not literal:
        found.extend(unknown_program(cmd.argv, cmd.from_input))
        return
    if depth < MAX_DEPTH:
        for script, inner in _scripts(cmd, line):
            found.extend(findings(script, depth + 1, inner))
        found.extend(_find_execs(cmd, depth))
        found.extend(inline.findings(cmd, lambda script: findings(script, depth + 1)))
    if name in ("cd", "pushd"):
        _change_directory(cmd, line)
    if name in feeds.DOWNLOADERS:  # `curl -o i.sh URL && sh i.sh`
        files.downloads_to(cmd, line)
    rule = rule_for(name)
    if rule is not None:
        found.extend(rule(cmd.argv, cmd.from_input))


def _scripts(cmd: Command, line: Line) -> list[tuple[str, Line]]:
    """The scripts a command runs, now or later, each with what its shell knows."""
    found: list[tuple[str, Line]] = []
    inline = shell_script(cmd)
    if inline is not None:
        script, parameters = inline
        if cmd.from_input:  # `xargs -I{} sh -c 'rm -rf {}'`: {} is whatever the input says
            script = script.replace("{}", '"$XARGS_INPUT"')
        found.append((script, line.inner() if cmd.name == "eval" else script_line(parameters)))
    remote = remote_script(cmd)
    if remote is not None:
        found.append((remote, Line()))  # `ssh HOST rm -rf ~`: the other machine's shell
    if cmd.name == "alias":  # `alias ls='rm -rf ~'`: what every later `ls` runs
        found += [(a.split("=", 1)[1], line.inner()) for a in cmd.args if "=" in a]
    if cmd.name == "trap":  # `trap 'SCRIPT' EXIT`: run when the shell exits or is signalled
        words = [a for a in cmd.args if a != "--"]
        if len(words) >= 2 and words[0] and not words[0].startswith("-"):
            found.append((words[0], line.inner()))
    return found


def _find_execs(cmd: Command, depth: int) -> list[Finding]:
    """`find ROOT -exec CMD {} ;` runs CMD on every file under ROOT: CMD is judged on ROOT, or
    on a file under it when a test narrows the files (rm and shred are the find rule's own,
    as -delete is)."""
    if cmd.name != "find":
        return []
    roots, _, filtered = find_scope(cmd.argv)
    found: list[Finding] = []
    for each in find_exec(cmd):
        if not each.argv or each.name in FIND_DELETERS:
            continue
        for root in roots:
            # a filtered find hands CMD some files under ROOT; an unfiltered one, all of ROOT
            target = f"{root.rstrip('/')}/FILE" if filtered else root
            applied = Command([w.replace("{}", target) for w in each.argv], list(each.wrappers))
            judged: list[Finding] = []
            _judge(applied, judged, depth + 1, Line())
            found.extend(every_file(root, filtered, each.name, judged))
    return found


def _change_directory(cmd: Command, line: Line) -> None:
    """`cd ~/.ssh && echo KEY >> authorized_keys`: relative paths after it are under ~/.ssh."""
    target = next((a for a in cmd.args if not a.startswith("-")), "~")
    if target.startswith("/") or where(target) in (Where.HOME, Where.HOME_FILES):
        line.cwd = target
    elif _DYNAMIC.search(target) or cmd.args[:1] == ["-"]:
        line.cwd = ""  # somewhere the line does not tell
    else:
        line.cwd = normalise(f"{line.cwd}/{target}") if line.cwd else target


def _remember(node: Node, found: list[Finding], depth: int, line: Line) -> None:
    """Keep what an assignment tells for the words after it; judge code kept in a variable."""
    if node.type == "unset_command":
        for child in node.named_children:
            line.assign(text(child), None)
        return
    name_node, value_node = node.child_by_field_name("name"), node.child_by_field_name("value")
    if name_node is None:
        return
    name = text(name_node)
    value = expand.expand(value_node, line) if value_node is not None else ""
    if node.parent is None or node.parent.type != "command":  # `x=1 cmd`: for cmd alone
        literal = value_node is None or value_node.type != "array"
        line.assign(name, value if literal else None, any(c.type == "+=" for c in node.children))
    if name in CODE_VARIABLES and depth < MAX_DEPTH:  # `PROMPT_COMMAND='rm -rf ~'`
        found.extend(findings(value, depth + 1, line.inner()))


def _walk(node: Node, found: list[Finding], depth: int, line: Line) -> None:
    if node.type == "command":
        _command(node, found, depth, line)
    elif node.type == "pipeline" and not feeds.after_heredoc(node):
        feeds.pipeline(node.named_children, found, depth, line)
    elif node.type == "function_definition":
        _fork_bomb(node, found)
    elif node.type == "file_redirect":
        found.extend(_redirect(node, depth, line))
    elif node.type == "command_substitution" and depth < MAX_DEPTH:
        nested = backticks.nested(node)  # `echo `echo \`rm -rf /\``: bash runs the inner one
        found.extend(findings(nested, depth + 1, line.inner()) if nested is not None else [])
    elif node.type in ("variable_assignment", "unset_command"):
        found.extend(nodes.variables(node))
        _remember(node, found, depth, line)
    for child in node.children:
        _walk(child, found, depth, line)
    if node.type == "redirected_statement" and depth < MAX_DEPTH:
        _fed(node, found, depth, line)


def _fed(node: Node, found: list[Finding], depth: int, line: Line) -> None:
    """What a redirected statement's command is fed: a here-document, a file, `<(…)`. Judged
    after its body (`a > x.sh && sh < x.sh`: tree-sitter-bash puts `< x.sh` around both)."""
    found.extend(feeds.heredoc_script(node, depth, line))
    found.extend(nodes.input_sent(node))
    found.extend(feeds.stdin_script(node, depth, line))
    feeds.heredoc_pipeline(node, found, depth, line)


def _redirect(node: Node, depth: int, line: Line) -> list[Finding]:
    operator = next((c.type for c in node.children if not c.is_named), "")
    destination = node.child_by_field_name("destination")
    if destination is None or operator not in (">", ">|", "&>", ">>", "&>>", ">&"):
        return []
    path = expand.expand(destination, line)
    if operator == ">&" and path.isdigit() or path == "-":
        return []  # 2>&1, >&-: file descriptors, not files
    written = files.record(node, path, depth, line)  # for a shell that runs it later
    if line.cwd and not path.startswith(("/", "~", "$", "&")):
        path = normalise(f"{line.cwd.rstrip('/')}/{path}")  # after a literal `cd DIR`
    return redirect_findings(path, append=operator.endswith(">>")) + written
