"""The server's saved stable prefixes: the KV states of repositories' system prompts, on disk.

One directory per model file and settings. An entry is a KV state file `<name>.state` and its
sidecar `<name>.tokens` (the state's size and digest, then its tokens as 32-bit integers), named
by the hash of those tokens. The token lists stay in memory, so finding the entry that shares
the most with a prompt reads no file. Entries used least recently go first, beyond a count and
a total size. Every write goes to a `.partial` file that is then renamed. A state is checked
against its digest before llama.cpp reads it (a truncated one aborts the process there); an
entry that fails, or that llama.cpp refuses (another build, another context size), is removed:
never an error for the user.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import os
import struct
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from codeassist import paths
from codeassist.backends.llamacpp.sequence import shared_prefix

STALE_PARTIAL_S = 3600.0  # a .partial file this old was left by a server that died writing it
HEAD = struct.Struct("<Q32s")  # a sidecar starts with the state file's size and BLAKE2b digest


class Persistable(Protocol):
    def save_prefix(self, path: Path) -> int: ...

    def load_prefix(self, path: Path) -> int: ...


@dataclass(frozen=True)
class Entry:
    """A saved prefix: its name, its tokens, the bytes its files take, its state's check."""

    name: str
    tokens: list[int]
    size: int
    state_size: int
    digest: bytes


def directory(model_path: Path, *settings: object) -> Path:
    st = model_path.stat()
    key = f"{model_path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{settings}"
    return paths.cache_dir() / "prefix" / hashlib.sha256(key.encode()).hexdigest()[:16]


def name_of(tokens: list[int]) -> str:
    return hashlib.sha256(array.array("i", tokens).tobytes()).hexdigest()[:16]


class Store:
    """The saved prefixes of one model and settings, least recently used first."""

    def __init__(self, where: Path, max_entries: int, max_bytes: int) -> None:
        self.where = where
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self._scan()

    def state(self, entry: Entry) -> Path:
        return self.where / f"{entry.name}.state"

    def best(self, prompt: list[int]) -> tuple[Entry | None, int]:
        """The entry sharing the longest prefix with `prompt`, and how many tokens it shares."""
        found, most = None, 0
        for entry in self.entries.values():
            n = shared_prefix(entry.tokens, prompt)
            if n > most:
                found, most = entry, n
        return found, most

    def covers(self, tokens: list[int]) -> bool:
        """Whether an entry holds `tokens` (all but the last will do: the prefill view's)."""
        return self.best(tokens)[1] >= len(tokens) - 1

    def newest(self) -> Entry | None:
        return next(reversed(self.entries.values()), None)

    def load(self, backend: Persistable, entry: Entry) -> int:
        """Load `entry` into the backend's cache; its token count, 0 (and it is dropped) if bad."""
        path = self.state(entry)
        n = backend.load_prefix(path) if _intact(path, entry) else 0
        if n != len(entry.tokens):
            self.drop(entry.name)
            return 0
        self.entries.move_to_end(entry.name)
        with contextlib.suppress(OSError):
            os.utime(self.state(entry))
        return n

    def save(self, backend: Persistable, tokens: list[int]) -> Entry | None:
        """Save the backend's cache, which holds `tokens` (or their head); then evict by LRU."""
        paths.make(self.where)
        partial = self.where / f"{os.getpid()}-{threading.get_ident()}.state.partial"
        try:
            n = backend.save_prefix(partial)
            if n == 0 or n > len(tokens):
                return None
            saved = tokens[:n]
            name = name_of(saved)
            state_size, digest = partial.stat().st_size, _digest(partial)
            head = HEAD.pack(state_size, digest)
            sidecar = self.where / f"{name}.tokens.partial"
            sidecar.write_bytes(head + array.array("i", saved).tobytes())
            sidecar.replace(self.where / f"{name}.tokens")
            partial.replace(self.where / f"{name}.state")  # the state's presence completes it
        finally:
            partial.unlink(missing_ok=True)
        self.entries.pop(name, None)
        entry = Entry(name, saved, state_size + HEAD.size + 4 * n, state_size, digest)
        self.entries[name] = entry
        self._evict()
        return entry if name in self.entries else None

    def drop(self, name: str) -> None:
        self.entries.pop(name, None)
        for suffix in (".state", ".tokens"):
            (self.where / f"{name}{suffix}").unlink(missing_ok=True)

    def _evict(self) -> None:
        """Drop the least recently used entries beyond the count and the size."""
        while self.entries and (
            len(self.entries) > self.max_entries
            or sum(e.size for e in self.entries.values()) > self.max_bytes
        ):
            self.drop(next(iter(self.entries)))

    def _scan(self) -> None:
        """Read the entries on disk (oldest use first); remove what cannot be one."""
        if not self.where.is_dir():
            return
        found = []
        for state in self.where.glob("*.state"):
            with contextlib.suppress(OSError):
                found.append((state.stat().st_mtime, state))
        for _, state in sorted(found):
            entry = _read(state)
            if entry is None:
                self.drop(state.stem)
            else:
                self.entries[entry.name] = entry
        for path in self.where.iterdir():
            if path.name.endswith(".tokens") and path.stem not in self.entries:
                path.unlink(missing_ok=True)  # its state is gone
            elif path.name.endswith(".partial") and _age(path) > STALE_PARTIAL_S:
                path.unlink(missing_ok=True)
        self._evict()


def _read(state: Path) -> Entry | None:
    """The entry whose state file is `state`, when its tokens are there and match its name."""
    try:
        data = state.with_suffix(".tokens").read_bytes()
        size = state.stat().st_size + len(data)
    except OSError:
        return None
    if len(data) <= HEAD.size or (len(data) - HEAD.size) % 4:
        return None
    state_size, digest = HEAD.unpack_from(data)
    tokens = array.array("i")
    tokens.frombytes(data[HEAD.size :])
    if name_of(tokens.tolist()) != state.stem:
        return None
    return Entry(state.stem, tokens.tolist(), size, state_size, digest)


def _digest(path: Path) -> bytes:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "blake2b").digest()[:32]


def _intact(path: Path, entry: Entry) -> bool:
    """Whether the state file is the one its sidecar describes (size, then digest)."""
    try:
        return path.stat().st_size == entry.state_size and _digest(path) == entry.digest
    except OSError:
        return False


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
