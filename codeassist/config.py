"""User configuration: a TOML file in the config dir, then environment overrides.

Every key is checked when the file is read: its type (the Config field's), its range or
choices (RULES), and its name: a key codeassist does not know is an error naming the closest
one it does, since a silently ignored typo is a setting the user believes in and does not have.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from codeassist import paths
from codeassist.errors import InputError, UsageError

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
MAX_N_CTX = 131072  # the longest context of the models codeassist ships (with RoPE scaling)
MAX_HOOK_TIMEOUT = 3600.0  # a commit never waits longer than this for its review


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
    schema_budget: int = 1500  # tokens of a database's schema in a prompt (the tables it needs)
    # Rows of each sent table shown under its CREATE (within schema_budget). Off: on Spider
    # (spread 100, qwen2.5-coder-1.5b) 3 rows scored 74% against 78% without, 1.2 s slower.
    schema_rows: int = 0
    gpu_layers: int = -1  # -1: all layers when the build supports offload
    flash_attn: str = "on"  # on | off | auto (on where layers are offloaded); docs/cpu.md
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
    # The server saves the KV state of each repository's stable prompt prefix (serve/prefix.py):
    # at most this many entries and this many MiB, least recently used dropped first.
    prompt_cache_disk: bool = True
    prompt_cache_entries: int = 8
    prompt_cache_mb: int = 1024
    max_candidates: int = 8  # answers one prompt may draw side by side (best-of-k, in-process)
    shell_key: str = "\\C-g"
    explain_key: str = "alt-e"  # the shell widget's second key: explain the line
    # After a widget request with no server running, start one in the background (it ends
    # after serve_idle_timeout), so the next requests find the model loaded and warm.
    shell_autostart: bool = False
    hook_timeout: float = 20.0  # 0: the hook runs the quick checks only up to their first file
    # The pre-commit hook's model review: "warm" (only when a resident server or an endpoint
    # answers, so a commit never waits for a model load), "always", or "never" (rules only).
    hook_model: str = "warm"
    # Best of k: candidates drawn when the checks do not confirm the first answer (1: one answer,
    # as before); auto: a default per backend kind, CPU or GPU (backends/sampling.py).
    samples: int | str = "auto"


@dataclass(frozen=True)
class Rule:
    """What a key's value may be, beyond its type: bounds (inclusive unless `above`), choices."""

    least: float | None = None  # value >= least
    above: float | None = None  # value > above
    most: float | None = None  # value <= most
    choices: tuple[str, ...] = ()
    nonempty: bool = False
    within_n_ctx: bool = False  # also at most the configured n_ctx


RULES: dict[str, Rule] = {
    "model": Rule(nonempty=True),
    "endpoint": Rule(nonempty=True),
    "temperature": Rule(least=0.0, most=2.0),
    "max_tokens": Rule(least=1, within_n_ctx=True),
    "n_ctx": Rule(least=256, most=MAX_N_CTX),
    "context": Rule(),
    "context_budget": Rule(least=0, within_n_ctx=True),
    "schema_budget": Rule(least=64, within_n_ctx=True),
    "schema_rows": Rule(least=0, most=20),
    "gpu_layers": Rule(least=-1),
    "flash_attn": Rule(choices=("on", "off", "auto")),
    "kv_cache_type": Rule(choices=("f16", "q8_0", "q4_0")),
    "speculative": Rule(choices=("auto", "on", "off")),
    "draft_model": Rule(nonempty=True),
    "prefill": Rule(choices=("auto", "on", "off")),
    "serve_idle_timeout": Rule(above=0.0),
    "prompt_cache_disk": Rule(),
    "prompt_cache_entries": Rule(least=1, most=1000),
    "prompt_cache_mb": Rule(least=1, most=1024 * 1024),
    "max_candidates": Rule(least=1, most=64),
    "shell_key": Rule(nonempty=True),
    "explain_key": Rule(nonempty=True),
    "shell_autostart": Rule(),
    "hook_timeout": Rule(least=0.0, most=MAX_HOOK_TIMEOUT),
    "hook_model": Rule(choices=("warm", "always", "never")),
    "samples": Rule(least=1, most=16, choices=("auto",)),  # an int, or the word
}
_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "str | None": (str,), "bool": (bool,),
                                       "int": (int,), "float": (int, float),
                                       "int | str": (int, str)}  # fmt: skip
_ENV = {"CODEASSIST_MODEL": "model", "CODEASSIST_ENDPOINT": "endpoint"}
ENV_OF = {key: var for var, key in _ENV.items()}  # the variable that sets a key


