"""Command lines as argv: parse with tree-sitter-bash, peel wrappers, list what runs.

One parser of command lines for the risk rules (codeassist/safety/shell.py) and the shell
checks (codeassist/verify/shell.py): a simple command becomes its argv with wrappers such as
sudo, env, xargs or timeout peeled off, so `sudo -u www-data systemctl restart nginx` runs
systemctl and `env -C /srv make` runs make. Launchers that hand a script to a shell become
that shell: `su -c 'SCRIPT'` is judged as `sh -c 'SCRIPT'`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety import backticks
from codeassist.safety.quotes import unescape_ansi as unescape_ansi  # verify/inner.py's too
from codeassist.safety.quotes import unescape_double

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_DEPTH = 4  # nested `sh -c` / `eval` strings parsed before giving up

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "ash", "mksh"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})

# wrappers: program -> options that take a separate value
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
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
    # launchers: as another user, under a lock, on some CPUs, traced, in a namespace, in jobs
    "runuser": frozenset({"-u", "--user", "-g", "--group", "-G", "--supp-group", "-s",
                          "--shell", "-w", "--whitelist-environment"}),
    "pkexec": frozenset({"--user"}),
    "run0": frozenset({"-u", "--user", "-g", "--group", "-D", "--chdir", "--setenv", "--unit",
                       "--property", "--description", "--slice", "--nice"}),
    "systemd-run": frozenset({"-u", "--unit", "-p", "--property", "-E", "--setenv", "--uid",
                              "--gid", "--nice", "--slice", "--description", "-M", "--machine",
                              "-H", "--host", "--working-directory", "--on-calendar"}),
    "busybox": frozenset(),
    "flock": frozenset({"-w", "--wait", "--timeout", "-E", "--conflict-exit-code"}),
    "taskset": frozenset(),
    "chrt": frozenset({"-T", "--sched-runtime", "-P", "--sched-period", "-D",
                       "--sched-deadline"}),
    "strace": frozenset({"-o", "-e", "-p", "-s", "-u", "-E", "-a", "-P", "-b", "-I", "-X", "-O",
                         "-S", "--output", "--signal", "--trace"}),
    "ltrace": frozenset({"-o", "-e", "-p", "-s", "-u", "-a", "-n", "-A", "-D", "-F", "-l",
                         "--output"}),
    "fakeroot": frozenset({"-l", "--lib", "--faked", "-s", "-i", "-b"}),
    "unshare": frozenset({"-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w", "--wd",
                          "--propagation"}),
    "setpriv": frozenset({"--reuid", "--regid", "--groups", "--inh-caps", "--bounding-set"}),
    "eatmydata": frozenset(),
    "torsocks": frozenset(),
    "proxychains": frozenset({"-f"}),
    "proxychains4": frozenset({"-f"}),
    "parallel": frozenset({"-j", "--jobs", "-S", "--sshlogin", "--delay", "--timeout", "-n",
                           "--max-args", "-N", "-L", "--joblog", "--results", "--tmpdir", "-I",
                           "--colsep", "-d", "--delimiter", "-E", "-a", "--arg-file"}),
}  # fmt: skip
# words a wrapper takes after its options, before the command: the duration, the new root…
_POSITIONALS = {"timeout": 1, "chroot": 1, "flock": 1, "taskset": 1, "chrt": 1}
# options with which a wrapper runs no command (`command -v x` only looks x up)
_NO_COMMAND: dict[str, frozenset[str]] = {
    "command": frozenset({"-v", "-V"}),
    "taskset": frozenset({"-p", "--pid"}),
    "chrt": frozenset({"-p", "--pid", "-m", "--max"}),
}
# wrappers that run a command only with one of these options (`runuser -u USER -- CMD`)
_COMMAND_NEEDS: dict[str, frozenset[str]] = {"runuser": frozenset({"-u", "--user"})}
# options whose value a launcher hands to a shell: `su -c 'SCRIPT'` runs `sh -c 'SCRIPT'`
SCRIPT_OPTIONS: dict[str, frozenset[str]] = {
    "su": frozenset({"-c", "--command", "--session-command"}),
    "runuser": frozenset({"-c", "--command", "--session-command"}),
    "script": frozenset({"-c", "--command"}),
    "flock": frozenset({"-c", "--command"}),
    "env": frozenset({"-S", "--split-string"}),
}
# wrappers that hand their command to a shell as one line: `watch 'df -h'`
_VIA_SHELL = frozenset({"watch", "parallel"})
_PARALLEL_INPUTS = frozenset({":::", "::::", ":::+", "::::+"})
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
        return unescape_double(raw[1:-1])
    if node.type == "raw_string" and len(raw) >= 2:
        return raw[1:-1]
    if node.type == "ansi_c_string" and len(raw) >= 3:
        return unescape_ansi(raw[2:-1])
    if node.type == "concatenation":
        return "".join(text(child) for child in node.children)
    if node.type == "word":
        return raw.replace("\\", "")
    return raw


def argv_of(node: Node) -> list[str]:
    """The words of a `command` node: its name and arguments, no assignments or redirects."""
    return [word for _, word in words_of(node)]


def word_nodes(node: Node) -> list[Node]:
    """The nodes of a `command` node's words: its name and arguments."""
    nodes: list[Node] = []
    for child in node.children:
        if child.type == "command_name":
            nodes.extend(child.children)
        elif child.type in ARG_NODES and not _descriptor(child):
            nodes.append(child)
    return nodes


