"""The user's shell, one answer for every part of codeassist: $SHELL, else /bin/sh."""

from __future__ import annotations

import os
from pathlib import Path


def user_shell() -> str:
    """The shell's executable: $SHELL when it exists, else /bin/sh."""
    shell = os.environ.get("SHELL", "")
    return shell if shell and Path(shell).is_file() else "/bin/sh"


def shell_name() -> str:
    """Its name (bash, zsh, fish…), as a prompt or a checker wants it."""
    return Path(user_shell()).name
