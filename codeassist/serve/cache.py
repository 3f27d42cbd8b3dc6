"""The server's prompt cache: stable prefixes restored before a request and saved after it.

A prompt's stable prefix is the chat template's tokens up to the end of its system messages
(pipeline/prompts.py puts only the language's fixed text and the repository's stable part
there). Before a request, the saved entry sharing the most with the prompt is loaded when it
shares clearly more than the KV cache already does; after it, a stable prefix not saved yet is
kept alone in the cache and saved. Several repositories are so kept warm, across restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp.sequence import shared_prefix
from codeassist.serve.prefix import Store
from codeassist.serve.validate import BadRequest

MIN_GAIN = 32  # tokens more than the cache holds that a saved entry must share to be loaded
MIN_STABLE = 64  # tokens a stable prefix needs to be worth an entry
PROBE = Message("user", "?")  # a user turn, to see where the system turns' tokens end


class Model(Protocol):
    """What the cache needs of a model: LlamaCppBackend."""

    n_ctx: int

    def format(self, messages: Sequence[Message]) -> str: ...

    def tokenize(self, text: str, *, special: bool = True) -> list[int]: ...

    def generate(self, prompt: list[int], options: Options) -> Iterator[str]: ...

    def evaluate(self, prompt: list[int]) -> int: ...

    @property
    def reusable(self) -> list[int]: ...

    def keep(self, n: int) -> None: ...

    def save_prefix(self, path: Path) -> int: ...

    def load_prefix(self, path: Path) -> int: ...


@dataclass(frozen=True)
class Plan:
    """One request's prompt tokens, its stable prefix, and the tokens restored for it."""

    prompt: list[int]
    stable: list[int]
    restored: int


class PromptCache:
    """Restores and saves a model's stable prefixes through a store (None: memory only)."""

    def __init__(
        self, model: Model, store: Store | None, log: Callable[[str], object] = lambda s: None
    ) -> None:
        self.model = model
        self.store = store
        self.log = log
        self._known: dict[tuple[str, ...], list[int]] = {}

    def stable(self, messages: Sequence[Message]) -> list[int]:
        """The tokens of the leading system messages, as every request with them starts."""
        system = list(_leading_system(messages))
        key = tuple(m.content for m in system)
        if not system:
            return []
        if key not in self._known:
            alone = self.model.tokenize(self.model.format(system))
            asked = self.model.tokenize(self.model.format([*system, PROBE]))
            if len(self._known) >= 16:
                self._known.clear()
            self._known[key] = alone[: shared_prefix(alone, asked)]
        return list(self._known[key])

    def prepare(self, messages: Sequence[Message]) -> Plan:
        """Tokenize a request's prompt and restore the saved prefix that helps it most."""
        prompt = self.model.tokenize(self.model.format(messages))
        stable = self.stable(messages)
        stable = stable[: shared_prefix(stable, prompt)]
        return Plan(prompt, stable, self.restore(prompt))

    def restore(self, prompt: list[int]) -> int:
        """Load the entry sharing clearly more with `prompt` than the cache; tokens it gives."""
        if self.store is None:
            return 0
        entry, shared = self.store.best(prompt)
        have = shared_prefix(self.model.reusable, prompt)
        if entry is None or shared < have + MIN_GAIN:
            return 0
        if not self.store.load(self.model, entry):
            self.log(f"prompt cache: dropped an entry that did not load ({entry.name})")
            return 0
        return min(shared, len(prompt) - 1)

    def keep_stable(self, plan: Plan) -> None:
        """Save the request's stable prefix when it is new; a failure is one log line."""
        stable, store = plan.stable, self.store
        if store is None or len(stable) < MIN_STABLE or store.covers(stable):
            return
        if shared_prefix(self.model.reusable, stable) < len(stable) - 1:
            return  # the cache lost it (a failed decode)
        try:
            self.model.keep(len(stable))
            store.save(self.model, stable)
        except OSError as exc:
            self.log(f"prompt cache: not saved: {exc}")

    def warm(self, messages: Sequence[Message]) -> dict[str, Any]:
        """Evaluate the stable prefix of `messages` (restored when saved), save it if new."""
        stable = self.stable(messages)
        if not stable:
            raise BadRequest("warm takes the system messages a request starts with")
        if len(stable) >= self.model.n_ctx:
            raise BadRequest(f"the prefix is {len(stable)} tokens; the context holds fewer")
        restored = self.restore(stable)
        if shared_prefix(self.model.reusable, stable) == len(stable):
            reused = len(stable)  # all there: nothing to decode (evaluate redoes the last token)
        else:
            reused = self.model.evaluate(stable)
        self.keep_stable(Plan(stable, stable, restored))
        stats = {"tokens": len(stable), "reused": reused, "restored": restored}
        return {**stats, "evaluated": len(stable) - reused, "head": self._head(messages, stable)}

    def _head(self, messages: Sequence[Message], stable: list[int]) -> int:
        """Evaluate what follows the system messages (the start of a user message), not saved:
        it changes more often than they do. How many tokens that added to the cache."""
        if len(messages) == len(list(_leading_system(messages))):
            return 0
        prompt = self.model.tokenize(self.model.format(messages))
        if len(prompt) >= self.model.n_ctx or prompt[: len(stable)] != stable:
            return 0
        self.model.evaluate(prompt)
        return len(prompt) - len(stable)


def _leading_system(messages: Sequence[Message]) -> Iterator[Message]:
    for m in messages:
        if m.role != "system":
            return
        yield m
