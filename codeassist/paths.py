"""Where codeassist keeps its files: computed when called, never at import.

`CODEASSIST_HOME` moves every directory codeassist writes (tests use it). `make` creates a
folder in them and keeps codeassist's own folder private to the user (0700): the caches hold
excerpts of the user's code and the prompts' KV state, the state folder the REPL's history.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

APP = "codeassist"


def _dir(sub: str, platform_dir: str) -> Path:
    """`$CODEASSIST_HOME/sub`, else the platform's own directory of that kind."""
    if home := os.environ.get("CODEASSIST_HOME"):
        return Path(home).expanduser() / sub
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no XDG_RUNTIME_DIR (ssh, containers): its /tmp fallback
        return Path(getattr(platformdirs, platform_dir)(APP))


def data_dir() -> Path:
    """Models and other durable data."""
    return _dir("data", "user_data_dir")


def cache_dir() -> Path:
    """Caches that can be rebuilt (context tags, review results)."""
    return _dir("cache", "user_cache_dir")


def config_dir() -> Path:
    return _dir("config", "user_config_dir")


def state_dir() -> Path:
    """History files (REPL) and the like."""
    return _dir("state", "user_state_dir")


def runtime_dir() -> Path:
    """Sockets of the resident server; private to the user."""
    return _dir("run", "user_runtime_dir")


def runtime_fallback() -> Path:
    """Where sockets go when the runtime dir cannot be used (no XDG_RUNTIME_DIR, another owner)."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"


def models_dir() -> Path:
    return data_dir() / "models"


def config_file() -> Path:
    return config_dir() / "config.toml"


def make(folder: Path) -> Path:
    """Make `folder` (and its parents); the codeassist folder it lies in is the user's alone."""
    for root in (cache_dir(), state_dir(), data_dir(), config_dir()):
        if folder == root or root in folder.parents:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if root.stat().st_mode & 0o077:  # made before, under the umask
                with contextlib.suppress(OSError):  # not the user's own: left as it is
                    os.chmod(root, 0o700)
            break
    folder.mkdir(parents=True, exist_ok=True)
    return folder
