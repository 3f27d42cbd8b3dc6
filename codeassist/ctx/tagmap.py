"""Tags by repository path, loaded from the tag cache only for the files that are asked for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from codeassist.ctx import files as fileset
from codeassist.ctx.cache import TagCache
from codeassist.ctx.pool import tag_bytes
from codeassist.ctx.tags import FileTags
from codeassist.syntax import language_of


class TagMap(Mapping[str, FileTags]):
    """Tags by repository path, loaded from the cache when first asked for.

    A file whose tags are no longer in the cache (another process wiped it) is parsed again.
    The cache (`cache_file`, made with `cache_version`) is opened on the first load; `close`
    closes it.
    """

    def __init__(
        self,
        root: Path,
        digests: dict[str, str],
        loaded: dict[str, FileTags],
        *,
        cache_file: Path,
        cache_version: str,
    ) -> None:
        self.root = root
        self.digests = digests  # path → content hash
        self.loaded = loaded
        self.cache_file = cache_file
        self.cache_version = cache_version
        self._cache: TagCache | None = None

    def __getitem__(self, path: str) -> FileTags:
        found = self.loaded.get(path)
        if found is None:
            if path not in self.digests:
                raise KeyError(path)
            self.preload([path])
            found = self.loaded[path]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.digests)

    def __len__(self) -> int:
        return len(self.digests)

    def preload(self, wanted: Iterable[str]) -> None:
        """Load the tags of these paths in one go."""
        missing = {p: self.digests[p] for p in wanted if p not in self.loaded and p in self.digests}
        if not missing:
            return
        if self._cache is None:
            self._cache = TagCache.open(self.cache_file, self.cache_version)
        found = self._cache.lookup(set(missing.values()))
        for path, digest in missing.items():
            tagged = found.get(digest)
            if tagged is None:
                try:
                    data = fileset.read_regular(self.root, path)
                except OSError as exc:
                    tagged = FileTags(language_of(path) or "", note=fileset.unreadable(exc))
                else:
                    tagged = tag_bytes(data, language_of(path) or "")
            self.loaded[path] = tagged

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
