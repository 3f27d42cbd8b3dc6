"""httpx, without the command-line client it would import along.

`import httpx` also imports `httpx._main` (its command-line client: rich, pygments, click)
whenever those are installed, and here they always are: some 60 ms of every request to an
endpoint, for a client codeassist never runs. Marked missing, `httpx._main` takes httpx's own
fallback (a stub `main`), and nothing else of httpx changes.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402

__all__ = ["httpx"]
