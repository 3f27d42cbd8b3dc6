"""The local models: manifests, installing, verifying and locating GGUF weights."""

from codeassist.models.manifest import (
    Manifest,
    ModelRef,
    Part,
    get,
    install,
    looks_like_path,
    manifests,
    remove,
    resolve,
    verify,
)

__all__ = [
    "Manifest", "ModelRef", "Part", "get", "install", "looks_like_path", "manifests", "remove",
    "resolve", "verify",
]  # fmt: skip
