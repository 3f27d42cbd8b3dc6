"""A real `codeassist serve` on the small model, and small git repositories to ask about."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from codeassist.serve import protocol
from tests.helpers.cli import SMALL_MODEL, codeassist_exe
from tests.helpers.repos import git


def short_home(small_model: Path) -> Path:
    """A CODEASSIST_HOME short enough for Unix socket paths (108 bytes), with the small model."""
    home = Path(tempfile.mkdtemp(prefix="ca-", dir="/tmp"))
    models = home / "data" / "models"
    models.mkdir(parents=True)
    for src in small_model.parent.iterdir():
        if src.suffix == ".verified":
            shutil.copy(src, models / src.name)
        else:
            (models / src.name).symlink_to(src.resolve())
    return home


def start(*args: str) -> subprocess.Popen[str]:
    """`codeassist serve` on the small model's default socket, once it listens."""
    proc = subprocess.Popen(
        [codeassist_exe(), "serve", "--model", SMALL_MODEL, "--idle-timeout", "300", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    path, deadline = protocol.socket_path(SMALL_MODEL), time.monotonic() + 60
    while not protocol.alive(path):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    """Stop the server; its log (stderr)."""
    proc.terminate()
    return proc.communicate(timeout=30)[1]


def python_repo(root: Path, topic: str, files: int = 5) -> Path:
    """A committed git repository of `files` Python modules about `topic`, using each other."""
    root.mkdir(parents=True)
    for i in range(files):
        uses = f"from {topic}_{i - 1} import {topic}_total_{i - 1}\n\n" if i else ""
        body = "".join(
            f"def {topic}_{verb}_{i}(items: list[int], factor: int = {j}) -> int:\n"
            f'    """{verb.capitalize()} the {topic} items of part {i} by a factor."""\n'
            f"    return sum(items) * factor\n\n\n"
            for j, verb in enumerate(("scale", "count", "merge", "split"))
        )
        total = f"def {topic}_total_{i}(items: list[int]) -> int:\n"
        total += f'    """The {topic} total of part {i}."""\n    return len(items)\n'
        if i:
            total += f"\n\ndef {topic}_chain_{i}(items: list[int]) -> int:\n"
            total += f"    return {topic}_total_{i - 1}(items)\n"
        (root / f"{topic}_{i}.py").write_text(uses + body + total)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root
