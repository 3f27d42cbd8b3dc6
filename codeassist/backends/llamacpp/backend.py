"""In-process llama.cpp: the model is loaded once per process (mmap) and kept.

The decode loop drives llama.cpp directly: one `llama_decode` per token and a sampler
chain that runs in C, the fastest loop Python can drive. The tokens already evaluated
stay in the KV cache, so a request that shares a prefix with the previous one (system
prompt, repository context) evaluates only its new tokens.

At temperature 0 the loop speculates (prompt-lookup decoding): when the last few tokens
also occur earlier in the prompt or the output, the tokens that followed them there are
proposed as a draft and verified in one `llama_decode`; the longest prefix the model
agrees with is kept, plus the model's own next token, and the rest is rolled back out of
the KV cache. The output is the plain greedy output, in fewer sequential steps, wherever
llama.cpp computes a batch's logits exactly as it computes one token's (exact_batch measures it).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from codeassist.backends.llamacpp import prefill
from codeassist.backends.base import Message, Options
from codeassist.backends.llamacpp.decoding import PromptLookup, TextStream, shared_prefix
from codeassist.backends.llamacpp.draft import Drafter, DraftModel, FirstDraft
from codeassist.errors import BackendError, ModelError
from codeassist.models import ModelRef

# Used when a GGUF carries no chat template of its own.
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_LOADED: dict[tuple[object, ...], LlamaCppBackend] = {}

KV_TYPES = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0,
            "q4_0": llama_cpp.GGML_TYPE_Q4_0}  # fmt: skip
# Most tokens proposed by one lookup: the verifying batch (pending token + draft) holds 8 at
# most, the widest that llama.cpp's CUDA backend computes with its matrix-vector kernels.
DRAFT_MAX = 7
# Where the batch-invariance probe measures: past the first 256-cell blocks of the KV cache,
# since attention kernels choose their split by the cache's length.
PROBE_AT = 520


@dataclass(frozen=True)
class Stats:
    """What the last request cost: tokens reused from the cache, evaluated, generated.

    `drafted` and `accepted` count speculated tokens; `steps` is the number of decode calls
    of the generation (equal to `generated` without speculation).
    """

    reused: int = 0
    evaluated: int = 0
    generated: int = 0
    drafted: int = 0
    accepted: int = 0
    steps: int = 0


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _quiet_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama.cpp's own log: on stderr only with CODEASSIST_DEBUG=1, never on a user's screen."""
    if os.environ.get("CODEASSIST_DEBUG"):
        sys.stderr.write(text.decode("utf-8", "replace"))


def open_llama(path: Path, **params: Any) -> llama_cpp.Llama:
    """Load a GGUF with llama.cpp's logging kept off the user's terminal."""
    llama_cpp.llama_log_set(_quiet_log, ctypes.c_void_p(0))
    try:
        return llama_cpp.Llama(model_path=str(path), verbose=False, **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp could not load {path.name}: {exc}",
            hint="the file may be truncated or not a model llama.cpp supports",
        ) from None


