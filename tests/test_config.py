"""Every config key has a type and a range; a bad value or an unknown key is one line and a hint."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from codeassist import config
from codeassist.errors import Exit
from tests.helpers.cli import assert_clean_error, run_cli


def write_config(home: Path, text: str) -> Path:
    (home / "config").mkdir(parents=True, exist_ok=True)
    path = home / "config" / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("line", "says", "hint"),
    [
        ("max_tokens = 0", "max_tokens should be at least 1, not 0", "int, at least 1"),
        ("max_tokens = 5000", "max_tokens should be at most 4096 (n_ctx), not 5000", "n_ctx"),
        ("n_ctx = 10", "n_ctx should be at least 256, not 10", "int, at least 256, at most"),
        ('n_ctx = "big"', "n_ctx should be int, not 'big'", "at least 256"),
        ("temperature = -1", "temperature should be at least 0, not -1", "at most 2"),
        ("temperature = nan", "temperature should be a finite number", "float"),
        ("context_budget = -5", "context_budget should be at least 0", "at most n_ctx"),
        ("schema_budget = 10", "schema_budget should be at least 64, not 10", "at most n_ctx"),
        ("schema_rows = -1", "schema_rows should be at least 0, not -1", "at most 20"),
        ("gpu_layers = -2", "gpu_layers should be at least -1, not -2", "int"),
        ("serve_idle_timeout = 0", "serve_idle_timeout should be more than 0", "float"),
        ("hook_timeout = -1", "hook_timeout should be at least 0", "float"),
        ('model = ""', "model should not be empty", "str"),
        ('modle = "x"', "unknown key 'modle' (did you mean 'model'?)", "README"),
        ("max_token = 64", "unknown key 'max_token' (did you mean 'max_tokens'?)", "remove"),
        ('hook_model = "sometimes"', "hook_model should be one of warm, always, never", "warm"),
    ],
)
def test_a_bad_config_value_is_one_line_and_a_hint(
    home: Path, line: str, says: str, hint: str
) -> None:
    path = write_config(home, line + "\n")
    proc = run_cli("gen", "x")
    assert_clean_error(proc, Exit.INPUT, f"config file {path}: {says}")
    assert hint in proc.stderr.splitlines()[-1]


def test_n_ctx_in_the_file_bounds_max_tokens_whatever_the_order(home: Path) -> None:
    write_config(home, "max_tokens = 1024\nn_ctx = 10\n")
    assert_clean_error(run_cli("gen", "x"), Exit.INPUT, "n_ctx should be at least 256")
    write_config(home, "max_tokens = 1024\nn_ctx = 512\n")
    assert_clean_error(run_cli("gen", "x"), Exit.INPUT, "max_tokens should be at most 512 (n_ctx)")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["gen", "--max-tokens", "0", "x"], "--max-tokens should be at least 1, not 0"),
        (["gen", "--max-tokens", "9999", "x"], "--max-tokens should be at most 4096 (n_ctx)"),
        (["gen", "--temperature", "9", "x"], "--temperature should be at most 2, not 9.0"),
        (["review", "--timeout", "-1"], "--timeout should be at least 0, not -1.0"),
        (["serve", "--idle-timeout", "0", "--status"], "--idle-timeout should be more than 0"),
    ],
)
def test_an_option_out_of_range_is_a_usage_error_with_a_hint(args: list[str], says: str) -> None:
    proc = run_cli(*args)
    assert_clean_error(proc, Exit.USAGE, says)
    assert proc.stderr.splitlines()[-1].startswith(f"hint: {says.split()[0]} takes ")


def test_a_good_config_still_works(home: Path) -> None:
    write_config(home, 'model = "smollm2-135m"\nmax_tokens = 64\nn_ctx = 512\ntemperature = 2\n'
                       "hook_timeout = 0\ngpu_layers = 0\ncontext_budget = 0\n")  # fmt: skip
    cfg = config.load()
    assert (cfg.model, cfg.max_tokens, cfg.n_ctx, cfg.temperature) == ("smollm2-135m", 64, 512, 2)
    proc = run_cli("gen", "x")  # gets as far as the model: the config was accepted
    assert_clean_error(proc, Exit.MODEL, "smollm2-135m is not installed")


def test_every_key_has_a_rule_and_every_default_keeps_it() -> None:
    import dataclasses

    fields = {f.name: f.default for f in dataclasses.fields(config.Config)}
    assert set(fields) == set(config.RULES)
    for key, default in fields.items():
        if default is not None:
            assert config.why_bad(key, default) is None, key


def test_environment_overrides_are_unchecked_names_as_before(home: Path) -> None:
    write_config(home, 'model = "qwen2.5-coder-0.5b"\n')
    assert config.load(environ={"CODEASSIST_MODEL": "smollm2-135m"}).model == "smollm2-135m"
    assert config.load(environ={"CODEASSIST_ENDPOINT": "http://127.0.0.1:1"}).endpoint


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.symlink_to(p.parent / "gone.toml"), "a link to a file that is not there"),
        (lambda p: p.mkdir(), "a directory"),
        (lambda p: os.mkfifo(p), "not a regular file"),
    ],
)  # fmt: skip
def test_a_config_file_that_is_there_but_not_a_file_is_an_error_not_the_defaults(
    home: Path, make: Callable[[Path], object], says: str
) -> None:
    # a dotfiles link whose target moved: every command went on with the defaults, silently
    # (`context = false` in it no longer held; new-user audit)
    (home / "config").mkdir(parents=True, exist_ok=True)
    make(home / "config" / "config.toml")
    proc = run_cli("context", "--lang", "shell", "x")
    assert_clean_error(proc, Exit.INPUT, "cannot read config file", says, "move it away")
