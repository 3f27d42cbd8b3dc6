"""Where codeassist keeps its files: computed when called, never at import.

`CODEASSIST_HOME` moves every directory codeassist writes (tests use it).
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "codeassist"


def _home() -> Path | None:
    home = os.environ.get("CODEASSIST_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    """Models and other durable data."""
    if home := _home():
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    """Caches that can be rebuilt (context tags, review results)."""
    if home := _home():
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP))


def config_dir() -> Path:
    if home := _home():
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP))


def state_dir() -> Path:
    """History files (REPL) and the like."""
    if home := _home():
        return home / "state"
    import platformdirs

    return Path(platformdirs.user_state_dir(APP))


def runtime_dir() -> Path:
    """Sockets of the resident server; private to the user."""
    if home := _home():
        return home / "run"
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no XDG_RUNTIME_DIR (ssh, containers): its /tmp fallback
        return Path(platformdirs.user_runtime_dir(APP))


def models_dir() -> Path:
    return data_dir() / "models"


def config_file() -> Path:
    return config_dir() / "config.toml"
