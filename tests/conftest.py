"""Shared fixtures: every test gets its own codeassist home; the real small model is shared."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import serving
from tests.helpers.cli import SMALL_MODEL, codeassist_exe
from tests.helpers.postgres import postgres_server  # noqa: F401  (a session fixture)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh CODEASSIST_HOME for each test; no user config or env leaks in.

    Tests also start in an empty working directory, so no repository around them (this one)
    becomes context for a prompt.
    """
    home = tmp_path / "codeassist-home"
    monkeypatch.setenv("CODEASSIST_HOME", str(home))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    for var in ("CODEASSIST_MODEL", "CODEASSIST_ENDPOINT", "CODEASSIST_SKIP"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """A models dir holding the real smollm2-135m, installed once with `codeassist model install`.

    Kept between runs in ~/.cache/codeassist-test-models (or $CODEASSIST_TEST_MODELS).
    """
    root = Path(os.environ.get("CODEASSIST_TEST_MODELS", "~/.cache/codeassist-test-models"))
    root = root.expanduser()
    env = {**os.environ, "CODEASSIST_HOME": str(root)}
    proc = subprocess.run(
        [codeassist_exe(), "model", "install", SMALL_MODEL],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return root / "data" / "models"


@pytest.fixture
def small_model(home: Path, shared_models: Path) -> Path:
    """smollm2-135m, installed (as a link) in this test's home; returns the GGUF path."""
    models = home / "data" / "models"
    models.mkdir(parents=True, exist_ok=True)
    for src in shared_models.glob("smollm2-135m*"):
        if src.suffix == ".verified":
            shutil.copy(src, models / src.name)
        else:
            (models / src.name).symlink_to(src)
    return next(models.glob("*.gguf"))


@pytest.fixture
def short_home(small_model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A CODEASSIST_HOME short enough for Unix socket paths (108 bytes), with the small model."""
    home = serving.short_home(small_model)
    monkeypatch.setenv("CODEASSIST_HOME", str(home))
    monkeypatch.setenv("CODEASSIST_MODEL", SMALL_MODEL)
    yield home
    shutil.rmtree(home, ignore_errors=True)
