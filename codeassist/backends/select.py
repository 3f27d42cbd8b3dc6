"""Choose the backend for a call: an endpoint, else the local model (in-process)."""

from __future__ import annotations

from codeassist.backends.base import Backend
from codeassist.config import Config


def open_backend(config: Config, model: str | None = None, endpoint: str | None = None) -> Backend:
    """`--endpoint` > config endpoint > the local model (`--model` > config > default)."""
    url = endpoint or config.endpoint
    if url:
        from codeassist.backends.openai import OpenAIBackend

        return OpenAIBackend(url, model=model)
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    ref = models.resolve(model or config.model)
    return LlamaCppBackend.load(ref, n_ctx=config.n_ctx, gpu_layers=config.gpu_layers)
