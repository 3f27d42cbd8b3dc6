"""Dataclasses of numpy arrays stored as one marshal blob (the graph and its inputs)."""

from __future__ import annotations

import marshal
from dataclasses import fields
from typing import Any

from codeassist.ctx.tags import FORMAT

VERSION = (FORMAT, 2)  # of the stored graph and tables


def dump(obj: Any, arrays: tuple[str, ...]) -> bytes:
    """`obj`'s fields as a blob; the fields named in `arrays` are numpy arrays."""
    plain = {f.name: getattr(obj, f.name) for f in fields(obj)}
    for name in arrays:
        array = plain[name]
        if array.dtype.kind == "i" and (len(array) == 0 or abs(array).max() < 2**31):
            array = array.astype("<i4")  # half the bytes to store and load
        plain[name] = (array.dtype.str, array.tobytes())
    return marshal.dumps((VERSION, plain))


def load(blob: bytes) -> dict[str, Any]:
    """The fields `dump` stored, by name; arrays are read-only views of `blob`."""
    import numpy as np

    version, plain = marshal.loads(blob)
    if version != VERSION:
        raise ValueError("not stored by this version")
    for name, value in plain.items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
            dtype, data = value
            plain[name] = np.frombuffer(data, dtype=dtype)
    return plain  # type: ignore[no-any-return]
