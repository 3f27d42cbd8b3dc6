"""Choose the backend for a call: an endpoint, the resident server, else the model in-process."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from codeassist.backends.base import Backend
from codeassist.config import Config

if TYPE_CHECKING:
    from codeassist.backends.llamacpp import LlamaCppBackend, Speculation
    from codeassist.models import ModelRef

AUTO_DRAFT = "qwen2.5-coder-0.5b"
NO_SERVER = "CODEASSIST_NO_SERVER"  # set to 1 to always load the model in this process


def open_backend(config: Config, model: str | None = None, endpoint: str | None = None) -> Backend:
    """`--endpoint` > config endpoint > a running `codeassist serve` for the model > in-process."""
    url = endpoint or config.endpoint
    if url:
        from codeassist.backends.openai import OpenAIBackend

        with _named_source("endpoint", given=bool(endpoint)):
            return OpenAIBackend(url, model=model)
    spec = model or config.model
    if not os.environ.get(NO_SERVER):
        from codeassist.backends import client

        if server := client.find(spec):
            return server
    from codeassist import models

    with _named_source("model", given=bool(model)):
        ref = models.resolve(spec)
    return open_local(config, ref)


@contextlib.contextmanager
def _named_source(key: str, *, given: bool) -> Iterator[None]:
    """A bad `model` or `endpoint` that came from the environment or the config file says so
    (the command line's own is named by the error already); the config's is exit 5, as any
    bad value in that file."""
    from codeassist.config import ENV_OF
    from codeassist.errors import InputError, UsageError

    try:
        yield
    except UsageError as exc:
        if given:
            raise
        var = ENV_OF[key]
        if os.environ.get(var):
            hint = f"fix or unset {var}" + (f" ({exc.hint})" if exc.hint else "")
            raise UsageError(f"{var}: {exc.message}", hint=hint) from None
        from codeassist import paths

        where = paths.config_file()
        raise InputError(f"config file {where}: {key}: {exc.message}", hint=exc.hint) from None


def open_local(config: Config, spec: str | ModelRef) -> Backend:
    """The model in this process, loaded once, with the config's GPU, cache and speculation."""
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend

    ref = models.resolve(spec) if isinstance(spec, str) else spec
    load = functools.partial(
        LlamaCppBackend.load, ref, n_ctx=config.n_ctx, gpu_layers=config.gpu_layers,
        flash_attn=config.flash_attn, kv_type=config.kv_cache_type, prefill_mode=config.prefill,
        max_candidates=config.max_candidates,
    )  # fmt: skip
    return load(speculation=speculation(load(), config))


def speculation(target: LlamaCppBackend, config: Config) -> Speculation:
    """How `target` speculates under the config: `speculative` (speculation.choose), then a
    draft model (`draft_model`) for a backend that speculates."""
    from codeassist.backends.llamacpp.speculation import choose

    chosen = choose(config.speculative, target.offloaded_layers, target.exact_batch)
    if not chosen.on:
        return chosen
    return dataclasses.replace(chosen, draft=draft_model(target, config))


def draft_model(target: LlamaCppBackend, config: Config) -> LlamaCppBackend | None:
    """The model that drafts for `target` (config `draft_model`): `auto` takes the 0.5B when it
    is installed, shares the tokenizer and the target is at least AUTO_MIN_RATIO times its size;
    a name or path is used whenever speculation is on; `off` never."""
    from codeassist import models
    from codeassist.backends.llamacpp import LlamaCppBackend
    from codeassist.backends.llamacpp.draft import AUTO_MIN_RATIO, same_tokenizer
    from codeassist.errors import ModelError, UsageError

    setting = config.draft_model
    if setting == "off":
        return None
    auto = setting == "auto"
    if auto:
        setting = AUTO_DRAFT
        manifest = models.get(AUTO_DRAFT)
        target_path = target.llm.model_path
        if not manifest.installed or os.path.getsize(target_path) < AUTO_MIN_RATIO * manifest.size:
            return None
    try:
        ref = models.resolve(setting)
        if os.path.samefile(ref.path, target.llm.model_path):
            return None  # a model cannot usefully draft for itself
        draft = LlamaCppBackend.load(
            ref, n_ctx=target.n_ctx, gpu_layers=config.gpu_layers,
            flash_attn=config.flash_attn, kv_type=config.kv_cache_type,
        )  # fmt: skip
    except (ModelError, UsageError) as exc:
        if auto:
            return None  # a broken optional draft model must not stop the request
        raise type(exc)(f"draft model: {exc.message}", hint=exc.hint) from None
    if not same_tokenizer(target.tokenizer, draft.tokenizer):
        if auto:
            return None
        raise UsageError(
            f"draft model {ref.name} does not share the tokenizer of {target.name}",
            hint="set draft_model to a smaller model of the same family, or to off",
        )
    return draft


def warm(config: Config, model: str | None = None, endpoint: str | None = None) -> bool:
    """Whether a model answers without loading here: an endpoint, or a running server."""
    if endpoint or config.endpoint:
        return True
    from codeassist.backends import client

    return not os.environ.get(NO_SERVER) and client.find(model or config.model) is not None
