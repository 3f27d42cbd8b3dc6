"""What a shell runs besides its arguments: its input, as a pipe, a redirect or a here-document.

`curl … | sh`, `echo cm0gLXJmIH4= | base64 -d | sh`, `bash < <(…)`, `bash <(…)`, `sh <<EOF`: the
text a shell (or `source`) runs is judged as a script when the line tells what it is (literal
text, decoded by codeassist/safety/decode.py), and is a risk of its own when it does not: a
download, decoded data no one has read, the network. codeassist/safety/shell.py walks the tree
and calls these where the structure is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist import syntax
from codeassist.safety import decode, expand, inline
from codeassist.safety.argv import (
    MAX_DEPTH,
    SHELLS,
    Command,
    argv_of,
    shell_options,
    text,
    unwrap,
)
from codeassist.safety.expand import Line, Output
from codeassist.safety.risk import Finding
from codeassist.safety.rules_exfil import pipeline_sends

if TYPE_CHECKING:
    from tree_sitter import Node

SCRIPTING = frozenset({"python", "python3", "perl", "ruby", "node", "php"})
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "xhs"})
SOURCING = frozenset({"source", ".", "eval"})
STDIN_FILES = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})  # a script path: the input
_SHOWN = 80  # characters of a decoded script quoted in a reason


def head(node: Node) -> Command | None:
    """The command a pipeline element runs (the first simple command inside it); of a
    redirected statement, the command its redirects are for (`a | sh < f`: sh)."""
    if node.type == "command":
        return unwrap(argv_of(node))
    if node.type == "redirected_statement":
        body = expand.redirected(node)
        body = body.named_children[-1] if body is not None and body.type == "pipeline" else body
        return head(body) if body is not None else None
    for child in node.children:
        if child.type in ("command_substitution", "process_substitution"):
            continue
        found = head(child)
        if found is not None:
            return found
    return None


def runs_stdin(cmd: Command) -> bool:
    """Does this command execute the script it reads on standard input?"""
    name = cmd.name
    if name in SHELLS:
        letters, operands = shell_options(cmd.args)  # `bash -s -- ARG` reads it, `bash f` not
        reads = "s" in letters or not operands or operands[0] in STDIN_FILES
        return "c" not in letters and reads
    if name in ("source", "."):  # `source /dev/stdin`
        return bool(cmd.args) and cmd.args[0] in STDIN_FILES
    if name in SCRIPTING:
        positional = [a for a in cmd.args if not a.startswith("-") or a == "-"]
        reads = not positional or positional[0] == "-" or positional[0] in STDIN_FILES
        # `perl -lane CODE`, `python3 -Ic CODE`: the code comes from the option
        return reads and "-m" not in cmd.args and inline.code_of(cmd) is None
    return False


def reads_code(cmd: Command) -> bool:
    """Does this command run its standard input as shell code (which the rules can read)?"""
    return cmd.name not in SCRIPTING and runs_stdin(cmd)


def downloads(node: Node) -> bool:
    """Is there a downloader anywhere inside this node?"""
    if node.type == "command":
        cmd = unwrap(argv_of(node))
        if cmd.name in DOWNLOADERS:
            return True
    return any(downloads(child) for child in node.children)


def pipeline(elements: list[Node], found: list[Finding], depth: int, line: Line) -> None:
    """A pipeline's elements, in order: what each shell in it runs, secrets sent on."""
    heads = [head(child) for child in elements]
    for k, cmd in enumerate(heads):
        if cmd is not None and k and runs_stdin(cmd):
            found.extend(runs_input(cmd, elements[:k], depth, line))
    argvs = [cmd.argv or cmd.wrappers[-1:] for cmd in heads if cmd is not None]  # `env |`
    found.extend(pipeline_sends(argvs[:-1], argvs[1:]))


