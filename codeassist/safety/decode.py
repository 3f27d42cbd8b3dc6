"""What decoders make of text the line gives them: `echo cm0gLXJmIH4= | base64 -d` is `rm -rf ~`.

A script hidden in base64 (base32, hex for `xxd -r -p`, gzip, reversed, rot13 and other letter
swaps through `tr`) and piped into a shell is judged as what it decodes to. The work is bounded:
input or output past MAX_BYTES is not decoded, nor is anything past MAX_TOTAL decoded bytes for
one command line (payloads that unpack into more payloads), nor anything a decoder would reject
(bash still runs what it wrote before the error), nor a tr set past MAX_SET; a script that is
not printable text is not read. Each such case is None: the line does not tell.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from codeassist.safety.argv import Command, program
from codeassist.safety.words import matches

MAX_BYTES = 64 * 1024  # a payload larger than this, before or after decoding, is not decoded
MAX_TOTAL = 256 * 1024  # bytes decoded for one command line, every payload in it together
MAX_SET = 256  # bytes in one of tr's sets, its ranges spelled out (past it, not decoded)
_SPENT: ContextVar[list[int]] = ContextVar("decoded bytes")

# programs whose output is code no one can read in the line: (program, words as in words.py)
DECODERS = (
    ("base64", "-d|-D|--decode|-[!-]*d*"), ("base32", "-d|--decode|-[!-]*d*"),
    ("basenc", "-d|--decode"), ("xxd", "-r|-[!-]*r*"), ("openssl", "-d"), ("uudecode", ""),
    ("gunzip", ""), ("zcat", ""), ("gzip", "-d|--decompress|-[!-]*d*"), ("bzcat", ""),
    ("bunzip2", ""), ("xzcat", ""), ("unxz", ""), ("xz", "-d|--decompress|-[!-]*d*"),
    ("zstdcat", ""), ("zstd", "-d|--decompress"), ("rev", ""),
)  # fmt: skip

Filter = Callable[[list[str], bytes], bytes | None]  # (arguments, input) -> output


def decodes(cmd: Command) -> bool:
    """Does this command write decoded (or decompressed, reversed, letter-swapped) text?"""
    swaps = cmd.name == "tr" and len(_tr_operands(cmd.args) or ()) == 2  # not `tr -d '\r'`
    return swaps or any(cmd.name == name and matches(words, cmd.args) for name, words in DECODERS)


@contextmanager
def one_line() -> Iterator[None]:
    """Count what is decoded from here to the end of the block against one MAX_TOTAL."""
    token = _SPENT.set([0])
    try:
        yield
    finally:
        _SPENT.reset(token)


def filtered(argv: list[str], data: bytes) -> bytes | None:
    """What `argv` writes when `data` is its standard input: cat, rev and the decoders.
    None for any other program, a file operand, an option not known here, bad input, or
    when the command line has had MAX_TOTAL bytes decoded (outside `one_line`: MAX_BYTES)."""
    step = _FILTERS.get(program(argv[0])) if argv else None
    spent = _SPENT.get([0])
    if step is None or len(data) > MAX_BYTES or spent[0] + len(data) > MAX_TOTAL:
        return None
    out = step(argv[1:], data)
    spent[0] += len(data) + len(out or b"")
    return out if out is not None and len(out) <= MAX_BYTES else None


def script(data: bytes) -> str | None:
    """The data as a script a shell would read: UTF-8, printable, or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(c.isprintable() or c in "\t\n\r" for c in text) else None


def _letters(args: list[str]) -> set[str] | None:
    """The one-letter options of args (bundles split, `--decode` as d); None if there is an
    operand (a file: not the input) or an option not known here."""
    long = {"--decode": "d", "--ignore-garbage": "i", "--decompress": "d", "--stdout": "c"}
    found: set[str] = set()
    for arg in args:
        if arg in long:
            found.add(long[arg])
        elif re.fullmatch(r"-[a-zA-Z]+", arg):
            found.update(arg[1:])
        elif arg != "-":
            return None
    return found


def _base(decoder: Callable[[bytes], bytes], letters: str) -> Filter:
    """base64 and base32: -d (GNU), -D (macOS), -i to skip what is not of the alphabet."""

    def step(args: list[str], data: bytes) -> bytes | None:
        given = _letters(args)
        if given is None or not given & {"d", "D"} or given - set(letters):
            return None
        if "i" in given:
            data = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)  # base32's alphabet is within it
        try:
            return decoder(data.replace(b"\n", b""))
        except (binascii.Error, ValueError):
            return None

    return step


def _b64(data: bytes) -> bytes:
    return base64.b64decode(data, validate=True)


def _basenc(args: list[str], data: bytes) -> bytes | None:
    """`basenc --base64 -d` and its other alphabets."""
    alphabets: dict[str, Callable[[bytes], bytes]] = {
        "--base64": _b64, "--base64url": base64.urlsafe_b64decode, "--base32": base64.b32decode,
        "--base16": lambda d: base64.b16decode(d, casefold=True),
    }  # fmt: skip
    chosen = [a for a in args if a in alphabets]
    rest = [a for a in args if a not in alphabets]
    if len(chosen) != 1:
        return None
    return _base(alphabets[chosen[0]], "d")(rest, data)