def load(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read the config file (missing is fine), check every key, then apply `CODEASSIST_*`."""
    path = path or paths.config_file()
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, object] = {}
    if not path.is_file() and os.path.lexists(path):  # there, and not a file: never the defaults
        what = ("a link to a file that is not there" if path.is_symlink() and not path.exists()
                else "a directory" if path.is_dir() else "not a regular file")  # fmt: skip
        raise InputError(
            f"cannot read config file {path}: it is {what}",
            hint="point it at your config file, or move it away",
        )
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            hint = "fix the TOML syntax or move the file away"
            if isinstance(exc, OSError):
                hint = "check the file's permissions, or move it away"
            raise InputError(f"cannot read config file {path}: {exc}", hint=hint) from exc
    for key in sorted(values, key=lambda k: k != "n_ctx"):  # n_ctx bounds others: it first
        _check_file_value(path, key, values[key], values)
    settings = dict(values)
    for var, key in _ENV.items():
        if environ.get(var):
            settings[key] = environ[var]
    return Config(**settings)  # type: ignore[arg-type]


def _kind(key: str) -> str:
    return next(str(f.type) for f in dataclasses.fields(Config) if f.name == key)


def _check_file_value(path: Path, key: str, value: object, values: dict[str, object]) -> None:
    """A bad key or value is the user's to fix, with the file and key named: not a crash later."""
    if key not in RULES:
        close = difflib.get_close_matches(key, RULES, n=1)
        raise InputError(
            f"config file {path}: unknown key {key!r}"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint=f"fix or remove {key} in {path}; the keys are listed in the README",
        )
    n_ctx = values.get("n_ctx", Config.n_ctx)
    problem = why_bad(key, value, n_ctx if isinstance(n_ctx, int) else Config.n_ctx)
    if problem:
        raise InputError(
            f"config file {path}: {key} {problem}", hint=f"edit {key} in {path}: {allowed(key)}"
        )


def why_bad(key: str, value: object, n_ctx: int = Config.n_ctx) -> str | None:
    """What is wrong with `value` for `key` ("should be ..., not ..."), or None if it is fine."""
    kind = _kind(key)
    rule = RULES[key]
    expected = _TYPES.get(kind, (object,))
    mixed = rule.choices and rule.least is not None  # a number or a word: samples
    if mixed and (isinstance(value, bool) or not isinstance(value, int | str)
                  or (isinstance(value, str) and value not in rule.choices)):  # fmt: skip
        return f"should be {allowed(key)}, not {value!r}"
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return f"should be {kind.replace(' | None', '')}, not {value!r}"
    if rule.choices and isinstance(value, str) and value not in rule.choices:
        return f"should be one of {', '.join(rule.choices)}, not {value!r}"
    if rule.nonempty and isinstance(value, str) and not value.strip():
        return "should not be empty"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if not math.isfinite(value):
        return f"should be a finite number, not {value!r}"
    bounds = [b for b in (rule.most, n_ctx if rule.within_n_ctx else None) if b is not None]
    if rule.least is not None and value < rule.least:
        return f"should be at least {rule.least:g}, not {value!r}"
    if rule.above is not None and value <= rule.above:
        return f"should be more than {rule.above:g}, not {value!r}"
    if bounds and value > min(bounds):
        at_n_ctx = rule.within_n_ctx and min(bounds) == n_ctx
        limit = f"{min(bounds):g}" + (" (n_ctx)" if at_n_ctx else "")
        return f"should be at most {limit}, not {value!r}"
    return None


def allowed(key: str) -> str:
    """The values `key` takes, in words: "int, at least 1, at most n_ctx"."""
    rule = RULES[key]
    if rule.choices and rule.least is None:
        return "one of " + ", ".join(rule.choices)
    words = [_kind(key).replace(" | None", "").replace("int | str", "int")]
    if rule.least is not None:
        words.append(f"at least {rule.least:g}")
    if rule.above is not None:
        words.append(f"more than {rule.above:g}")
    if rule.most is not None:
        words.append(f"at most {rule.most:g}")
    if rule.within_n_ctx:
        words.append("at most n_ctx")
    if rule.nonempty:
        words.append("not empty")
    return ", ".join(words) + (" (or " + ", ".join(rule.choices) + ")" if rule.choices else "")


def check_option(flag: str, key: str, value: object, n_ctx: int = Config.n_ctx) -> None:
    """The same rule for a command-line option that stands in for a config key: exit 2."""
    if value is None:
        return
    problem = why_bad(key, value, n_ctx)
    if problem:
        raise UsageError(f"{flag} {problem}", hint=f"{flag} takes {allowed(key)}")
