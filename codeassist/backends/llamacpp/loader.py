"""Loading a GGUF into llama.cpp, once per process and settings, with its context kept.

The weights are memory-mapped; GPU layers are offloaded where the build supports it. What a
load gives (`Loaded`) is shared by every backend of that model: one context, one KV cache.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
import llama_cpp.llama_cpp as llama_lib

from codeassist.backends.llamacpp.prefill import Prefill, decision_key
from codeassist.backends.llamacpp.sequence import Sequence
from codeassist.backends.llamacpp.speculation import DRAFT_MAX
from codeassist.backends.llamacpp.tokenizer import Tokenizer
from codeassist.errors import ModelError
from codeassist.models import ModelRef
from codeassist.terminal import sanitize

KV_TYPES = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0,
            "q4_0": llama_cpp.GGML_TYPE_Q4_0}  # fmt: skip
MAX_CANDIDATES = 8  # sequences a context decodes side by side (config max_candidates)


@dataclass(frozen=True)
class LoadSettings:
    """How a model is loaded: context size, GPU layers, attention, KV cache, prompt path."""

    n_ctx: int = 4096
    gpu_layers: int = -1
    flash_attn: str = "on"  # on | off | auto (on where layers are offloaded to a GPU)
    kv_type: str = "f16"  # f16 | q8_0 | q4_0 (a quantized V cache needs flash attention)
    prefill: str = "off"  # on | off | auto: prompts through unrepacked weights on a CPU
    n_seq: int = MAX_CANDIDATES  # sequences decoded side by side (LlamaCppBackend.complete_many)


@dataclass(eq=False)
class Loaded:
    """A model in this process: llama.cpp's handle and what shares its context."""

    llm: llama_cpp.Llama
    name: str
    sequence: Sequence  # the KV cache and the tokens in it
    tokenizer: Tokenizer
    prefill: Prefill  # where prompts are evaluated
    exact: int | None = None  # the measured exact batch width (probe.py), once known


_LOADED: dict[tuple[str, LoadSettings], Loaded] = {}


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _quiet_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama.cpp's own log: on stderr only with CODEASSIST_DEBUG=1, never on a user's screen."""
    if os.environ.get("CODEASSIST_DEBUG"):
        sys.stderr.write(sanitize(text.decode("utf-8", "replace")))  # GGUF metadata is data


@contextlib.contextmanager
def _sequences(n_seq: int) -> Iterator[None]:
    """Contexts made meanwhile hold `n_seq` sequences over one unified KV cache.

    llama-cpp-python's Llama() takes neither setting; it builds its context parameters from
    llama_context_default_params, so that is wrapped while the model opens. Unified, the cache
    is shared: one sequence can still fill all of n_ctx, and copied sequences share cells.
    """
    original = llama_lib.llama_context_default_params

    def params() -> Any:
        p = original()
        p.n_seq_max = n_seq
        p.kv_unified = True
        return p

    llama_lib.llama_context_default_params = params
    try:
        yield
    finally:
        llama_lib.llama_context_default_params = original


@contextlib.contextmanager
def _ctrl_c_kept() -> Iterator[None]:
    """A Ctrl-C while llama.cpp loads is raised once it returns. Raised where Python first runs,
    it would land in the log callback, and ctypes drops an exception raised in a callback:
    the load went on and the process did not stop (`codeassist serve` kept serving)."""
    pressed: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    except ValueError:  # not the main thread: signals are not ours to handle here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def open_llama(path: Path, n_seq: int = 1, **params: Any) -> llama_cpp.Llama:
    """Load a GGUF with llama.cpp's logging kept off the user's terminal."""
    llama_cpp.llama_log_set(_quiet_log, ctypes.c_void_p(0))
    try:
        with _ctrl_c_kept(), _sequences(n_seq):
            return llama_cpp.Llama(model_path=str(path), verbose=False, **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp could not load {path.name}: {exc}",
            hint="the file may be truncated or not a model llama.cpp supports",
        ) from None


def llama_params(settings: LoadSettings) -> dict[str, Any]:
    """llama-cpp-python's parameters for `settings` on this machine."""
    n_threads = threads()
    gpu = gpu_offload_supported()
    kv_type, flash_attn = settings.kv_type, settings.flash_attn
    if kv_type not in KV_TYPES:
        raise ModelError(
            f"unknown KV cache type {kv_type!r}", hint=f"use one of: {', '.join(KV_TYPES)}"
        )
    flash = flash_attn == "on" or (flash_attn == "auto" and gpu) or kv_type != "f16"
    return {
        "n_ctx": settings.n_ctx,
        "n_batch": 512,
        "n_gpu_layers": settings.gpu_layers if gpu else 0,
        "n_threads": n_threads,
        "n_threads_batch": n_threads,
        "use_mmap": True,
        "flash_attn": flash,
        "type_k": KV_TYPES[kv_type],
        "type_v": KV_TYPES[kv_type],
    }


def load(ref: ModelRef, settings: LoadSettings) -> Loaded:
    """Load a model once per process and settings; later calls get the same one."""
    key = (str(ref.path), settings)
    if key not in _LOADED:
        params = llama_params(settings)
        llm = open_llama(ref.path, settings.n_seq, **params)
        sequence = Sequence(llm, DRAFT_MAX + 1)  # a verify batch: pending token + draft
        prefill = Prefill(sequence)
        if offloaded_layers(llm) == 0 and settings.prefill != "off":
            decided = decision_key(Path(llm.model_path), threads())
            plain = functools.partial(open_llama, ref.path, settings.n_seq, **params)
            prefill = Prefill(sequence, settings.prefill, plain, decided)
        _LOADED[key] = Loaded(llm, ref.name, sequence, Tokenizer(llm), prefill)
    return _LOADED[key]


def n_layers(llm: llama_cpp.Llama) -> int:
    return int(llama_cpp.llama_model_n_layer(llm._model.model))


def offloaded_layers(llm: llama_cpp.Llama) -> int:
    """How many layers run on the GPU (0 on a CPU-only build)."""
    if not gpu_offload_supported():
        return 0
    wanted = int(llm.model_params.n_gpu_layers)
    return n_layers(llm) if wanted < 0 else min(n_layers(llm), wanted)


@functools.cache
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
