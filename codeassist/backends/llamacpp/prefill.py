"""Prompt evaluation through a second, unrepacked view of the same weights (CPU only).

At load, llama.cpp repacks quantized weights into layouts for its CPU matrix kernels. On some
CPUs those kernels decode faster but evaluate long prompts slower. Measured on 2 AMD EPYC
cores with Qwen2.5-Coder-1.5B Q4_K_M: 32 ms against 38 ms per decoded token, but 160 against
251 prompt tokens/s. A second model over the same memory-mapped file, without repacking,
shares the page cache and adds only its KV cache. It evaluates every prompt token but the
last; the sequence's KV state is then copied into the decoding context (21 ms for 1,500
tokens), which decodes the last prompt token and the answer.

`auto` measures once per model file, llama.cpp version, thread count and CPU, at the first
prompt long enough to matter, and keeps the faster path. The answer is stored in the cache dir.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import llama_cpp
import llama_cpp.llama_cpp as llama_lib

from codeassist import paths
from codeassist.backends.llamacpp.sequence import Sequence, load_state, save_state, shared_prefix
from codeassist.errors import BackendError, ModelError

MIN_TOKENS = 256  # new prompt tokens worth a second view (and worth measuring it)
PROBE_TOKENS = 128
FASTER = 0.85  # the plain view is used when it takes at most this share of the time


@contextmanager
def _no_repack() -> Any:
    """llama-cpp-python builds the model params itself; switch off extra buffer types there."""
    original = llama_lib.llama_model_default_params

    def params() -> Any:
        p = original()
        p.use_extra_bufts = False
        return p

    llama_lib.llama_model_default_params = params
    try:
        yield
    finally:
        llama_lib.llama_model_default_params = original


class PlainView:
    """The unrepacked model and its context: evaluates prompt heads, keeps its own KV cache."""

    def __init__(self, open_model: Callable[[], llama_cpp.Llama], n_batch: int) -> None:
        with _no_repack():
            self.llm = open_model()
        self.ctx = self.llm._ctx.ctx
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_batch = n_batch
        self.past: list[int] = []
        self.version = 0  # changes whenever cells are computed anew here
        self._buf: ctypes.Array[ctypes.c_uint8] = (ctypes.c_uint8 * 0)()

    def evaluate(self, head: list[int]) -> int:
        """Bring this cache to `head`, keeping the common prefix; returns how many were kept."""
        keep = shared_prefix(self.past, head)
        if keep < len(self.past):
            llama_cpp.llama_memory_seq_rm(self.memory, -1, keep, -1)
            del self.past[keep:]
        todo = head[keep:]
        for start in range(0, len(todo), self.n_batch):
            chunk = todo[start : start + self.n_batch]
            tokens = (llama_cpp.llama_token * len(chunk))(*chunk)
            rc = llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(tokens, len(chunk)))
            if rc != 0:
                self.reset()
                raise BackendError(
                    f"llama.cpp failed to evaluate the prompt (code {rc})",
                    hint='try a shorter request, or set prefill = "off" in the config',
                )
            self.past.extend(chunk)
        if todo:
            self.version += 1
        return keep

    def copy_into(self, ctx: Any, memory: Any) -> None:
        """Replace sequence 0 of another context of the same model with this one's KV state."""
        size = llama_cpp.llama_state_seq_get_size(self.ctx, 0)
        if len(self._buf) < size:  # kept between copies: zeroing 40 MB each time shows
            self._buf = (ctypes.c_uint8 * size)()
        buf = self._buf
        got = llama_cpp.llama_state_seq_get_data(self.ctx, buf, size, 0)
        llama_cpp.llama_memory_seq_rm(memory, -1, -1, -1)
        if not got or llama_cpp.llama_state_seq_set_data(ctx, buf, got, 0) != got:
            raise BackendError(
                "llama.cpp could not copy the prompt's KV state between contexts",
                hint='set prefill = "off" in the config',
            )

    def reset(self) -> None:
        llama_cpp.llama_memory_clear(self.memory, True)
        self.past.clear()
        self.version += 1

    def rewind(self, n: int) -> None:
        """Keep only the first `n` tokens of this cache."""
        if n < len(self.past):
            llama_cpp.llama_memory_seq_rm(self.memory, 0, n, -1)
            del self.past[n:]

    def save(self, path: Path) -> int:
        """Write this cache's KV state to `path`; returns how many tokens."""
        return save_state(self.ctx, self.past, path)

    def load(self, path: Path, n_ctx: int) -> int:
        """Replace this cache with a saved state; the decoding context catches up later."""
        self.past = load_state(self.ctx, n_ctx, path)
        return len(self.past)


