"""In-process llama.cpp: the model loaded once per process (mmap) and kept."""

from codeassist.backends.llamacpp.backend import (
    DRAFT_MAX,
    LlamaCppBackend,
    Stats,
    gpu_offload_supported,
    open_llama,
    threads,
    tokenizer,
)

__all__ = [
    "DRAFT_MAX",
    "LlamaCppBackend",
    "Stats",
    "gpu_offload_supported",
    "open_llama",
    "threads",
    "tokenizer",
]
