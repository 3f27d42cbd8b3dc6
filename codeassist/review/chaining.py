"""Run the hook that codeassist's hook replaced as if git still ran it by its own name.

The previous hook is moved aside to `<kind>.codeassist-chained`. Many hooks work out which
hook they are, and where their helpers lie, from `$0`: husky 4 (`basename "$0"`, then
`. "$(dirname "$0")/husky.sh"`), husky 9 (`.husky/_/h` runs `.husky/$(basename "$0")`), a
script linked under several hook names. Run under the new name, they find nothing to do and
exit 0: the checks they stand for stop, silently. So a shell script (a `#!` line naming sh,
bash, dash, zsh, ksh, or no `#!` line, which git runs with /bin/sh) is read by its own shell
with `$0` set to the hook's own path, as git gave it. Any other hook (Python, Ruby, a binary)
is run directly: its `$0` is the moved file's path.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "ash")
_OPTION = re.compile(r"[-+][A-Za-z]+")  # `#!/bin/sh -e`: options a shell also takes with -c
_HEAD_BYTES = 1024  # enough to tell text from a binary, and to read a `#!` line
ENV_VAR = "CODEASSIST_CHAINED"

# The chained hook is sourced by `shell -c` with "$0" (this hook's path) as the shell's $0 and
# git's arguments as "$@"; its `exit` ends that shell and its status stands. zsh would set $0
# to the sourced file's name, unless function_argzero is off (then $0 is as in bash).
_DIRECT = '    "$chained" "$@"'
_SOURCED = '    {var}="$chained" {shell} -c {code} "$0" "$@"'


def shell_of(path: Path) -> list[str] | None:
    """The shell and options that run the hook at `path`; None when it is not a shell script."""
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError:
        return None
    if b"\0" in head:  # a binary: the kernel runs it, not a shell
        return None
    if not head.startswith(b"#!"):  # git runs a text file with no `#!` line with /bin/sh
        return ["/bin/sh"]
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    if words and PurePosixPath(words[0]).name == "env":
        words = words[1:]
        while words and words[0].startswith("-"):  # env -S: the shell's own options follow
            words = words[1:]
    if not words or PurePosixPath(words[0]).name not in SHELLS:
        return None
    if not all(_OPTION.fullmatch(word) for word in words[1:]):
        return None
    return words


def command(shell: list[str] | None) -> str:
    """The line of the generated hook that runs "$chained" (its status is the line's)."""
    if shell is None:
        return _DIRECT
    prefix = "setopt no_function_argzero; " if PurePosixPath(shell[0]).name == "zsh" else ""
    code = f'{prefix}. "${ENV_VAR}"'
    return _SOURCED.format(
        var=ENV_VAR, shell=" ".join(shlex.quote(w) for w in shell), code=shlex.quote(code)
    )
