"""Options read from `--help` or man page text: names, meaning, whether they take a value.

Option entries are lines that start with a dash, in the styles that help and man pages use:
`-a, --all  text`, `--block-size=SIZE`, `-o FILE`, `--color[=WHEN]`, `--[no-]x`,
`-maxdepth levels` (find), BSD's `-d depth` with the text on the next lines, and the
bracketed groups of a usage line (`[-abc]`, `[-C <path>]`, `[-v | --version]`).
Standard library only; nothing here runs a program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DESCRIPTION = 400  # characters of an option's text kept

_DASHES = (("\u2010", "-"), ("\u2011", "-"), ("\u2212", "-"), ("\u00ad", ""))
_GAP = re.compile(r"\s{2,}|\t")
_NAME = re.compile(r"(--?(?:\[no-?\])?[A-Za-z0-9?][\w.?+-]*)(.*)")
_BRACKETS = re.compile(r"\[([^\[\]]+)\]")
_PUNCTUATION = frozenset({";", "\\;", "{}", "+", "|", "...", "…"})


@dataclass(frozen=True)
class Option:
    """One documented option: all its names, what it does, whether it takes a value."""

    names: tuple[str, ...]
    description: str
    takes_value: bool  # the next word (or `=VALUE`) is its value


def normalize(text: str) -> str:
    """Plain text: typographic hyphens as `-`, overstrikes gone, hyphenated words joined."""
    for dash, plain in _DASHES:
        if dash in text:
            text = text.replace(dash, plain)
    if "\b" in text:
        text = re.sub(".\b", "", text)
    return re.sub(r"(\w)-\n\s+(\w)", r"\1\2", text) if "-\n" in text else text


def parse(text: str) -> dict[str, Option]:
    """Every option the text documents, by each of its names (`-a` and `--all` alike)."""
    text = normalize(text)
    lines = text.splitlines()
    found: dict[str, Option] = {}
    i = 0
    while i < len(lines):
        entry = _entry(lines[i])
        if entry is None:
            i += 1
            continue
        groups, description, desc_col = entry
        own_col = _indent(lines[i])
        i += 1
        body = [description] if description else []
        while i < len(lines) and lines[i].strip():
            indent = _indent(lines[i])
            if desc_col is None and indent > own_col and not lines[i].lstrip().startswith("-"):
                desc_col = indent  # the text starts on the line after the option
            if desc_col is None or indent < desc_col:
                break
            body.append(lines[i].strip())
            i += 1
        text_ = " ".join(" ".join(body).split())[:MAX_DESCRIPTION]
        for names, takes_value in groups:
            option = Option(tuple(names), text_, takes_value)
            for name in names:
                if name not in found or text_ and not found[name].description:
                    found[name] = option
    for name, takes_value in _usage(text, letters=not found):
        found.setdefault(name, Option((name,), "", takes_value))
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _entry(line: str) -> tuple[list[tuple[list[str], bool]], str, int | None] | None:
    """An option line's groups of names (with whether they take a value), text, text column.

    `-a, --all` is one group of two names; find's `-amin N -anewer FILE` is two groups.
    """
    stripped = line.lstrip()
    if (
        len(stripped) < 2
        or stripped[0] != "-"
        or not (stripped[1].isalnum() or stripped[1] in "-?<")
    ):
        return None
    gap = _GAP.search(stripped)
    head = stripped[: gap.start()] if gap else stripped
    description = stripped[gap.end() :] if gap else ""
    groups: list[tuple[list[str], bool]] = []
    joined, bare_words = False, 0  # joined: the next name is another spelling of the last
    for raw in head.split():
        token, comma = raw.rstrip(","), raw.endswith(",")
        if token in _PUNCTUATION or not token:
            joined = joined or token == "|"
            continue
        if token.startswith("-"):
            match = _NAME.fullmatch(token)
            if match is None:
                joined = comma  # `-<number>,`: a placeholder, not a name
                continue
            if not joined or not groups:
                groups.append(([], False))
            names, takes_value = groups[-1]
            rest = match.group(2)  # `=SIZE`, `<num>` take a value; `[=WHEN]` is optional
            takes_value = takes_value or rest.startswith(("=", "<", "[-"))
            groups[-1] = (names + _spellings(match.group(1)), takes_value)
            bare_words, joined = 0, comma
            continue
        bare_words += 1
        if bare_words > 1 or not groups:  # prose, not an option line
            return None
        groups[-1] = (groups[-1][0], True)  # `-o FILE`, `-d depth`
        joined = comma
    if not groups:
        return None
    column = _indent(line) + gap.end() if gap and description else None
    return groups, description, column


def _spellings(name: str) -> list[str]:
    """`--[no-]x` is both `--x` and `--no-x`."""
    match = re.fullmatch(r"(--?)\[(no-?)\](.+)", name)
    if match:
        dash, no, rest = match.groups()
        return [dash + rest, dash + no + rest]
    return [name.rstrip(".")]


def _usage(text: str, letters: bool) -> list[tuple[str, bool]]:
    """Options named in the bracketed groups of usage lines: `[-abc]`, `[-C <path>]`, `[-v|-V]`."""
    out: list[tuple[str, bool]] = []
    for group in _BRACKETS.findall(text):
        for alternative in group.split("|"):
            words = alternative.split()
            if not words or not words[0].startswith("-") or len(words) > 2:
                continue
            match = _NAME.fullmatch(words[0])
            if match is None:
                continue
            name = match.group(1)
            out.append((name, len(words) == 2 or match.group(2).startswith("=")))
            if letters and re.fullmatch(r"-[A-Za-z0-9]{2,}", name) and len(words) == 1:
                out.extend((f"-{letter}", False) for letter in name[1:])  # BSD `[-abc]`
    return out


def mentioned(text: str, name: str) -> bool:
    """Does the (normalized) text name this option anywhere, as a word of its own?"""
    pattern = r"(?<![\w-])" + re.escape(name) + r"(?![\w-])"
    return name in text and re.search(pattern, text) is not None
