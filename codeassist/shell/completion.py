"""Tab completion for bash, zsh and fish: a static script made from the click command tree.

Generated once, when `codeassist shell-init` runs (at shell start): commands, options, the
fixed values of --lang, --type and the shell argument, model names from the manifests, and
file names for --db, --schema and path options. A Tab then costs no process: asking the
program at each Tab (click's own completion) means a Python start of 0.1-0.3 s per Tab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codeassist.errors import UsageError

if TYPE_CHECKING:
    import click

FILES = "<files>"  # complete file names
# Copies, so a shell start imports neither the pipeline nor the review (a test keeps them equal):
LANGUAGES = ("python", "sql", "shell", "auto")  # pipeline.language.LANGUAGES and auto
HOOK_TYPES = ("pre-commit", "prepare-commit-msg")  # review.hooks.TYPES
_FILE_OPTIONS = frozenset({"--db", "--schema", "--socket"})
_SAFE = re.compile(r"[^\w .,:;()/+-]")  # what a description keeps: no quote, no $ or `


@dataclass
class Option:
    names: list[str]
    help: str
    values: list[str] | None = None  # None: a flag; []: a free value; FILES: file names


@dataclass
class Node:
    """One command: its subcommands, options and the values of its positional argument."""

    path: tuple[str, ...]
    help: str = ""
    commands: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)


def values() -> dict[str, list[str]]:
    """Fixed values by option or argument name."""
    from codeassist.models.manifest import manifests
    from codeassist.shell.widgets import SHELLS

    try:
        models = sorted(manifests())
    except Exception:  # a broken manifest must not break the user's shell start
        models = []
    return {
        "--lang": list(LANGUAGES), "--model": models, "--type": list(HOOK_TYPES),
        "shell": list(SHELLS), "names": models, "name": models,
    }  # fmt: skip


def nodes(root: click.Command, table: dict[str, list[str]] | None = None) -> list[Node]:
    """Every command of the tree, parents before children."""
    import click

    table = values() if table is None else table
    found: list[Node] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        node = Node(path, _describe(command.get_short_help_str(80) if path else ""))
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                node.options.append(_option(param, table))
            elif isinstance(param, click.Argument) and param.name in table:
                node.arguments = table[param.name or ""]
        node.options.append(Option(["--help", "-h"], "Show the help and exit."))
        found.append(node)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                if not sub.hidden:
                    node.commands.append(name)
                    walk(sub, (*path, name))

    walk(root, ())
    return found


def script(shell: str, root: click.Command, prog: str = "codeassist") -> str:
    """The completion script for `shell`."""
    from codeassist.shell import completion_scripts as scripts

    render = {"bash": scripts.bash, "zsh": scripts.zsh, "fish": scripts.fish}.get(shell)
    if render is None:
        raise UsageError(f"unknown shell {shell!r}", hint="use bash, zsh or fish")
    return render(nodes(root), prog)


def _option(param: click.Option, table: dict[str, list[str]]) -> Option:
    import click

    names = [*param.opts, *param.secondary_opts]
    help_text = _describe(param.help or "")
    if param.is_flag or param.count:
        return Option(names, help_text)
    if any(n in _FILE_OPTIONS for n in names) or isinstance(param.type, click.Path):
        return Option(names, help_text, [FILES])
    if isinstance(param.type, click.Choice):
        return Option(names, help_text, [str(c) for c in param.type.choices])
    return Option(names, help_text, next((table[n] for n in names if n in table), []))


def _describe(text: str) -> str:
    """One short line, without characters that would need quoting in a shell."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return _SAFE.sub("", line)[:70]
