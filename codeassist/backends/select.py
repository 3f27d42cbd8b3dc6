"""Choose the backend for a call: an endpoint, the resident server, else the model in-process."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from codeassist.backends.base import Backend
from codeassist.config import Config

if TYPE_CHECKING:
    from codeassist.backends.llamacpp import LlamaCppBackend

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
    set_speculation(backend, config.speculative)
    return backend


def set_speculation(backend: LlamaCppBackend, setting: str) -> None:
    """`on` forces prompt-lookup decoding; `auto` turns it on where layers run on a GPU and
    verify batches are measured bit-identical to one-token decoding (exact_batch), with drafts
    no longer than that allows. On a CPU it stays off: a verify batch of 8 tokens costs about
    4 single steps there (measured, 2 cores), more than prompt lookup saves.
    """
    from codeassist.backends.llamacpp import DRAFT_MAX

    backend.speculative, backend.draft_max = False, DRAFT_MAX
    if setting == "on":
        backend.speculative = True
    elif setting == "auto" and backend.offloaded_layers > 0:
        exact = backend.exact_batch()
        if exact > 1:
            backend.speculative, backend.draft_max = True, exact - 1


def warm(config: Config, model: str | None = None, endpoint: str | None = None) -> bool:
    """Whether a model answers without loading here: an endpoint, or a running server."""
    if endpoint or config.endpoint:
        return True
    from codeassist.backends import client

    return not os.environ.get(NO_SERVER) and client.find(model or config.model) is not None
