"""Files a line writes, then runs: `echo cm0gLXJmIH4= | base64 -d > x.sh && sh x.sh` runs rm -rf ~.

What a redirect writes to a file is kept in the Line (codeassist/safety/expand.py), as
codeassist/safety/feeds.py tells what a pipeline writes, and so is a download `curl -o` writes;
a shell (or `source`, python, `./x.sh`) that runs the file later in the line runs that, judged
as if piped into it. Decoded text written to a file is shown, and is medium when it would be
high risk to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist.safety import expand, feeds
from codeassist.safety.argv import MAX_DEPTH, SHELLS, Command, shell_options, text
from codeassist.safety.expand import Line, Output
from codeassist.safety.risk import Finding
from codeassist.safety.rules import downloaded_files

if TYPE_CHECKING:
    from tree_sitter import Node


def record(redirect: Node, path: str, depth: int, line: Line) -> list[Finding]:
    """Keep what the statement of a `> FILE` redirect writes to FILE; show decoded text."""
    elements = _writers(redirect)
    if not elements:
        return []
    out = _written(elements, redirect, line)
    line.wrote(path, out, append=any(c.type in (">>", "&>>") for c in redirect.children))
    if out is None or not out.decoded or out.text is None or depth >= MAX_DEPTH:
        return []
    from codeassist.safety.shell import findings

    said = [Finding("low", f"writes the decoded text to {path}: {feeds.shown(out.text)}", (path,))]
    high = [f.reason for f in findings(out.text, depth + 1) if f.level == "high"]
    if high:  # hidden code put where it may run later
        reason = f"the decoded text written to {path} is high risk to run ({high[0]})"
        said.append(Finding("medium", reason, (path,)))
    return said


def _writers(redirect: Node) -> list[Node]:
    """The pipeline elements whose output a redirect sends to its file (`a | b > f`: a, b)."""
    statement = redirect.parent
    body = expand.redirected(statement) if statement is not None else None
    if statement is None or body is None or statement.type != "redirected_statement":
        return []
    before: list[Node] = []
    if statement.parent is not None and statement.parent.type == "pipeline":  # `a | b > f | c`
        before = [e for e in statement.parent.named_children if e.end_byte <= statement.start_byte]
    return before + expand.pipeline_elements(body)


def _written(elements: list[Node], redirect: Node, line: Line) -> Output | None:
    """What the elements write to the redirect's file (None: what the line does not tell,
    `cat a.sh > b.sh` a copy of a file the line did not write)."""
    descriptor = redirect.child_by_field_name("descriptor")
    copied = feeds.copied_files(elements)
    if descriptor is not None and text(descriptor) != "1":
        return None  # `2> FILE`: its errors, not its output
    if copied is not None:
        return line.written(copied[0]) if len(copied) == 1 else None
    return feeds.output(elements, line)


def downloads_to(cmd: Command, line: Line) -> None:
    """`curl -o i.sh URL`: i.sh holds a download (as `curl URL > i.sh` makes it)."""
    for path in downloaded_files(cmd.argv):
        line.wrote(path, Output(None, cmd.name, fetched=True))


def script_file(cmd: Command) -> str | None:
    """The file a command runs as its script: `sh FILE`, `source FILE`, `python3 FILE`,
    `./FILE` (a program named by its path)."""
    name = cmd.name
    if name in SHELLS:
        letters, operands = shell_options(cmd.args)
        return operands[0] if operands and not {"c", "s"} & set(letters) else None
    if name in ("source", "."):
        return cmd.args[0] if cmd.args else None
    if name in feeds.SCRIPTING:
        positional = [a for a in cmd.args if not a.startswith("-")]
        return positional[0] if positional and not {"-c", "-e", "-m"} & set(cmd.args) else None
    return cmd.argv[0] if cmd.argv and "/" in cmd.argv[0] else None


def runs_file(cmd: Command, depth: int, line: Line) -> list[Finding]:
    """`sh x.sh`, `source x.sh`, `./x.sh`: judged as what the line wrote to x.sh, if it did."""
    path = script_file(cmd)
    return feeds.ran_file(cmd, path, depth, line) if path is not None else []
