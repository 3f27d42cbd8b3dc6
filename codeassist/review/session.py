"""Wire a review together from the config and the command's options."""

from __future__ import annotations

from pathlib import Path

from codeassist.backends.base import Backend
from codeassist.config import Config
from codeassist.review.cache import Cache
from codeassist.review.diff import read_change
from codeassist.review.engine import Settings, review
from codeassist.review.findings import Report


def settings(
    cfg: Config, *, timeout: float | None = None, use_model: bool = True,
    model: str | None = None, endpoint: str | None = None, deadline: float | None = None,
) -> Settings:  # fmt: skip
    """Model selection as everywhere: --endpoint > config endpoint > --model > config model."""
    budget = cfg.hook_timeout if timeout is None else timeout
    if not use_model:
        return Settings(timeout=budget, deadline=deadline)
    model_id = endpoint or cfg.endpoint or model or cfg.model

    def open_it() -> Backend:
        from codeassist.backends.select import open_backend

        return open_backend(cfg, model=model, endpoint=endpoint)

    return Settings(timeout=budget, deadline=deadline, model_id=str(model_id), backend=open_it)


def run(
    cfg: Config, *, repo: Path | None = None, commit: str | None = None,
    rev_range: str | None = None, timeout: float | None = None, use_model: bool = True,
    model: str | None = None, endpoint: str | None = None,
) -> Report:  # fmt: skip
    change = read_change(repo, commit=commit, rev_range=rev_range)
    cache = Cache()
    try:
        s = settings(cfg, timeout=timeout, use_model=use_model, model=model, endpoint=endpoint)
        return review(change, s, cache)
    finally:
        cache.close()
