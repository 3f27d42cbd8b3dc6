"""In-process llama.cpp: the model loaded once per process (mmap) and kept.

loader      load a GGUF once per process and settings; the context it gives
sequence    the KV cache and its tokens: evaluate, decode, rewind
tokenizer   chat template and tokens
prefill     prompts through a second, unrepacked view of the weights (CPU)
generate    the decode loop that streams an answer
speculation drafts (prompt lookup, draft.py's small model) and the settings a backend gets
probe       how wide a verify batch stays bit-identical to one-token decoding
backend     LlamaCppBackend: a loaded model and its speculation settings, as one Backend
"""

from codeassist.backends.llamacpp.backend import LlamaCppBackend
from codeassist.backends.llamacpp.generate import Stats
from codeassist.backends.llamacpp.loader import (
    LoadSettings,
    gpu_offload_supported,
    open_llama,
    threads,
    tokenizer,
)
from codeassist.backends.llamacpp.speculation import DRAFT_MAX, Speculation

__all__ = [
    "DRAFT_MAX",
    "LlamaCppBackend",
    "LoadSettings",
    "Speculation",
    "Stats",
    "gpu_offload_supported",
    "open_llama",
    "threads",
    "tokenizer",
]
