"""Real projects for the benchmarks: an sdist from the package registry, committed to git once.

    fetch({"name": "click", "requirement": "click==8.1.8"}, PROJECTS)

Each project is downloaded with `pip download --no-deps --no-binary :all:` (or, for tests, a
folder given by `path`, relative to this checkout of codeassist), unpacked and committed to a
fresh git repository under a cache folder, where later runs find it without the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from codeassist.verify.unpack import extract_all

PROJECTS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "codeassist-grounded"
CODEASSIST = Path(__file__).resolve().parents[1]  # for projects given by `path`
IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def fetch(project: Mapping[str, str], into: Path = PROJECTS) -> Path:
    """The project as a committed git repository under `into` (made once)."""
    repo = into / project["name"]
    if (repo / ".git").is_dir():
        return repo
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=into) as tmp:
        source = Path(tmp) / "src"
        if "path" in project:
            shutil.copytree(CODEASSIST / project["path"], source)
        else:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                 "--quiet", project["requirement"], "-d", tmp],
                check=True,
            )  # fmt: skip
            sdist = next(Path(tmp).glob("*.tar.gz"))
            with tarfile.open(sdist) as tar:
                extract_all(tar, Path(tmp))  # what stays inside, on any Python 3.11
            shutil.move(next(p for p in Path(tmp).iterdir() if p.is_dir()), source)
        commit = [*IDENTITY, "commit", "-qm", project["name"]]
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], commit):
            subprocess.run(["git", "-C", str(source), *args], check=True)
        shutil.move(source, repo)
    return repo
