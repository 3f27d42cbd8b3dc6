"""Encoded payloads piped into a shell are judged as what they decode to (safety/decode.py).

The literal is decoded as base64, openssl, xxd, gunzip, rev or tr (rot13) would; whatever a
decoder would reject, or a payload too large, is not decoded (and a shell running it stays
high). The work is bounded: a size limit per payload, a budget per command line, a depth for
payloads that decode to more payloads.
"""

from __future__ import annotations

import base64
import gzip
import time

import pytest

from codeassist.safety import decode
from codeassist.safety.risk import assess_shell

RM_HOME = b"rm -rf ~"


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


@pytest.mark.parametrize(
    ("argv", "data"),
    [
        (["base64", "-d"], b"cm0gLXJmIH4=\n"),
        (["base64", "--decode"], b"cm0g\nLXJmIH4=\n"),  # wrapped lines
        (["base64", "-D"], b"cm0gLXJmIH4="),  # macOS
        (["base64", "-di"], b"cm0gLX!JmIH4="),  # -i: what is not base64 is skipped
        (["base32", "-d"], base64.b32encode(RM_HOME)),
        (["basenc", "--base16", "-d"], RM_HOME.hex().upper().encode()),
        (["openssl", "base64", "-d"], b"cm0gLXJmIH4=\n"),
        (["openssl", "enc", "-d", "-a"], b"cm0gLXJmIH4=\n"),
        (["xxd", "-r", "-p"], b"72 6d 20 2d 72 66 20 7e\n"),
        (["xxd", "-rp"], b"726d202d7266207e"),
        (["gunzip"], gzip.compress(RM_HOME)),
        (["gzip", "-dc"], gzip.compress(RM_HOME)),
        (["rev"], b"~ fr- mr"),
        (["tr", "A-Za-z", "N-ZA-Mn-za-m"], b"ez -es ~"),  # rot13
        (["tr", "[a-z]", "[n-za-m]"], b"ez -es ~"),  # the brackets map to themselves
        (["tr", "!-~", "P-~!-O"], b"C> \\C7 O"),  # rot47
        (["cat"], RM_HOME),
    ],
)
def test_each_decoder_gives_back_the_script(argv: list[str], data: bytes) -> None:
    assert decode.filtered(argv, data) == RM_HOME


@pytest.mark.parametrize(
    ("argv", "data"),
    [
        (["base64", "-d"], b"cm0gLXJmIH4"),  # unpadded: base64 writes `rm -rf ~`, then fails
        (["base64", "-d"], b"cm0gLXJmIH4=!!"),
        (["base64"], RM_HOME),  # that encodes
        (["base64", "-d", "payload.b64"], b"cm0gLXJmIH4="),  # it reads the file, not its input
        (["openssl", "enc", "-d", "-aes-256-cbc", "-a"], b"U2FsdGVkX18="),  # needs the key
        (["xxd", "-r"], b"00000000: 726d 202d  rm -"),  # the hexdump form is not read
        (["xxd", "-r", "-p"], b"726"),
        (["gunzip"], b"not gzip"),
        (["tr", "-d", "a-z"], b"ez -es ~"),  # deletes, does not swap
        (["tr", "[:lower:]", "[:upper:]"], b"rm -rf ~"),  # classes are not read here
        (["tr", "z-a", "a-z"], b"ez -es ~"),  # a range backwards: tr refuses it
        (["tr", "\\162", "x"], b"rm"),  # octal escapes are not read here
        (["tr", "a-z" * 20, "n-za-m"], b"ez -es ~"),  # a set past MAX_SET
        (["sed", "y/abc/xyz/"], b"abc"),  # not a decoder known here
    ],
)
def test_input_a_decoder_would_reject_or_another_program_is_not_decoded(
    argv: list[str], data: bytes
) -> None:
    assert decode.filtered(argv, data) is None


def test_a_script_is_printable_text() -> None:
    assert decode.script(b"ls -la\n\tpwd\r\n") == "ls -la\n\tpwd\r\n"
    assert decode.script(b"\x7fELF\x02\x01") is None
    assert decode.script(b"echo \x1b[2J") is None
    assert decode.script(b"\xff\xfe") is None


def test_a_gzip_bomb_stops_at_the_size_limit() -> None:
    bomb = gzip.compress(b"a" * (100 * decode.MAX_BYTES))
    assert len(bomb) < decode.MAX_BYTES
    assert decode.filtered(["gunzip"], bomb) is None


def test_input_past_the_size_limit_is_not_decoded() -> None:
    assert decode.filtered(["base64", "-d"], b64(b"ls;" * decode.MAX_BYTES).encode()) is None


def test_one_command_line_decodes_at_most_its_budget() -> None:
    payload, size = b64(b"x" * 1000).encode(), 1000 + 1336  # bytes out and in
    with decode.one_line():
        out = [decode.filtered(["base64", "-d"], payload) for _ in range(decode.MAX_TOTAL // size)]
        assert out[0] == b"x" * 1000 and decode.filtered(["base64", "-d"], payload) is None
    assert decode.filtered(["base64", "-d"], payload) == b"x" * 1000  # another line


def test_the_decoded_script_is_judged_and_shown() -> None:
    risk = assess_shell("echo cm0gLXJmIH4= | base64 -d | sh")
    assert risk.level == "high"
    assert risk.reasons[:2] == (
        "sh runs the decoded text: rm -rf ~",
        "recursively deletes your home directory",
    )
    assert risk.touches == ("~",)


def test_rot13_through_tr_is_judged_and_shown() -> None:
    risk = assess_shell("echo 'ez -es ~' | tr 'A-Za-z' 'N-ZA-Mn-za-m' | sh")
    assert risk.reasons[:2] == (
        "sh runs the decoded text: rm -rf ~",
        "recursively deletes your home directory",
    )


def wrapped(script: str, times: int) -> str:
    """The script encoded `times` times over, each a line that decodes it into a shell."""
    for _ in range(times):
        script = f"echo {b64(script)} | base64 -d | sh"
    return script


def test_payloads_within_payloads_are_read_to_a_depth_then_high() -> None:
    assert assess_shell(wrapped("rm -rf ~", 3)).touches == ("~",)
    start = time.perf_counter()
    risk = assess_shell(wrapped("ls", 8))
    assert time.perf_counter() - start < 5
    assert risk.level == "high"
    assert "sh runs code nested too deep to read" in risk.reasons


def test_payloads_that_unpack_into_many_more_stop_at_the_budget() -> None:
    inner = f"echo {b64(gzip.compress(b'ls;' * 20_000))} | base64 -d | gunzip | sh\n"
    outer = gzip.compress(inner.encode() * 300)  # 300 payloads of 60 kB each, from 1 kB
    start = time.perf_counter()
    risk = assess_shell(f"echo {b64(outer)} | base64 -d | gunzip | sh")
    assert time.perf_counter() - start < 10
    assert risk.level == "high"
    assert any(r.startswith("sh runs the decoded text: echo H4sI") for r in risk.reasons)
    assert "pipes decoded text into sh: runs code no one has read" in risk.reasons
