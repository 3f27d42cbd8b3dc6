"""One pipeline for every front door: request → prompt → backend → extract → verify → repair.

Independent of the CLI: it takes data and a backend and returns data; it never prints.
"""

from codeassist.pipeline.request import Request, Result, Timings
from codeassist.pipeline.run import messages_for, resolve_language, run

__all__ = ["Request", "Result", "Timings", "messages_for", "resolve_language", "run"]
