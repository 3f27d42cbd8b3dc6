"""Repository context for a request: files → tags → rank → pack into a token budget.

    ctx = request_context(root, "add a --limit option to the search command", "python",
                          budget=1024, count_tokens=counter)

The prompt is shaped for the server's prefix cache. `request_context` returns two parts:

- `stable`: the repository part that does not depend on the request, the same bytes for every
  request of a language in a repository while it is unchanged (Python: an overview of the most
  used definitions; SQL: the schema found in the repository, then the code using it; shell:
  the working directory's listing, the project's tasks and tools, the git branch). It is what
  `stable_part(root, language, budget, count_tokens=…, cwd=…)` returns, with no request.
- the request's own part: the few definitions that match the request (10% of the budget,
  none already in `stable`: a new request evaluates few tokens) and facts that move with every
  edit (shell: changed files, ahead/behind).

The contract with the server: `pipeline.prompts.build` puts `stable` right after the fixed
system text of the language, in the system message, and everything about the request after
it, so the chat template's token prefix up to the end of the system message is identical for
every request that has the same (root, language, budget, tokenizer and, for shell, cwd). A
server that evaluates `prompts.stable_messages(language, stable_part(...))` ahead of time
has evaluated exactly the prefix a later request starts with. Use the same token counter on
both sides (the model's: `count_tokens`); it decides where the overview's budget ends.

The parts live in codeassist/ctx/: files (what may be read), tags (tree-sitter), pool
(parsing in worker processes), cache (SQLite), index (incremental; state: what is stored,
tagmap: tags loaded when asked for), tables and graph (the reference graph), signals (what the
request points at), rank (personalized PageRank), pack (budget), overview and parts (the
stable part), workspace and tasks (shell), counts (token counts kept in the cache).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from codeassist.errors import UsageError

if TYPE_CHECKING:
    from codeassist.ctx.counts import TokenCounter
    from codeassist.ctx.index import Index
    from codeassist.ctx.parts import Stable


class ContextFile(NamedTuple):
    """A file in the pack: why it is there and what it costs."""

    path: str  # relative to the repository root, POSIX separators
    score: float
    reason: str
    tokens: int


@dataclass(frozen=True)
class ContextPack:
    """The context of one request: its text, its files and why, notes, and any SQL schema."""

    text: str  # the rendered skeleton, at most `budget` tokens
    tokens: int
    files: list[ContextFile]
    notes: list[str]  # files skipped, and why
    schema: str  # CREATE TABLE/VIEW statements found in the repository; "" if none


@dataclass(frozen=True)
class RequestContext:
    """What a request carries from its repository: the stable part, then its own."""

    stable: str  # the same for every request of this language here (see the module docstring)
    stable_tokens: int
    specific: ContextPack  # definitions that match this request, none of them in `stable`
    facts: str  # what moves with every edit (shell: the git working tree), one line or ""
    schema: str  # CREATE statements found in the repository (SQL), shown in `stable`
    overview: list[str]  # files in `stable`, in order
    schema_tokens: int = 0  # of `stable_tokens`: the schema (outside the budget, as needed)

    @property
    def tokens(self) -> int:
        """Tokens counted against the budget: both parts, less the schema."""
        return self.stable_tokens - self.schema_tokens + self.specific.tokens


def stable_part(
    root: Path,
    language: str,
    budget: int,
    *,
    count_tokens: Callable[[str], int],
    cwd: Path | None = None,
) -> str:
    """The repository part of every `language` prompt in `root` that does not depend on the
    request: exactly the text `request_context` gives as `stable` (`cwd`: shell only)."""
    from codeassist.ctx.counts import counter
    from codeassist.ctx.tagmap import TagMap

    count = counter(count_tokens)
    try:
        part, index = _stable(root, language, budget, count, cwd)
        if index is not None and isinstance(index.files, TagMap):
            index.files.close()
    finally:
        count.save()
    return part.text


# The heading of the request's own part in the prompt: its tokens come out of that part's share.
OWN_HEAD = "Code from the repository that matches this request:"


def request_context(
    root: Path,
    request: str,
    language: str,
    *,
    budget: int,
    count_tokens: Callable[[str], int],
    cwd: Path | None = None,
) -> RequestContext:
    """The stable part for `language`, and the part that is about `request`."""
    from codeassist.ctx.counts import counter

    count = counter(count_tokens)
    if language == "shell":  # facts, no code: nothing of the code's parsers is imported
        from codeassist.ctx.workspace import GitState

        pending = GitState.start(root.resolve())  # `git status` runs while the facts are read
        try:
            text = _shell_stable(root, budget, count, cwd)
            tokens = count(text)
        except BaseException:
            pending.close()
            raise
        finally:
            count.save()
        empty = ContextPack("", 0, [], [], "")
        return RequestContext(text, tokens, empty, pending.line(), "", [])
    from codeassist.ctx.changes import GitChanges
    from codeassist.ctx.parts import stable_budget
    from codeassist.ctx.specific import for_request

    changes = GitChanges(root.resolve())
    try:
        part, index = _stable(root, language, budget, count, cwd)
        assert index is not None  # only shell has none
        own = max(0, budget - stable_budget(budget) - count(f"{OWN_HEAD}\n\n"))
        pack = for_request(index, request, own, count, cwd, language, part.shown, changes,
                           pointed=True)  # fmt: skip
        from codeassist.ctx.files import shown

        overview = [shown(p) for p in part.paths]  # names that are not UTF-8, as \xNN
        return RequestContext(
            part.text, part.tokens, pack, "", part.schema, overview, part.schema_tokens
        )
    finally:
        count.save()
        changes.close()


def _stable(
    root: Path, language: str, budget: int, count: TokenCounter, cwd: Path | None
) -> tuple[Stable, Index | None]:
    """The stable part, with the index it came from (None for shell, which needs none)."""
    from codeassist.ctx.index import build_index
    from codeassist.ctx.parts import Stable, code_stable

    if language == "shell":
        text = _shell_stable(root, budget, count, cwd)
        return Stable(text, count(text), frozenset(), "", []), None
    index = build_index(_checked_root(root, budget))
    return code_stable(index, language, budget, count), index


def _shell_stable(root: Path, budget: int, count: TokenCounter, cwd: Path | None) -> str:
    """A shell request's stable part: the workspace facts (no code, so no index)."""
    from codeassist.ctx.workspace import MAX_TOKENS, stable_facts

    root = _checked_root(root, budget)
    return stable_facts(root, cwd or root, count, min(budget, MAX_TOKENS))


def find_root(cwd: Path) -> Path:
    """The git top-level folder holding `cwd`, else `cwd` itself."""
    from codeassist.ctx.files import find_git_root

    cwd = cwd.resolve()
    return find_git_root(cwd) or cwd


def build_context(
    root: Path,
    request: str,
    *,
    budget: int,
    count_tokens: Callable[[str], int],
    cwd: Path | None = None,
    language: str | None = None,
) -> ContextPack:
    """The definitions of `root` that matter most for `request`, within `budget` tokens."""
    from codeassist.ctx.index import build_index
    from codeassist.ctx.specific import for_request

    root = _checked_root(root, budget)
    return for_request(build_index(root), request, budget, count_tokens, cwd, language)


def _checked_root(root: Path, budget: int) -> Path:
    if budget < 0:
        raise UsageError(f"the context budget must be 0 or more, not {budget}")
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"not a folder: {root}", hint="run it inside your repository")
    return root