def _openssl(args: list[str], data: bytes) -> bytes | None:
    """`openssl base64 -d`, `openssl enc -base64 -d` (-a is -base64; no cipher, no files)."""
    if not args or args[0] not in ("base64", "enc"):
        return None
    options = set(args[1:])
    if "-d" not in options or not options <= {"-d", "-a", "-base64", "-A"}:
        return None
    if args[0] == "enc" and not options & {"-a", "-base64"}:
        return None
    return _base(_b64, "d")(["-d"], data.replace(b"\r", b""))


def _xxd(args: list[str], data: bytes) -> bytes | None:
    """`xxd -r -p`: plain hex digits back to bytes (the hexdump form of `xxd -r` is not read)."""
    given = set(args)
    if not given <= {"-r", "-p", "-ps", "-plain", "-postscript", "-rp", "-pr", "-revert"}:
        return None
    if not given & {"-r", "-rp", "-pr", "-revert"} or not given - {"-r", "-revert"}:
        return None
    digits = re.sub(rb"\s", b"", data)
    try:
        return bytes.fromhex(digits.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None


def _gunzip(args: list[str], data: bytes) -> bytes | None:
    """`gunzip`, `zcat`, `gzip -d`: at most MAX_BYTES come out, so a gzip bomb stops there."""
    given = _letters(args)
    if given is None or given - {"c", "d", "f", "q"}:
        return None
    inflate = zlib.decompressobj(wbits=31)
    try:
        out = inflate.decompress(data, MAX_BYTES + 1)
    except zlib.error:
        return None
    return out if inflate.eof and len(out) <= MAX_BYTES else None


def _gzip(args: list[str], data: bytes) -> bytes | None:
    given = _letters(args)
    return _gunzip(args, data) if given is not None and "d" in given else None


def _rev(args: list[str], data: bytes) -> bytes | None:
    text = script(data)
    if args or text is None:
        return None
    return "\n".join(line[::-1] for line in text.split("\n")).encode("utf-8")


_TR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_TR_CLASSES = re.compile(r"\[[:=]|\[.\*")  # [:alpha:], [=a=], [a*3]: not read here


def _tr(args: list[str], data: bytes) -> bytes | None:
    """`tr SET1 SET2`: each byte of SET1 becomes the one at its place in SET2 (the last one
    of SET2 when it is shorter), as `tr 'A-Za-z' 'N-ZA-Mn-za-m'` undoes rot13."""
    operands = _tr_operands(args)
    if operands is None or len(operands) != 2:
        return None
    source, target = _tr_set(operands[0]), _tr_set(operands[1])
    if not source or not target:
        return None
    target = (target + target[-1:] * len(source))[: len(source)]
    return data.translate(bytes.maketrans(source, target))


def _tr_operands(args: list[str]) -> list[str] | None:
    """tr's sets, or None when an option is given (-d, -s, -c, -t change what it does)."""
    if args[:1] == ["--"]:
        return args[1:]
    return None if args and args[0].startswith("-") and args[0] != "-" else args


def _tr_set(spec: str) -> bytes | None:
    """One of tr's sets as its bytes: characters, ranges (`a-z`) and backslash escapes. None
    for classes and repeats, octal escapes, a range backwards, text not ASCII, or past MAX_SET."""
    if _TR_CLASSES.search(spec) or not spec.isascii():
        return None
    chars: list[tuple[str, bool]] = []  # each character, and whether it stands for itself
    for escaped, plain in re.findall(r"\\(.)|(.)", spec, re.DOTALL):
        if escaped.isdigit():
            return None
        chars.append((_TR_ESCAPES.get(escaped, escaped), True) if escaped else (plain, False))
    out, i = bytearray(), 0
    while i < len(chars) and len(out) <= MAX_SET:
        if i + 2 < len(chars) and chars[i + 1] == ("-", False):  # a range, `a-z`
            first, last = ord(chars[i][0]), ord(chars[i + 2][0])
            if first > last:
                return None
            out += bytes(range(first, last + 1))
            i += 3
        else:
            out.append(ord(chars[i][0]))
            i += 1
    return bytes(out) if len(out) <= MAX_SET else None


def _cat(args: list[str], data: bytes) -> bytes | None:
    return data if set(args) <= {"-", "-u"} else None


_FILTERS: dict[str, Filter] = {
    "cat": _cat, "rev": _rev, "base64": _base(_b64, "dDi"),
    "base32": _base(base64.b32decode, "di"), "basenc": _basenc, "openssl": _openssl,
    "xxd": _xxd, "gunzip": _gunzip, "zcat": _gunzip, "gzip": _gzip, "tr": _tr,
}  # fmt: skip
