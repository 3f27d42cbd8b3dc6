"""Fake programs on PATH: small shell scripts with their own --help."""

from __future__ import annotations

from pathlib import Path


def fake_program(bin_dir: Path, name: str, script: str) -> Path:
    """An executable shell script named `name` in bin_dir (made if needed)."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path
