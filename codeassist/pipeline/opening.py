"""The answer's opening fence, written into the prompt where the backend can continue it.

Every answer starts with the same few tokens ("```bash" and a newline). A backend that
`continues` a final assistant message (llama.cpp in this process, the resident server) gets
them at the end of the prompt, evaluated in one batch with it, instead of decoding them one at
a time: three decoding steps of the 1.5B model on a CPU, about a fifth of a shell answer. What
streams back is the same text: the opening comes with the first piece. A backend that cannot
continue one (an OpenAI-compatible endpoint, the scripted fake) gets the messages as they were;
a reply that opens its own fence anyway (a server older than this client) passes as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from codeassist.backends.base import Backend, Message, Options
from codeassist.pipeline.prompts import FENCES

FENCE = "```"


def opening(backend: Backend, lang: str, options: Options) -> str:
    """The text the answer is begun with in the prompt; "" where the backend cannot continue it
    or a grammar shapes the whole answer from its first token."""
    if options.grammar or not getattr(backend, "continues", False) or lang not in FENCES:
        return ""
    return f"```{FENCES[lang]}\n"


def begun(messages: Sequence[Message], start: str) -> list[Message]:
    """The messages with the answer begun by `start` (as they were when it is "")."""
    return [*messages, Message("assistant", start)] if start else list(messages)


def prefixed(start: str, pieces: Iterator[str]) -> Iterator[str]:
    """`pieces` with `start` in front of the first, unless they open a fence themselves.

    Pieces that could still open a fence are held until they cannot, so the first piece
    comes out with the first token that tells (the time to first token stays the model's).
    Closing this closes `pieces`.
    """
    held: str | None = "" if start else None
    try:
        for piece in pieces:
            if held is None:
                yield piece
                continue
            held += piece
            if FENCE.startswith(held.lstrip()):
                continue
            yield completed(start, held)
            held = None
        if held:
            yield completed(start, held)
    finally:
        close = getattr(pieces, "close", None)
        if close:
            close()


def completed(start: str, reply: str) -> str:
    """A continued reply as the whole answer: `start` in front, unless it opens a fence."""
    return reply if not start or reply.lstrip().startswith(FENCE) else start + reply
