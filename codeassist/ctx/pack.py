"""Render the best tags as a skeleton, as many as a token budget holds (a hard cap).

A binary search finds the largest number of top-ranked tags whose rendering, counted with
the caller's tokenizer, fits the budget; the text returned is one that was counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from codeassist.ctx.files import shown
from codeassist.ctx.rank import RankedTag
from codeassist.ctx.tags import COMMENT, SCOPE_KINDS, Definition, FileTags

CountTokens = Callable[[str], int]
INDENT = "  "


@dataclass(frozen=True)
class Block:
    """One file's part of the context: its path, then the chosen lines."""

    path: str  # as in the repository (not yet `shown`)
    text: str


@dataclass(frozen=True)
class Packed:
    """What fits the budget: the text, its token count, and its blocks in the order shown."""

    text: str
    tokens: int
    blocks: list[Block]
    used: int = 0  # how many of the top-ranked tags the text shows


def _owner(defs: Sequence[Definition], index: int) -> int:
    """A column is shown as its table."""
    d = defs[index]
    return d.parent if d.kind == "column" and d.parent >= 0 else index


def worth_showing(tags: Sequence[RankedTag], files: Mapping[str, FileTags]) -> list[RankedTag]:
    """`tags` without the definitions that tell a reader nothing more: one nested in a function
    (a helper of its body), and a name's second definition in the same scope of a file (the
    overloads of a typed signature, a property's setter)."""
    seen: set[tuple[str, int, str]] = set()
    kept = []
    for tag in tags:
        defs = files[tag.path].definitions
        d = defs[tag.index] if tag.index < len(defs) else None
        if d is None or (
            d.parent >= 0 and d.kind != "column" and defs[d.parent].kind not in SCOPE_KINDS
        ):
            continue
        if (tag.path, d.parent, d.name) not in seen:
            seen.add((tag.path, d.parent, d.name))
            kept.append(tag)
    return kept


def render(
    tags: Sequence[RankedTag], files: Mapping[str, FileTags], by_path: bool = False
) -> list[Block]:
    """One block per file (best file first, or by path): its path, then the chosen lines in
    file order."""
    chosen: dict[str, set[int]] = {}
    for tag in tags:
        defs = files[tag.path].definitions
        lines = chosen.setdefault(tag.path, set())
        index = _owner(defs, tag.index)
        while index >= 0 and index not in lines:  # enclosing classes give methods their place
            lines.add(index)
            index = defs[index].parent
    blocks = []
    for path, lines in sorted(chosen.items()) if by_path else chosen.items():
        tagged = files[path]
        mark = COMMENT.get(tagged.language, "//")
        out = [f"{shown(path)}:"]
        for index in sorted(lines):
            d = tagged.definitions[index]
            pad = INDENT * (d.depth + 1)
            out.append(pad + d.signature)
            if d.doc:
                out.append(f"{pad}{INDENT}{mark} {d.doc}")
        blocks.append(Block(path, "\n".join(out) + "\n"))
    return blocks


def join(blocks: list[Block]) -> str:
    return "\n".join(block.text for block in blocks)


def pack(
    tags: Sequence[RankedTag],
    files: Mapping[str, FileTags],
    budget: int,
    count: CountTokens,
    by_path: bool = False,
    pass_over: int = 0,
) -> Packed:
    """The most top-ranked tags whose rendering is at most `budget` tokens (`by_path`: files in
    path order, so that an edit changes the text only from the edited file's block on).
    `pass_over`: up to this many leading tags too large for the budget on their own are left
    out (`used` then counts from the first one kept), rather than leaving the text empty."""
    while pass_over > 0 and tags and count(join(render(tags[:1], files, by_path))) > budget:
        tags, pass_over = tags[1:], pass_over - 1
    best = Packed("", 0, [])
    low, high = 1, min(len(tags), max(budget, 0))
    while low <= high:
        middle = (low + high) // 2
        blocks = render(tags[:middle], files, by_path)
        text = join(blocks)
        tokens = count(text)
        if tokens <= budget:
            best = Packed(text, tokens, blocks, middle)
            low = middle + 1
        else:
            high = middle - 1
    return best