def _descriptor(node: Node) -> bool:
    """Is this the 0 of `sh 0< FILE`? tree-sitter-bash reads it as the command's last
    argument, the redirect after it (after the list, in `a && sh 0< FILE`); bash reads `0<`
    as one redirect, of descriptor 0."""
    after, parent = None, node.parent
    while after is None and parent is not None:
        after, parent = parent.next_sibling, parent.parent
    return (
        node.type == "number"
        and node.next_sibling is None
        and after is not None
        and after.type.endswith("_redirect")
        and after.start_byte == node.end_byte
    )


def words_of(node: Node) -> list[tuple[str, str]]:
    """argv_of with each word also as written: (source text, word with quotes removed)."""
    return [((n.text or b"").decode("utf-8", "replace"), text(n)) for n in word_nodes(node)]


def unwrap(argv: list[str]) -> Command:
    """Peel sudo, env, xargs, nohup, timeout… off the front of an argv.

    A launcher's script option makes it a shell (`su -c 'SCRIPT'` is `sh -c 'SCRIPT'`), and
    `parallel CMD ::: A B` runs CMD with the inputs as its arguments.
    """
    cmd = Command(list(argv))
    while cmd.argv and (cmd.name in WRAPPERS or cmd.name in SCRIPT_OPTIONS):
        name = cmd.name
        size = wrapper_length(cmd.argv) if name in WRAPPERS else len(cmd.argv)
        own, rest = cmd.argv[1:size], cmd.argv[size:]
        runs_nothing = name not in WRAPPERS or _runs_nothing(name, own)
        script = _script_option(name, cmd.argv[1:] if runs_nothing else own + rest[:2])
        if script is not None:  # `su - alice -c 'SCRIPT'`, `flock FILE -c 'SCRIPT'`
            tail = [shlex.quote(w) for w in rest] if name == "env" else []  # env -S 'CMD' ARG
            cmd.wrappers.append(name)
            cmd.argv = ["sh", "-c", " ".join([script, *tail])]
            return cmd
        if name not in WRAPPERS:
            return cmd  # `su alice`: a shell for another user, no command given
        if runs_nothing:
            return Command([], [] if name == "command" else [*cmd.wrappers, name])
        cmd.wrappers.append(name)
        cmd.from_input = cmd.from_input or name == "xargs"
        if name in ("sudo", "doas") and not rest:
            cmd.argv = [name]
            return cmd
        if name == "parallel":
            rest, stdin = _parallel(rest)
            cmd.from_input = cmd.from_input or stdin
        if name in _VIA_SHELL and len(rest) == 1 and any(c.isspace() for c in rest[0]):
            rest = ["sh", "-c", rest[0]]  # `watch 'df -h'`: a shell splits the line
        cmd.argv = rest
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
    i += _POSITIONALS.get(name, 0)
    return 1 + min(i, len(rest))


def _script_option(name: str, words: list[str]) -> str | None:
    """The script a launcher's option carries: `su -c 'SCRIPT'`, `--command=SCRIPT`."""
    options = SCRIPT_OPTIONS.get(name, frozenset())
    for i, word in enumerate(words):
        key, eq, value = word.partition("=")
        if eq and key.startswith("--") and key in options:
            return value
        if word in options and i + 1 < len(words):
            return words[i + 1]
    return None