class LlamaCppBackend:
    """A chat model in this process, streaming one token's text at a time."""

    def __init__(self, llm: llama_cpp.Llama, name: str, *, speculative: bool = False) -> None:
        self.llm = llm
        self.name = name
        self.speculative = speculative  # prompt-lookup decoding at temperature 0
        self.draft_max = DRAFT_MAX  # longest draft; see exact_batch()
        self.draft_model: LlamaCppBackend | None = None  # drafts where prompt lookup has none
        self._exact: int | None = None
        self._greedy: Any = None
        self.prefill_mode = "off"  # on: prompts go through the plain view; auto: undecided
        self._plain: prefill.PlainView | None = None
        self._open_plain: Callable[[], llama_cpp.Llama] | None = None
        self._prefill_key = ""
        self._synced = (-1, 0)  # (plain view version, cells) last copied into this context
        self.n_ctx = llm.n_ctx()
        self.n_batch = llm.n_batch
        self._ctx = llm._ctx.ctx
        self._vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._past: list[int] = []  # tokens whose KV entries are in the cache, in order
        self._formatter = self._chat_formatter()
        self._batch = llama_cpp.llama_batch_init(DRAFT_MAX + 1, 0, 1)
        self.last = Stats()

    def __del__(self) -> None:
        batch = getattr(self, "_batch", None)
        if batch is not None:
            llama_cpp.llama_batch_free(batch)
        if getattr(self, "_greedy", None) is not None:
            llama_cpp.llama_sampler_free(self._greedy)

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
    ) -> LlamaCppBackend:
        """Load a model once per process; later calls get the same instance.

        `flash_attn` is "on", "off" or "auto" (on where layers are offloaded to a GPU);
        `kv_type` is the KV cache's element type (f16, q8_0, q4_0; quantized V needs flash);
        `prefill_mode` ("on", "off", "auto") evaluates prompts through unrepacked weights on a CPU
        (see prefill.py).
        """
        key = (str(ref.path), n_ctx, gpu_layers, flash_attn, kv_type, prefill_mode)
        if key not in _LOADED:
            n_threads = threads()
            gpu = gpu_offload_supported()
            if kv_type not in KV_TYPES:
                raise ModelError(
                    f"unknown KV cache type {kv_type!r}", hint=f"use one of: {', '.join(KV_TYPES)}"
                )
            flash = flash_attn == "on" or (flash_attn == "auto" and gpu) or kv_type != "f16"
            params = {
                "n_ctx": n_ctx,
                "n_batch": 512,
                "n_gpu_layers": gpu_layers if gpu else 0,
                "n_threads": n_threads,
                "n_threads_batch": n_threads,
                "use_mmap": True,
                "flash_attn": flash,
                "type_k": KV_TYPES[kv_type],
                "type_v": KV_TYPES[kv_type],
            }
            backend = cls(open_llama(ref.path, **params), ref.name)
            if backend.offloaded_layers == 0 and prefill_mode != "off":
                backend._prefill_setup(prefill_mode, lambda: open_llama(ref.path, **params))
            _LOADED[key] = backend
        return _LOADED[key]

    @property
    def cached_tokens(self) -> list[int]:
        """The tokens whose KV entries are in the cache, in order."""
        return list(self._past)

    @property
    def n_layers(self) -> int:
        return int(llama_cpp.llama_model_n_layer(self.llm._model.model))

    @property
    def offloaded_layers(self) -> int:
        """How many layers run on the GPU (0 on a CPU-only build)."""
        if not gpu_offload_supported():
            return 0
        wanted = int(self.llm.model_params.n_gpu_layers)
        return self.n_layers if wanted < 0 else min(self.n_layers, wanted)

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
        greedy = options.temperature <= 0 and not options.grammar
        drafter = self._drafter(prompt) if self.speculative and greedy else None
        out = TextStream(self._vocab, options.stop)
        generated = drafted = accepted = steps = 0
        reach = self.draft_max  # draft length: halved after a miss, doubled after a full hit
        try:
            token = llama_cpp.llama_sampler_sample(sampler, self._ctx, -1)
            while generated < budget and not llama_cpp.llama_vocab_is_eog(self._vocab, token):
                # The sampled token is final: show it before spending a decode on it.
                generated += 1
                text, stopped = out.feed(token)
                if text:
                    yield text
                if stopped:
                    return
                if generated >= budget:
                    break
                room = min(reach, budget - generated, self.n_ctx - len(self._past) - 2)
                draft = drafter.propose(token, room) if drafter else []
                if drafter:
                    drafter.append(token)
                self._decode_run([token, *draft])
                steps += 1
                drafted += len(draft)
                run = [token]  # the tokens of this step the model stands behind, in order
                for i, guess in enumerate(draft):  # logits i follow run[: i + 1]
                    token = llama_cpp.llama_sampler_sample(sampler, self._ctx, i)
                    if token != guess or llama_cpp.llama_vocab_is_eog(self._vocab, token):
                        break
                    run.append(guess)
                else:
                    token = llama_cpp.llama_sampler_sample(sampler, self._ctx, -1)
                self._past.extend(run)
                if len(run) < len(draft) + 1:  # roll the rejected draft out of the KV cache
                    llama_cpp.llama_memory_seq_rm(self._memory, 0, len(self._past), -1)
                accepted += len(run) - 1
                if draft:
                    hit = len(run) - 1
                    reach = min(self.draft_max, reach * 2) if hit == len(draft) else reach
                    reach = max(1, reach // 2) if hit == 0 else reach
                for t in run[1:]:
                    generated += 1
                    if drafter:
                        drafter.append(t)
                    text, stopped = out.feed(t)
                    if text:
                        yield text
                    if stopped:
                        return
            if rest := out.flush():
                yield rest
        finally:
            llama_cpp.llama_sampler_free(sampler)
            self.last = Stats(reused, len(prompt) - reused, generated, drafted, accepted, steps)

    def _drafter(self, prompt: list[int]) -> Drafter:
        lookup = PromptLookup(prompt)
        if self.draft_model is None:
            return lookup
        vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        return FirstDraft(lookup, DraftModel(self.draft_model, prompt, vocab))

    def greedy_next(self) -> int:
        """The most likely token after the last decoded one (sampled in C)."""
        if self._greedy is None:
            params = llama_cpp.llama_sampler_chain_default_params()
            self._greedy = llama_cpp.llama_sampler_chain_init(params)
            llama_cpp.llama_sampler_chain_add(self._greedy, llama_cpp.llama_sampler_init_greedy())
        return int(llama_cpp.llama_sampler_sample(self._greedy, self._ctx, -1))

    def exact_batch(self) -> int:
        """The widest verify batch (1 to DRAFT_MAX + 1 tokens) whose logits are bit-identical to
        decoding its tokens one at a time, measured once on this model, build and thread count.

        Speculation keeps the plain greedy output only where this holds: a kernel that sums in
        another order for a batch (CPU matrix kernels from 4 tokens on with K-quants, CPU flash
        attention past 256 cached cells) changes logits in the low digits, and a near-tie can
        then resolve the other way. Measuring costs about PROBE_AT prompt tokens and clears the
        KV cache.
        """
        if self._exact is None:
            self._exact = self._probe()
        return self._exact

    def _probe(self) -> int:
        at = max(1, min(PROBE_AT, self.n_ctx - 2 * (DRAFT_MAX + 1)))
        text = "def mean(values):\n    return sum(values) / len(values)\n\n"
        tokens = self.tokenize(text)
        tokens = tokens * (1 + (at + DRAFT_MAX + 1) // len(tokens))
        prefix, run = tokens[:at], tokens[at : at + DRAFT_MAX + 1]
        size = 4 * llama_cpp.llama_vocab_n_tokens(self._vocab)

        def logits(i: int) -> bytes:
            return ctypes.string_at(llama_cpp.llama_get_logits_ith(self._ctx, i), size)

        self.reset()
        try:
            self._evaluate(prefix)
            single = []
            for t in run:  # one token per decode; each lands after the last
                self._decode_run([t])
                single.append(logits(-1))
            llama_cpp.llama_memory_seq_rm(self._memory, 0, at, -1)
            widest = 1
            for n in range(2, len(run) + 1):
                self._decode_run(run[:n])
                same = all(logits(i) == single[i] for i in range(n))
                llama_cpp.llama_memory_seq_rm(self._memory, 0, at, -1)
                if not same:
                    break
                widest = n
        finally:
            self.reset()
        return widest

    def _decode_run(self, tokens: list[int]) -> None:
        """Decode tokens that follow the cache, with logits for each (one call, one step)."""
        if len(tokens) == 1:
            one = (llama_cpp.llama_token * 1)(tokens[0])
            self._decode(one, 1)
            return
        batch, pos = self._batch, len(self._past)
        for i, t in enumerate(tokens):
            batch.token[i] = t
            batch.pos[i] = pos + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = 1
        batch.n_tokens = len(tokens)
        rc = llama_cpp.llama_decode(self._ctx, batch)
        if rc != 0:
            self.reset()
            raise BackendError(
                f"llama.cpp failed to decode (code {rc})", hint="try a shorter request"
            )

    def _evaluate(self, prompt: list[int]) -> int:
        """Bring the KV cache to `prompt`, keeping the longest prefix already there."""
        if self.prefill_mode == "auto" and self._new_tokens(prompt) >= prefill.MIN_TOKENS:
            self._prefill_decide(prompt)
        if self._plain is not None:
            return self._evaluate_through_plain(prompt)
        return self._evaluate_here(prompt)

    def _new_tokens(self, prompt: list[int]) -> int:
        return len(prompt) - shared_prefix(self._past, prompt)

    def _evaluate_here(self, prompt: list[int]) -> int:
        # the last prompt token is always decoded: its logits give the first answer token
        keep = min(shared_prefix(self._past, prompt), len(prompt) - 1)
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
            raise BackendError(
                f"llama.cpp failed to decode (code {rc})", hint="try a shorter request"
            )

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

    # -- prompts through the plain view (CPU) -------------------------------------------

    def _prefill_setup(self, mode: str, open_plain: Callable[[], llama_cpp.Llama]) -> None:
        self._open_plain = open_plain
        self._prefill_key = prefill.decision_key(Path(self.llm.model_path), threads())
        known = prefill.recall(self._prefill_key) if mode == "auto" else True
        if known is None:
            self.prefill_mode = "auto"  # measured at the first prompt long enough to matter
        elif known:
            try:
                self._plain = prefill.PlainView(open_plain, self.n_batch)
            except ModelError:
                return  # the decoding weights evaluate prompts too, only slower
            self.prefill_mode = "on"

    def _prefill_decide(self, prompt: list[int]) -> None:
        """Time a prompt's first tokens both ways; keep the plain view if it is faster."""
        assert self._open_plain is not None
        self.prefill_mode = "off"  # also when measuring fails: the decoding weights still work
        tokens = prompt[: prefill.PROBE_TOKENS]
        try:
            view = prefill.PlainView(self._open_plain, self.n_batch)
            plain_s = prefill.seconds_to_evaluate(view.evaluate, view.reset, tokens)
        except (ModelError, BackendError):
            return
        own_s = prefill.seconds_to_evaluate(self._evaluate_here, self.reset, tokens)
        faster = plain_s <= prefill.FASTER * own_s
        prefill.remember(self._prefill_key, faster)
        if faster:
            self._plain, self.prefill_mode = view, "on"

    def _evaluate_through_plain(self, prompt: list[int]) -> int:
        """The plain view evaluates all but the last token; this context decodes that one."""
        plain = self._plain
        assert plain is not None
        head = prompt[:-1]
        try:
            kept = plain.evaluate(head)
            version, cells = self._synced
            if not head or (
                version == plain.version and len(head) <= cells and self._past[: len(head)] == head
            ):
                llama_cpp.llama_memory_seq_rm(self._memory, 0, len(head), -1)
            else:
                plain.copy_into(self._ctx, self._memory)
                self._synced = (plain.version, len(head))
        except BackendError:
            self.reset()
            raise
        self._past = list(head)
        self._decode_run(prompt[-1:])
        self._past.append(prompt[-1])
        return kept

    def save_prefix(self, path: Path) -> int:
        """Write the KV state of the cached prompt tokens to `path`; returns how many tokens."""
        ctx, past = (self._plain.ctx, self._plain.past) if self._plain else (self._ctx, self._past)
        if not past:
            return 0
        tokens = (llama_cpp.llama_token * len(past))(*past)
        written = llama_cpp.llama_state_seq_save_file(ctx, os.fsencode(path), 0, tokens, len(past))
        return len(past) if written else 0

    def load_prefix(self, path: Path) -> int:
        """Restore a state from `save_prefix` (same model and settings); 0 when it does not fit."""
        self.reset()
        ctx = self._plain.ctx if self._plain else self._ctx
        buf = (llama_cpp.llama_token * self.n_ctx)()
        count = ctypes.c_size_t(0)
        read = llama_cpp.llama_state_seq_load_file(
            ctx, os.fsencode(path), 0, buf, self.n_ctx, ctypes.byref(count)
        )
        if not read or count.value == 0:
            self.reset()
            return 0
        if self._plain:  # this context catches up at the next request
            self._plain.past = list(buf[: count.value])
        else:
            self._past = list(buf[: count.value])
        return count.value

    def reset(self) -> None:
        """Forget the cached prefix."""
        llama_cpp.llama_memory_clear(self._memory, True)
        self._past.clear()
        if self._plain:
            self._plain.reset()


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
