"""Files the user names on the command line (`--schema F`, `codeassist check F`), read as text.

Only a regular file is read (a FIFO would wait forever, a device never end), at most `limit`
bytes of it, as UTF-8 with line ends made `\n`; anything else is one InputError line.
"""

from __future__ import annotations

from pathlib import Path

from codeassist.errors import InputError


def read_text(path: Path, limit: int, what: str, hint: str, big_hint: str = "") -> str:
    """The text of `path`, a `what` ("schema file"); InputError with `hint` when it cannot be
    read, `big_hint` (or `hint`) when it is over `limit` bytes."""
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise InputError(f"{what} {path} is {kind}", hint=hint)
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            size = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"
            raise InputError(f"{what} {path} is over {size}", hint=big_hint or hint)
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise InputError(f"cannot read {what} {path}: {reason}", hint=hint) from None
