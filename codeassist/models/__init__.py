"""The local models: manifests, installing, verifying and locating GGUF weights."""

from codeassist.models.install import Progress, install, remove, sha256_file, sweep_scratch, verify
from codeassist.models.manifest import (
    Manifest,
    ModelRef,
    Part,
    get,
    looks_like_path,
    manifests,
    resolve,
)

__all__ = [
    "Manifest", "ModelRef", "Part", "Progress", "get", "install", "looks_like_path", "manifests",
    "remove", "resolve", "sha256_file", "sweep_scratch", "verify",
]  # fmt: skip