def runs_input(cmd: Command, before: list[Node], depth: int, line: Line) -> list[Finding]:
    """A shell or interpreter runs what the pipeline before it writes: judge that, if it can be
    (`echo 'rm -rf ~' | bash`, `echo cm0gLXJmIH4= | base64 -d | sh`); `cat FILE | sh` runs
    FILE, as `sh FILE` does."""
    files = copied_files(before)
    if files is not None:
        return [f for path in files for f in ran_file(cmd, path, depth, line)]
    out = output(before, line)
    plain = out.text is not None and out.resolved and not out.decoded  # as written, all of it
    if inline.is_python(cmd.name) and plain and depth < MAX_DEPTH:
        return python_fed(cmd.name, out.text or "", "(its input)", depth)  # `echo CODE | python3`
    return runs_output(cmd.name, read_by(cmd, out), depth)


def python_fed(name: str, code: str, how: str, depth: int) -> list[Finding]:
    """Python code a line hands an interpreter on stdin, judged as Python."""
    from codeassist.safety.shell import findings

    return inline.python_code(name, code, lambda script: findings(script, depth + 1), how)


def output(elements: list[Node], line: Line) -> Output:
    """What a pipeline's elements write, as far as the line tells (a download's text is not
    read: it is the network's)."""
    heads = [h for h in map(head, elements) if h is not None]
    source = head(elements[-1]) if elements else None
    writer = " ".join(source.argv[:2]) if source is not None and source.argv else "what it reads"
    decoded = any(decode.decodes(h) for h in heads)
    if any(h.name in DOWNLOADERS for h in heads):
        return Output(None, writer, decoded, fetched=True)
    said, used = expand.writes(elements, line)
    return Output(said, writer, decoded, resolved=all(expand.resolved(n, line) for n in used))


def read_by(cmd: Command, out: Output) -> Output:
    """The output as `cmd` reads it: shell code, read here (a shell's, `./x.sh`'s); python's,
    perl's… not."""
    reads = cmd.name not in SCRIPTING
    return out if reads else Output(None, out.writer, out.decoded, out.fetched)


def runs_output(name: str, out: Output, depth: int, path: str = "") -> list[Finding]:
    """`name` runs what `out` holds, through a pipe or from the file `path` the line wrote
    it to: what it decodes to judged, shown too; a download or what no one can read is high."""
    from codeassist.safety.shell import findings

    runs = f"runs {path}, which holds" if path else f"{name} runs"
    if out.fetched:
        what = f"{runs} a download" if path else f"pipes a download into {name}"
        return [Finding("high", f"{what}: runs unseen code")]
    if out.text is None and out.decoded:
        what = f"{runs} decoded text" if path else f"pipes decoded text into {name}"
        return [Finding("high", f"{what}: runs code no one has read")]
    unseen = Finding("medium", f"{runs} the code {out.writer} writes: read it first")
    if out.text is None:
        return [unseen]
    if depth >= MAX_DEPTH:  # a payload that decodes to another, and so on: past reading
        level = "high" if out.decoded else "medium"
        return [Finding(level, f"{runs} code nested too deep to read")]
    judged = findings(out.text, depth + 1)
    if out.decoded:  # what it decodes to, for the reader to see
        judged.insert(0, Finding("low", f"{runs} the decoded text: {shown(out.text)}"))
    return judged if out.resolved else [unseen, *judged]


def shown(script: str) -> str:
    """A script on one line, cut to _SHOWN characters, to quote in a reason."""
    one_line = " ".join(script.split())
    return one_line if len(one_line) <= _SHOWN else one_line[: _SHOWN - 1] + "…"


def ran_file(cmd: Command, path: str, depth: int, line: Line) -> list[Finding]:
    """`cmd` runs the file: judged as what the line wrote to it, if it did (a file the line
    does not write is the user's own, as in `bash script.sh`)."""
    out = line.written(path)
    return runs_output(cmd.name, read_by(cmd, out), depth, path) if out is not None else []


def copied_files(elements: list[Node]) -> list[str] | None:
    """The files `cat FILE…` writes, when that ends the elements (not - or a device)."""
    cmd = head(elements[-1]) if elements else None
    if cmd is None or cmd.name != "cat" or not cmd.args:
        return None
    if any(a.startswith("-") or a.startswith("/dev/") for a in cmd.args):
        return None
    return cmd.args


