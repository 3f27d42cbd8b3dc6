"""User configuration: a TOML file in the config dir, then environment overrides."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from codeassist import paths
from codeassist.errors import InputError

DEFAULT_MODEL = "qwen2.5-coder-1.5b"


@dataclass(frozen=True)
class Config:
    """Settings every front door reads; the CLI's options override them per call."""

    model: str = DEFAULT_MODEL
    endpoint: str | None = None  # an OpenAI-compatible server; None means local
    temperature: float = 0.0
    max_tokens: int = 512
    n_ctx: int = 4096
    context: bool = True  # ground requests in the repository
    context_budget: int = 1024  # tokens of repository context in a prompt
    gpu_layers: int = -1  # -1: all layers when the build supports offload
    flash_attn: str = "on"  # on | off | auto (on where layers are offloaded)
    kv_cache_type: str = "f16"  # f16 | q8_0 | q4_0 (quantized caches turn flash attention on)
    # Prompt-lookup decoding at temperature 0: on | off | auto (on with a GPU where it keeps
    # the output bit-identical; see LlamaCppBackend.exact_batch).
    speculative: str = "auto"
    # Where prompt lookup finds no draft, a smaller model of the same tokenizer drafts:
    # auto (qwen2.5-coder-0.5b when installed, for targets at least 4x its size) | off | a name.
    draft_model: str = "auto"
    # CPU only: evaluate prompts through unrepacked weights where llama.cpp's repacked kernels
    # are slower at it (auto: measured once per model and machine) | on | off.
    prefill: str = "auto"
    serve_idle_timeout: float = 1800.0  # seconds before an idle `codeassist serve` exits
    prompt_cache_disk: bool = True  # the server saves its KV prefix on exit, reloads it at start
    shell_key: str = "\\C-g"
    hook_timeout: float = 20.0
    # The pre-commit hook's model review: "warm" (only when a resident server or an endpoint
    # answers, so a commit never waits for a model load), "always", or "never" (rules only).
    hook_model: str = "warm"
    extra: dict[str, object] = field(default_factory=dict)


_ENV = {"CODEASSIST_MODEL": "model", "CODEASSIST_ENDPOINT": "endpoint"}


def load(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read the config file (missing is fine), then apply `CODEASSIST_*` overrides."""
    path = path or paths.config_file()
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, object] = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise InputError(
                f"cannot read config file {path}: {exc}",
                hint="fix the TOML syntax or move the file away",
            ) from exc
    known = {f.name for f in dataclasses.fields(Config)} - {"extra"}
    settings = {k: v for k, v in values.items() if k in known}
    extra = {k: v for k, v in values.items() if k not in known}
    for key, value in settings.items():
        _check_type(path, key, value)
    for var, key in _ENV.items():
        if environ.get(var):
            settings[key] = environ[var]
    return Config(**settings, extra=extra)  # type: ignore[arg-type]


_CHOICES = {
    "flash_attn": ("on", "off", "auto"),
    "kv_cache_type": ("f16", "q8_0", "q4_0"),
    "speculative": ("auto", "on", "off"),
    "hook_model": ("warm", "always", "never"),
    "prefill": ("auto", "on", "off"),
}
_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "str | None": (str,), "bool": (bool,),
                                       "int": (int,), "float": (int, float)}  # fmt: skip


def _check_type(path: Path, key: str, value: object) -> None:
    """A wrong type is the user's to fix, with the file and key named: not a crash later."""
    kind = next(f.type for f in dataclasses.fields(Config) if f.name == key)
    expected = _TYPES.get(str(kind), (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise InputError(
            f"config file {path}: {key} should be {str(kind).replace(' | None', '')}, "
            f"not {value!r}",
            hint=f"edit {key} in {path}",
        )
    if key in _CHOICES and value not in _CHOICES[key]:
        raise InputError(
            f"config file {path}: {key} should be one of {', '.join(_CHOICES[key])}, not {value!r}",
            hint=f"edit {key} in {path}",
        )
