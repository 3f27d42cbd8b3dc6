"""Choose the backend for a call: an endpoint, the resident server, else the model in-process."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from codeassist.backends.base import Backend
from codeassist.config import Config

if TYPE_CHECKING:
    from codeassist.backends.llamacpp import LlamaCppBackend

AUTO_DRAFT = "qwen2.5-coder-0.5b"
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
        flash_attn=config.flash_attn, kv_type=config.kv_cache_type, prefill_mode=config.prefill,
    )  # fmt: skip
    set_speculation(backend, config.speculative)
    set_draft_model(backend, config)
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


def set_draft_model(backend: LlamaCppBackend, config: Config) -> None:
    """Give a speculating backend a draft model (config `draft_model`): `auto` takes the 0.5B
    when it is installed, shares the tokenizer and the target is at least AUTO_MIN_RATIO times
    its size; a name or path is used whenever speculation is on; `off` never."""
    from codeassist import models
    from codeassist.backends.llamacpp.draft import AUTO_MIN_RATIO, same_tokenizer
    from codeassist.backends.llamacpp import LlamaCppBackend
    from codeassist.errors import ModelError, UsageError

    backend.draft_model = None
    setting = config.draft_model
    if not backend.speculative or setting == "off":
        return
    auto = setting == "auto"
    if auto:
        setting = AUTO_DRAFT
        manifest = models.get(AUTO_DRAFT)
        target = backend.llm.model_path
        if not manifest.installed or os.path.getsize(target) < AUTO_MIN_RATIO * manifest.size:
            return
    try:
        ref = models.resolve(setting)
        if os.path.samefile(ref.path, backend.llm.model_path):
            return  # a model cannot usefully draft for itself
        draft = LlamaCppBackend.load(
            ref, n_ctx=backend.n_ctx, gpu_layers=config.gpu_layers,
            flash_attn=config.flash_attn, kv_type=config.kv_cache_type,
        )  # fmt: skip
    except (ModelError, UsageError) as exc:
        if auto:
            return  # a broken optional draft model must not stop the request
        raise type(exc)(f"draft model: {exc.message}", hint=exc.hint) from None
    if not same_tokenizer(backend, draft):
        if auto:
            return
        raise UsageError(
            f"draft model {ref.name} does not share the tokenizer of {backend.name}",
            hint="set draft_model to a smaller model of the same family, or to off",
        )
    backend.draft_model = draft


def warm(config: Config, model: str | None = None, endpoint: str | None = None) -> bool:
    """Whether a model answers without loading here: an endpoint, or a running server."""
    if endpoint or config.endpoint:
        return True
    from codeassist.backends import client

    return not os.environ.get(NO_SERVER) and client.find(model or config.model) is not None
