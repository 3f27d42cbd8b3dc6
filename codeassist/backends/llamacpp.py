"""In-process llama.cpp: the model is loaded once per process (mmap) and kept.

The decode loop drives llama.cpp directly: one `llama_decode` per token and a sampler
chain that runs in C, the fastest loop Python can drive. The tokens already evaluated
stay in the KV cache, so a request that shares a prefix with the previous one (system
prompt, repository context) evaluates only its new tokens.
"""

from __future__ import annotations

import codecs
import ctypes
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from codeassist.backends.base import Message, Options
from codeassist.errors import BackendError, ModelError
from codeassist.models import ModelRef

# Used when a GGUF carries no chat template of its own.
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_LOADED: dict[tuple[str, int, int], LlamaCppBackend] = {}


@dataclass(frozen=True)
class Stats:
    """What the last request cost: tokens reused from the cache, evaluated, generated."""

    reused: int = 0
    evaluated: int = 0
    generated: int = 0


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def open_llama(path: Path, **params: Any) -> llama_cpp.Llama:
    """Load a GGUF with llama.cpp's logging kept off the user's terminal."""
    try:
        return llama_cpp.Llama(model_path=str(path), verbose=False, **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp could not load {path.name}: {exc}",
            hint="the file may be truncated or not a model llama.cpp supports",
        ) from None


class LlamaCppBackend:
    """A chat model in this process, streaming one token's text at a time."""

    def __init__(self, llm: llama_cpp.Llama, name: str) -> None:
        self.llm = llm
        self.name = name
        self.n_ctx = llm.n_ctx()
        self.n_batch = llm.n_batch
        self._ctx = llm._ctx.ctx
        self._vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._past: list[int] = []  # tokens whose KV entries are in the cache, in order
        self._formatter = self._chat_formatter()
        self.last = Stats()

    @classmethod
    def load(cls, ref: ModelRef, *, n_ctx: int = 4096, gpu_layers: int = -1) -> LlamaCppBackend:
        """Load a model once per process; later calls get the same instance."""
        key = (str(ref.path), n_ctx, gpu_layers)
        if key not in _LOADED:
            n_threads = threads()
            llm = open_llama(
                ref.path,
                n_ctx=n_ctx,
                n_batch=512,
                n_gpu_layers=gpu_layers if gpu_offload_supported() else 0,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                use_mmap=True,
            )
            _LOADED[key] = cls(llm, ref.name)
        return _LOADED[key]

    # -- prompt ---------------------------------------------------------------------------

    def _chat_formatter(self) -> Jinja2ChatFormatter:
        model = self.llm._model
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        return Jinja2ChatFormatter(
            template=self.llm.metadata.get("tokenizer.chat_template") or CHATML,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    def format(self, messages: Sequence[Message]) -> str:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return self._formatter(messages=chat).prompt  # type: ignore[arg-type]

    def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, special=False)) if text else 0

    # -- generation -----------------------------------------------------------------------

    def stream(self, messages: Sequence[Message], options: Options) -> Iterator[str]:
        return self.generate(self.tokenize(self.format(messages)), options)

    def generate(self, prompt: list[int], options: Options) -> Iterator[str]:
        """Evaluate `prompt` (reusing the cached prefix), then sample token by token."""
        if len(prompt) >= self.n_ctx:
            raise BackendError(
                f"the prompt is {len(prompt)} tokens; the context holds {self.n_ctx}",
                hint="shorten the request, lower the context budget, or raise n_ctx in the config",
            )
        reused = self._evaluate(prompt)
        budget = min(options.max_tokens, self.n_ctx - len(self._past))
        sampler = self._sampler(options)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""  # text held back while it could be the start of a stop string
        generated = 0
        one = (llama_cpp.llama_token * 1)()
        piece_buf = ctypes.create_string_buffer(256)
        try:
            while generated < budget:
                token = llama_cpp.llama_sampler_sample(sampler, self._ctx, -1)
                if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    break
                n = llama_cpp.llama_token_to_piece(self._vocab, token, piece_buf, 256, 0, False)
                text = decoder.decode(piece_buf.raw[: max(n, 0)])
                one[0] = token
                self._decode(one, 1)
                self._past.append(token)
                generated += 1
                if options.stop:
                    pending += text
                    hit = _find_stop(pending, options.stop)
                    if hit is not None:
                        if pending[:hit]:
                            yield pending[:hit]
                        return
                    keep = _partial_stop(pending, options.stop)
                    text, pending = pending[: len(pending) - keep], pending[len(pending) - keep :]
                if text:
                    yield text
            if pending:
                yield pending
        finally:
            llama_cpp.llama_sampler_free(sampler)
            self.last = Stats(reused, len(prompt) - reused, generated)

    def _evaluate(self, prompt: list[int]) -> int:
        """Bring the KV cache to `prompt`, keeping the longest prefix already there."""
        keep = 0
        for a, b in zip(self._past, prompt, strict=False):
            if a != b:
                break
            keep += 1
        keep = min(keep, len(prompt) - 1)  # the last prompt token is always decoded: logits
        if keep < len(self._past):
            if not llama_cpp.llama_memory_seq_rm(self._memory, -1, keep, -1):
                llama_cpp.llama_memory_clear(self._memory, True)
                keep = 0
            del self._past[keep:]
        todo = prompt[keep:]
        for start in range(0, len(todo), self.n_batch):
            chunk = todo[start : start + self.n_batch]
            self._decode((llama_cpp.llama_token * len(chunk))(*chunk), len(chunk))
            self._past.extend(chunk)
        return keep

    def _decode(self, tokens: ctypes.Array[Any], n: int) -> None:
        rc = llama_cpp.llama_decode(self._ctx, llama_cpp.llama_batch_get_one(tokens, n))
        if rc != 0:
            self.reset()
            raise BackendError(f"llama.cpp failed to decode (code {rc})", hint="try a shorter request")

    def _sampler(self, options: Options) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        if options.grammar:
            grammar = llama_cpp.llama_sampler_init_grammar(
                self._vocab, options.grammar.encode(), b"root"
            )
            if not grammar:
                llama_cpp.llama_sampler_free(chain)
                raise BackendError("invalid GBNF grammar")
            add(chain, grammar)
        if options.temperature <= 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            add(chain, llama_cpp.llama_sampler_init_top_k(40))
            add(chain, llama_cpp.llama_sampler_init_top_p(0.95, 1))
            add(chain, llama_cpp.llama_sampler_init_temp(options.temperature))
            add(chain, llama_cpp.llama_sampler_init_dist(options.seed))
        return chain

    def reset(self) -> None:
        """Forget the cached prefix."""
        llama_cpp.llama_memory_clear(self._memory, True)
        self._past.clear()


def _find_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [i for s in stops if (i := text.find(s)) != -1]
    return min(hits) if hits else None


def _partial_stop(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters of `text` could begin a stop string."""
    best = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:k]):
                best = max(best, k)
                break
    return best


@cache
def _vocab_only(path: str) -> llama_cpp.Llama:
    return open_llama(Path(path), vocab_only=True)


def tokenizer(path: Path) -> Any:
    """A token counter for a GGUF, loading only its vocabulary (fast, no weights)."""
    llm = _vocab_only(str(path))

    def count(text: str) -> int:
        if not text:
            return 0
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    return count

