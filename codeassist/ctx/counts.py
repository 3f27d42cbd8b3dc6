"""Token counts kept in the tag cache, so a warm run needs no tokenizer at all.

A `TokenCounter` counts a text with the model's tokenizer once and remembers the count under
the text's hash and the counter's `key` (which tokenizer: same key, same counts). Counting
what was counted before, in this process or an earlier one, loads nothing: the tokenizer is
loaded on the first count the cache does not hold. `save` stores the new counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codeassist.ctx.cache import TagCache

CountTokens = Callable[[str], int]
PROBES = ("def main():\n    return 0\n", "SELECT id FROM t;", "ls -la | grep foo")


class TokenCounter:
    """A token counter that remembers: in memory, and in the tag cache at `store`."""

    def __init__(
        self, key: str, load: Callable[[], CountTokens], *, store: Path | None = None
    ) -> None:
        self.key = key  # which tokenizer counts: texts counted under one key count the same
        self._load = load
        self._count: CountTokens | None = None
        self.store = store  # the tag cache file; None: remember in memory only
        self.loads = 0  # how many times the tokenizer was loaded (0 when the cache sufficed)
        self._known: dict[str, int] = {}
        self._new: dict[str, int] = {}
        self._open: TagCache | None = None

    def __call__(self, text: str) -> int:
        if not text:
            return 0
        digest = self._digest(text)
        found = self._known.get(digest)
        if found is None:
            found = self._recall(digest)
        if found is None:
            if self._count is None:
                self._count = self._load()
                self.loads += 1
            found = self._new[digest] = self._count(text)
        self._known[digest] = found
        return found

    def _digest(self, text: str) -> str:
        data = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return f"tokens|{self.key}|{data}"

    def _recall(self, digest: str) -> int | None:
        cache = self._cache()
        value = cache.recall(digest) if cache is not None else None
        return int(value) if value is not None and value.isdigit() else None

    def _cache(self) -> TagCache | None:
        """The tag cache, opened on first use (kept open until `save`)."""
        if self.store is None:
            return None
        if self._open is None:
            from codeassist.ctx.cache import TagCache
            from codeassist.ctx.store import cache_version

            self._open = TagCache.open(self.store, cache_version())
        return self._open

    def save(self) -> None:
        """Store the counts made in this process (one write), and close the cache."""
        cache = self._cache() if self._new else self._open
        if cache is not None:
            if self._new:
                cache.remember({k: str(n).encode() for k, n in self._new.items()})
            cache.close()
        self._open = None
        self._new.clear()


def counter(count: CountTokens | TokenCounter, key: str | None = None) -> TokenCounter:
    """`count` as a remembering counter; `key` None: remembered in this process only."""
    if isinstance(count, TokenCounter):
        return count
    store = None
    if key is not None:
        from codeassist.ctx.store import cache_path

        store = cache_path()
    return TokenCounter(key or "memory", lambda: count, store=store)


def backend_key(name: str, count: CountTokens) -> str:
    """A key for a backend's tokenizer: its name and the counts of a few fixed texts."""
    return name + "|" + ",".join(str(count(probe)) for probe in PROBES)


def model_counter(name: str, path: Path, load: Callable[[], CountTokens]) -> TokenCounter:
    """A remembering counter for the GGUF at `path` whose tokenizer `load` gives: keyed as
    `backend_key` keys the loaded model, with the probe counts kept in the cache, so this
    needs no tokenizer once the model was counted with here before."""
    from codeassist.ctx.store import cache_path

    st = path.stat()
    file_key = f"file|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    probe = TokenCounter(file_key, load, store=cache_path())
    try:
        key = name + "|" + ",".join(str(probe(text)) for text in PROBES)
    finally:
        probe.save()
    result = TokenCounter(key, load, store=cache_path())
    result._count, result.loads = probe._count, probe.loads  # a tokenizer loaded is kept
    return result
