"""The in-process llama.cpp backend: a loaded model and how it speculates, as one Backend.

The model is loaded once per process (loader.py); a backend is a view of it with frozen
speculation settings, so two backends of one model differ only in how they decode. The tokens
already evaluated stay in the KV cache, so a request that shares a prefix with the previous one
(system prompt, repository context) evaluates only its new tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import llama_cpp

from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp import generate, loader, parallel, probe
from codeassist.backends.llamacpp.generate import Stats
from codeassist.backends.llamacpp.loader import MAX_CANDIDATES, LoadSettings
from codeassist.backends.llamacpp.sequence import Sequence as KVSequence
from codeassist.backends.llamacpp.speculation import NO_SPECULATION, Speculation
from codeassist.backends.llamacpp.tokenizer import Tokenizer
from codeassist.models import ModelRef

_BACKENDS: dict[tuple[str, LoadSettings, Speculation], LlamaCppBackend] = {}


class LlamaCppBackend:
    """A chat model in this process, streaming one token's text at a time."""

    continues = True  # a final assistant message is an answer begun: it writes on from it

    def __init__(self, model: loader.Loaded, speculation: Speculation = NO_SPECULATION) -> None:
        self.model = model
        self.name = model.name
        self.speculation = speculation
        self.last = Stats()

    @classmethod
    def load(
        cls,
        ref: ModelRef,
        *,
        n_ctx: int = 4096,
        gpu_layers: int = -1,
        flash_attn: str = "on",
        kv_type: str = "f16",
        prefill_mode: str = "off",
        speculation: Speculation = NO_SPECULATION,
        max_candidates: int = MAX_CANDIDATES,
    ) -> LlamaCppBackend:
        """The model loaded once per process; the same backend for the same settings.

        `flash_attn` is "on", "off" or "auto" (on where layers are offloaded to a GPU);
        `kv_type` is the KV cache's element type (f16, q8_0, q4_0; quantized V needs flash);
        `prefill_mode` ("on", "off", "auto") evaluates prompts through unrepacked weights on a CPU
        (see prefill.py); `max_candidates`: the most answers `complete_many` draws at once.
        """
        settings = LoadSettings(n_ctx, gpu_layers, flash_attn, kv_type, prefill_mode,
                                max_candidates)  # fmt: skip
        key = (str(ref.path), settings, speculation)
        if key not in _BACKENDS:
            _BACKENDS[key] = cls(loader.load(ref, settings), speculation)
        return _BACKENDS[key]

    # -- the loaded model -----------------------------------------------------------------

    @property
    def llm(self) -> llama_cpp.Llama:
        return self.model.llm

    @property
    def sequence(self) -> KVSequence:
        """The KV cache and the tokens in it (evaluate, decode, rewind)."""
        return self.model.sequence

    @property
    def tokenizer(self) -> Tokenizer:
        return self.model.tokenizer

    @property
    def n_ctx(self) -> int:
        return self.model.sequence.n_ctx

    @property
    def cached_tokens(self) -> list[int]:
        """The tokens whose KV entries are in the cache, in order."""
        return self.model.sequence.tokens

    @property
    def max_candidates(self) -> int:
        """The most answers `complete_many` draws side by side (the context's sequences)."""
        return self.model.sequence.n_seq

    @property
    def n_layers(self) -> int:
        return loader.n_layers(self.model.llm)

    @property
    def offloaded_layers(self) -> int:
        """How many layers run on the GPU (0 on a CPU-only build)."""
        return loader.offloaded_layers(self.model.llm)

    @property
    def prefill_mode(self) -> str:
        """Where prompts are evaluated: "on" (the plain view), "off", "auto" (undecided)."""
        return self.model.prefill.mode

    # -- its speculation settings ---------------------------------------------------------

    @property
    def speculative(self) -> bool:
        return self.speculation.on

    @property
    def draft_max(self) -> int:
        return self.speculation.draft_max

    @property
    def draft_model(self) -> LlamaCppBackend | None:
        return self.speculation.draft

    # -- prompt ---------------------------------------------------------------------------

    def format(self, messages: Sequence[Message]) -> str:
        return self.model.tokenizer.format(messages)

    def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        return self.model.tokenizer.tokenize(text, special=special)

    def count_tokens(self, text: str) -> int:
        return self.model.tokenizer.count_tokens(text)

    # -- generation -----------------------------------------------------------------------

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        return self.generate(self.tokenize(self.format(messages)), options)

    def generate(self, prompt: list[int], options: Options) -> Iterator[str]:
        """Evaluate `prompt` (reusing the cached prefix), then sample token by token."""
        return generate.generate(
            self.model.sequence, self.evaluate, prompt, options, self.speculation, self._record
        )

    def complete_many(self, messages: Sequence[Message], options: Options, k: int) -> list[str]:
        """k whole answers to one prompt, decoded side by side (parallel.py); candidate i
        samples with seed `options.seed + i`. Greedy answers are all one: decoded once."""
        prompt = self.tokenize(self.format(messages))
        parallel.check_count(k, self.max_candidates)
        if options.temperature <= 0:
            return ["".join(self.generate(prompt, options))] * k
        seq = self.model.sequence
        return parallel.complete_many(seq, self.evaluate, prompt, options, k, self._record)

    def _record(self, stats: Stats) -> None:
        self.last = stats

    def evaluate(self, prompt: list[int]) -> int:
        """Bring the KV cache to `prompt`, keeping the longest prefix already there."""
        return self.model.prefill.evaluate(prompt)

    def exact_batch(self) -> int:
        """The widest verify batch (1 to DRAFT_MAX + 1 tokens) whose logits are bit-identical to
        decoding its tokens one at a time, measured once on this model, build and thread count
        (probe.py). Measuring clears the KV cache.
        """
        if self.model.exact is None:
            self.model.exact = probe.exact_batch(self)
        return self.model.exact

    # -- the cache ------------------------------------------------------------------------

    def save_prefix(self, path: Path) -> int:
        """Write the KV state of the cached prompt tokens to `path`; returns how many tokens."""
        return (self.model.prefill.view or self.model.sequence).save(path)

    def load_prefix(self, path: Path) -> int:
        """Restore a state from `save_prefix` (same model and settings); 0 when it does not fit."""
        self.reset()
        view = self.model.prefill.view
        # through the plain view, this context catches up at the next request
        n = view.load(path, self.n_ctx) if view else self.model.sequence.load(path)
        if n == 0:
            self.reset()
        return n

    @property
    def reusable(self) -> list[int]:
        """The tokens the next prompt's evaluation can keep (the prefill view's, with one)."""
        return self.model.prefill.reusable

    def keep(self, n: int) -> None:
        """Keep only the first `n` cached tokens (a prompt's stable prefix, before saving it)."""
        self.model.prefill.keep(n)

    def reset(self) -> None:
        """Forget the cached prefix."""
        self.model.prefill.reset()
