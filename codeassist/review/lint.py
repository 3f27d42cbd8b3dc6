"""ShellCheck's warnings of behaviour (verify/shell_lint.py) on the lines a change adds to a
shell script: `ls | grep`, `find -o` without grouping, `find | rm`, and the rest of its list."""

from __future__ import annotations

from codeassist.review.diff import FileChange
from codeassist.review.findings import Finding
from codeassist.terminal import one_line
from codeassist.verify import shell_lint

# a script without a #! line, by its name; with one, ShellCheck reads the line (not zsh)
DIALECTS = {".sh": "bash", ".bash": "bash", ".ksh": "ksh", ".dash": "dash"}


def check(change: FileChange) -> list[Finding]:
    """Findings on the added lines of a shell script; none where ShellCheck cannot say."""
    lines = change.added_lines
    shebang = change.new_text.startswith("#!")
    dialect = "" if shebang else DIALECTS.get(change.suffix)
    if not lines or dialect is None or (shebang and not _shell(change.new_text)):
        return []
    found = shell_lint.findings(change.new_text, dialect) or []
    return [
        Finding(change.path, f.line, "warning", one_line(f"{f.message} (SC{f.code})"), "shellcheck")
        for f in found
        if f.line in lines
    ]


def _shell(text: str) -> bool:
    """Does the #! line run a shell ShellCheck reads (not python, not zsh)?"""
    words = [w.rsplit("/", 1)[-1] for w in text.split("\n", 1)[0][2:].split()]
    if words[:1] == ["env"]:  # `/usr/bin/env bash`, `/usr/bin/env -S bash -e`
        words = [w for w in words[1:] if not w.startswith("-")]
    return bool(words) and words[0] in ("sh", "bash", "dash", "ksh")
