"""Choose the backend for a call: an endpoint, the resident server, else the model in-process."""

from __future__ import annotations

import os

from codeassist.backends.base import Backend
from codeassist.config import Config

NO_SERVER = "CODEASSIST_NO_SERVER"  # set to 1 to always load the model in this process


def open_backend(config: Config, model: str | None = None, endpoint: str | None = None) -> Backend:
    """`--endpoint` > config endpoint > a running `codeassist serve` for the model > in-process."""
    url = endpoint or config.endpoint
    if url:
        from codeassist.backends.openai import OpenAIBackend

        return OpenAIBackend(url, model=model)
    spec = model or config.model
    if not os.environ.get(NO_SERVER):
        from codeassist.backends import client

        if server := client.find(spec):
            return server
    return open_local(config, spec)


def open_local(config: Config, spec: str) -> Backend:
    """The model in this process, loaded once, with the config's GPU and cache settings."""
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    ref = models.resolve(spec)
    backend = LlamaCppBackend.load(
        ref, n_ctx=config.n_ctx, gpu_layers=config.gpu_layers,
        flash_attn=config.flash_attn, kv_type=config.kv_cache_type,
    )  # fmt: skip
    backend.speculative = speculation_on(config.speculative)
    return backend


def speculation_on(setting: object) -> bool:
    """`auto`: on where layers run on a GPU. On a CPU a verify batch of 8 tokens costs about 4
    single steps (measured, 2 cores), more than prompt lookup saves; a GPU pays about one."""
    from codeassist.backends.llamacpp import gpu_offload_supported

    if isinstance(setting, bool):
        return setting
    return setting == "on" or (setting == "auto" and gpu_offload_supported())


def warm(config: Config, model: str | None = None, endpoint: str | None = None) -> bool:
    """Whether a model answers without loading here: an endpoint, or a running server."""
    if endpoint or config.endpoint:
        return True
    from codeassist.backends import client

    return not os.environ.get(NO_SERVER) and client.find(model or config.model) is not None