class Prefill:
    """Where a model's prompts are evaluated: through the plain view, or in its own context.

    `mode` is "on" (the plain view), "off", or "auto" (undecided until the first prompt long
    enough to measure). Without a way to open the plain view it is always "off".
    """

    def __init__(
        self,
        seq: Sequence,
        mode: str = "off",
        open_plain: Callable[[], llama_cpp.Llama] | None = None,
        key: str = "",
    ) -> None:
        self.seq = seq
        self.mode = "off"
        self.view: PlainView | None = None
        self._open_plain = open_plain
        self._key = key
        self._synced = (-1, 0)  # (plain view version, cells) last copied into `seq`
        if open_plain is None or mode == "off":
            return
        known = recall(key) if mode == "auto" else True
        if known is None:
            self.mode = "auto"  # measured at the first prompt long enough to matter
        elif known:
            try:
                self.view = PlainView(open_plain, seq.n_batch)
            except ModelError:
                return  # the decoding weights evaluate prompts too, only slower
            self.mode = "on"

    def evaluate(self, prompt: list[int]) -> int:
        """Bring `seq` to `prompt`, keeping the longest cached prefix; returns its length."""
        if self.mode == "auto" and self._new_tokens(prompt) >= MIN_TOKENS:
            self._decide(prompt)
        if self.view is not None:
            return self._through_view(self.view, prompt)
        return self.seq.evaluate(prompt)

    def reset(self) -> None:
        """Empty both caches."""
        self.seq.reset()
        if self.view:
            self.view.reset()

    @property
    def reusable(self) -> list[int]:
        """The tokens a prompt's evaluation can keep: the plain view's when there is one."""
        return list(self.view.past) if self.view else self.seq.tokens

    def keep(self, n: int) -> None:
        """Keep only the first `n` tokens in both caches (what a later request reuses)."""
        if n < len(self.seq):
            self.seq.rewind(n)
        if self.view:
            self.view.rewind(n)

    def _new_tokens(self, prompt: list[int]) -> int:
        return len(prompt) - shared_prefix(self.seq.tokens, prompt)

    def _decide(self, prompt: list[int]) -> None:
        """Time a prompt's first tokens both ways; keep the plain view if it is faster."""
        assert self._open_plain is not None
        self.mode = "off"  # also when measuring fails: the decoding weights still work
        tokens = prompt[:PROBE_TOKENS]
        try:
            view = PlainView(self._open_plain, self.seq.n_batch)
            plain_s = seconds_to_evaluate(view.evaluate, view.reset, tokens)
        except (ModelError, BackendError):
            return
        own_s = seconds_to_evaluate(self.seq.evaluate, self.seq.reset, tokens)
        faster = plain_s <= FASTER * own_s
        remember(self._key, faster)
        if faster:
            self.view, self.mode = view, "on"

    def _through_view(self, view: PlainView, prompt: list[int]) -> int:
        """The plain view evaluates all but the last token; `seq` decodes that one."""
        head = prompt[:-1]
        try:
            kept = view.evaluate(head)
            version, cells = self._synced
            synced = version == view.version and len(head) <= cells and self.seq.holds(head)
            if not head or synced:  # this context holds the head already
                self.seq.rewind(len(head))
            else:
                view.copy_into(self.seq.ctx, self.seq.memory)
                self.seq.adopt(head)
                self._synced = (view.version, len(head))
            self.seq.decode(prompt[-1:])
        except BackendError:
            self.reset()
            raise
        return kept


def decision_file() -> Path:
    return paths.cache_dir() / "prefill.json"


def cpu_name() -> str:
    """The processor's model name (a shared home may serve several kinds of machine)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def decision_key(model_path: Path, threads: int) -> str:
    st = model_path.stat()
    return (
        f"{model_path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{llama_cpp.__version__}|"
        f"{threads}|{cpu_name()}"
    )


def recall(key: str) -> bool | None:
    try:
        value = json.loads(decision_file().read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None


def remember(key: str, faster: bool) -> None:
    path = decision_file()
    try:
        data = json.loads(path.read_text())
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data[key] = faster
    try:
        paths.make(path.parent)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # two writers at once
        partial.write_text(json.dumps(data, indent=1))
        partial.replace(path)
    except OSError:
        pass  # unwritable cache: measure again next time


def seconds_to_evaluate(evaluate: Callable[[list[int]], object], reset: Callable[[], None],
                        tokens: list[int]) -> float:  # fmt: skip
    """Best of two timings of evaluating `tokens` from an empty cache."""
    best = float("inf")
    for _ in range(2):
        reset()
        t0 = time.perf_counter()
        evaluate(tokens)
        best = min(best, time.perf_counter() - t0)
    reset()
    return best
