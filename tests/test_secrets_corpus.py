"""Every entry of tests/data/secrets_corpus.toml: secrets found (and redacted), look-alikes kept."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from codeassist.secrets import REDACTED, find, redact, redact_text

CORPUS = tomllib.loads((Path(__file__).parent / "data" / "secrets_corpus.toml").read_text("utf-8"))


def test_the_corpus_is_big_enough_and_balanced() -> None:
    secret, benign = CORPUS["secret"], CORPUS["benign"]
    assert len(secret) >= 40 and len(benign) >= 40
    assert 0.4 <= len(secret) / (len(secret) + len(benign)) <= 0.6


def test_every_secret_is_found_and_no_look_alike_is() -> None:
    """The rates, in one place: all secrets found, no look-alike taken for one."""
    missed = [e["text"] for e in CORPUS["secret"] if not find(e["text"])]
    false = [e["text"] for e in CORPUS["benign"] if find(e["text"])]
    assert (missed, false) == ([], [])


@pytest.mark.parametrize("entry", CORPUS["secret"], ids=lambda e: e["text"][:40])
def test_a_secret_is_redacted_and_the_rest_of_its_line_kept(entry: dict[str, str]) -> None:
    text, value = entry["text"], entry["value"]
    assert [h.value(text) for h in find(text)] == [value]
    assert redact_text(text) == text.replace(value, REDACTED)


@pytest.mark.parametrize("entry", CORPUS["benign"], ids=lambda e: e["text"][:40])
def test_a_look_alike_is_kept(entry: dict[str, str]) -> None:
    assert find(entry["text"]) == []
    assert redact_text(entry["text"]) == entry["text"]


def test_a_private_key_block_loses_its_body_and_keeps_its_lines() -> None:
    text = (
        "x = 1\nKEY = '''-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
        "-----END RSA PRIVATE KEY-----'''\ndef after(): pass\n"
    )
    clean = redact_text(text)
    assert "MIIEow" not in clean and clean.count("\n") == text.count("\n")
    assert clean.startswith("x = 1\n") and clean.endswith("def after(): pass\n")
    pem = "-----BEGIN PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfV\\n-----END PRIVATE KEY-----"
    one_line = f'K = "{pem}"'
    assert "MIIEow" not in redact_text(one_line)
    in_json = f'CREDS = \'{{"private_key": "{pem.replace(chr(92), chr(92) * 2)}"}}\''
    assert "\\\\n" in in_json and "MIIEow" not in redact_text(in_json)  # JSON in Python
    mention = 'if pem.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    load(pem)\n'
    assert redact_text(mention) == mention  # code that looks for keys is not a key


def test_bytes_that_are_not_utf8_pass_through() -> None:
    data = b"caf\xe9 = 1\napi_token = 'a8f3kZ92mQ0xLr7TbY4w'\n\xff\xfe\n"
    clean, count = redact(data)
    assert count == 1
    assert clean == data.replace(b"a8f3kZ92mQ0xLr7TbY4w", REDACTED.encode())


def test_a_long_line_full_of_secrets_costs_linear_time() -> None:
    """A minified or generated file: one line of 700 kB, 20,000 secrets on it."""
    import time

    data = b'{"api_key": "Zx81Kq0Lm2Nb7Vc6Xd5Sa4", ' * 20_000 + b"}\n"
    started = time.monotonic()
    clean, count = redact(data)
    assert time.monotonic() - started < 10  # quadratic work here took minutes
    assert count == 20_000 and b"Zx81" not in clean