def substituted(cmd: Command, node: Node, depth: int, line: Line) -> list[Finding]:
    """`bash <(PIPELINE)` and `bash < <(PIPELINE)` run what PIPELINE writes, as
    `PIPELINE | bash` does: judged when the line tells what that is (a download is judged by
    shell._command and stdin_script; other programs' output is not known, and not judged)."""
    inner = node.named_children
    elements = expand.pipeline_elements(inner[0]) if len(inner) == 1 else []
    decoded = any(h is not None and decode.decodes(h) for h in map(head, elements))
    if downloads(node) or not decoded and expand.written(elements, line) is None:
        return []
    return runs_input(cmd, elements, depth, line)


def stdin_script(node: Node, depth: int, line: Line) -> list[Finding]:
    """`bash < FILE` runs FILE as `bash FILE` does: a process substitution is judged as it is
    there; the network (/dev/tcp) is a download."""
    cmd = head(node)
    if cmd is None or not runs_stdin(cmd):
        return []
    inputs = [r for r in node.children if r.type == "file_redirect"
              and any(c.type == "<" for c in r.children) and _on_stdin(r)]  # fmt: skip
    source = inputs[-1].child_by_field_name("destination") if inputs else None
    if source is None:
        return []
    if source.type == "process_substitution":
        if downloads(source):
            return [Finding("high", f"{cmd.name} runs a script straight from a download")]
        return substituted(cmd, source, depth, line)
    path = expand.expand(source, line)
    if path.startswith(("/dev/tcp/", "/dev/udp/")):
        return [Finding("high", f"{cmd.name} runs code read from the network", (path,))]
    return ran_file(cmd, path, depth, line)


def _on_stdin(redirect: Node) -> bool:
    """`< FILE` and `0< FILE` (not `3< FILE`)."""
    descriptor = redirect.child_by_field_name("descriptor")
    return descriptor is None or text(descriptor) == "0"


def heredoc_pipeline(node: Node, found: list[Finding], depth: int, line: Line) -> None:
    """`base64 -d <<EOF | sh`: tree-sitter-bash puts `| sh` inside the here-document's
    redirect; the pipeline is the statement, then what that pipes into."""
    for redirect in node.children:
        pipes = [c for c in redirect.named_children if c.type == "pipeline"]
        if redirect.type == "heredoc_redirect" and pipes:
            pipeline([node, *_flat(pipes[0])], found, depth, line)


def _flat(node: Node) -> list[Node]:
    """The statements of a pipeline, those of a pipeline in it too (`<<EOF | a | b`)."""
    if node.type != "pipeline":
        return [node]
    return [each for child in node.named_children for each in _flat(child)]


def after_heredoc(node: Node) -> bool:
    """Is this pipeline the part after `<<EOF` (judged whole by heredoc_pipeline)?"""
    while node.parent is not None and node.parent.type == "pipeline":
        node = node.parent
    return node.parent is not None and node.parent.type == "heredoc_redirect"


def heredoc_script(node: Node, depth: int, line: Line) -> list[Finding]:
    """`bash <<EOF … EOF` runs the here-document: judge it as a script (as the shell reads
    it: under a bare delimiter, `\\`` is a backquote)."""
    from codeassist.safety.shell import findings

    cmd = head(node)
    python = cmd is not None and inline.is_python(cmd.name) and runs_stdin(cmd)
    if cmd is None or not (reads_code(cmd) or python):
        return []
    redirects = [n for n in syntax.walk(node) if n.type == "heredoc_redirect"]
    texts = [b.decode("utf-8", "replace") for r in redirects
             if (b := expand.heredoc(r, line)) is not None]  # fmt: skip
    if python:  # `python3 - <<'EOF' … EOF`
        return [f for text in texts for f in python_fed(cmd.name, text, "(here-document)", depth)]
    return [f for text in texts for f in findings(text, depth + 1)]


def script_operand(node: Node, cmd: Command) -> Node | None:
    """The process substitution a shell runs as its script, or `source` reads: `bash <(…)`."""
    if cmd.name in SHELLS:
        letters, operands = shell_options(cmd.args)
        if "c" in letters or "s" in letters or not operands:
            return None
        script = operands[0]
    elif cmd.name in ("source", "."):
        script = cmd.args[0] if cmd.args else ""
    else:
        return None
    subs = [n for n in node.children if n.type == "process_substitution" and text(n) == script]
    return subs[0] if subs else None