def _runs_nothing(name: str, own: list[str]) -> bool:
    """Do the wrapper's own options say that it runs no command (`taskset -p PID`)?"""
    flags: set[str] = set()
    for option in own:
        if option.startswith("--"):
            flags.add(option.split("=", 1)[0])
        elif option.startswith("-"):
            flags.update(f"-{c}" for c in option[1:])  # `-cp`: -c and -p
    if name in _COMMAND_NEEDS:
        return not flags & _COMMAND_NEEDS[name]
    return bool(flags & _NO_COMMAND.get(name, frozenset()))


def _parallel(words: list[str]) -> tuple[list[str], bool]:
    """`parallel CMD ::: A B` runs `CMD A` and `CMD B`: the command, the inputs its arguments
    (in place of `{}` where it stands); and whether inputs also come from stdin or a file."""
    cut = next((i for i, w in enumerate(words) if w in _PARALLEL_INPUTS), len(words))
    command, inputs = words[:cut], [w for w in words[cut + 1 :] if w not in _PARALLEL_INPUTS]
    from_input = cut == len(words) or any(w.startswith("::::") for w in words[cut:])
    if len(command) == 1 and any(c.isspace() for c in command[0]):  # `parallel 'rm {}' ::: x`
        joined = " ".join(shlex.quote(i) for i in inputs)
        line = command[0].replace("{}", joined) if "{}" in command[0] else f"{command[0]} {joined}"
        return ["sh", "-c", line], from_input
    if "{}" in command:
        return [i for w in command for i in (inputs if w == "{}" else [w])], from_input
    return command + inputs, from_input


SHELL_VALUED = frozenset({"--rcfile", "--init-file"})  # and each o and O of a short option


def shell_options(args: list[str]) -> tuple[str, list[str]]:
    """A shell's option letters and its operands: `bash -lc 'SCRIPT' NAME ARG` gives
    ("lc", ["SCRIPT", "NAME", "ARG"]). `-o`/`-O` take a value; `--` and `-` end the options."""
    letters, i = "", 0
    while i < len(args) and args[i][:1] in ("-", "+") and args[i] not in ("-", "+"):
        option = args[i]
        i += 1
        if option == "--":
            break
        if option.startswith("--"):
            letters += "c" if option == "--command" else ""  # fish
            i += option in SHELL_VALUED
            continue
        letters += option[1:] if option[0] == "-" else ""
        i += option.count("o", 1) + option.count("O", 1)  # `-eo pipefail`, `+O extglob`
    if i < len(args) and args[i] == "-":
        i += 1
    return letters, args[i:]


def shell_script(cmd: Command) -> tuple[str, list[str]] | None:
    """The script of `bash -c 'SCRIPT' NAME ARGS…` (c in any option cluster, `--` before the
    script too) or of `eval …`, and the words the script gets as $0, $1…"""
    if cmd.name == "eval":
        return " ".join(cmd.args), []
    if cmd.name in SHELLS:
        letters, operands = shell_options(cmd.args)
        if "c" in letters and operands:
            return operands[0], operands[1:]
    return None


def inline_script(cmd: Command) -> str | None:
    """The script of `bash -c 'SCRIPT'` or `eval 'SCRIPT'`."""
    found = shell_script(cmd)
    return found[0] if found is not None else None


_SSH_VALUED = frozenset("BbcDEeFIiJLlmOopQRSWw")  # ssh's options that take a value


def remote_script(cmd: Command) -> str | None:
    """The command line `ssh [OPTIONS] HOST COMMAND…` hands to the other machine's shell."""
    if cmd.name != "ssh":
        return None
    args, i = cmd.args, 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        option = args[i]
        i += 1
        if option == "--":
            break
        valued = next((k for k, c in enumerate(option[1:]) if c in _SSH_VALUED), None)
        i += valued is not None and valued + 2 == len(option)  # `-p 22`, not `-p22`
    words = args[i + 1 :]
    return " ".join(words) if words else None


def find_exec(cmd: Command) -> list[Command]:
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
    for node in syntax.walk(backticks.parse(code).root_node):
        if node.type == "function_definition":
            defined.add(syntax.text_of(node.child_by_field_name("name")))
        if node.type != "command":
            continue
        argv = argv_of(node)
        if argv[:1] == ["alias"]:
            defined.update(a.split("=", 1)[0] for a in argv[1:] if "=" in a)
        cmd = unwrap(argv)
        for each in [cmd, *find_exec(cmd)]:
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
