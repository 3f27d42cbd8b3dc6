"""A repository state as the tag cache stores it: which content each file has, and the graph.

Two blobs per repository: the snapshot (file → content hash, notes on skipped files, the
reference graph: what every request needs) and the graph inputs (the same maps with the flat
tables the graph was derived from: what an edit needs).
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass

from codeassist.ctx.graph import Graph
from codeassist.ctx.tables import Tables
from codeassist.ctx.tags import FORMAT


@dataclass(frozen=True)
class RepoState:
    """Every indexed file's content hash, notes on files skipped or unreadable, the graph."""

    digests: dict[str, str]  # path → content hash
    notes: dict[str, str]  # path → why it was skipped
    graph: Graph | None  # None: not loaded yet (see Index.graph)

    def dump(self) -> bytes:
        graph = self.graph.dump() if self.graph is not None else b""
        return marshal.dumps((FORMAT, self.digests, self.notes, graph))

    @staticmethod
    def load(data: bytes) -> RepoState | None:
        """The state `dump` gave; None when damaged or stored by another version."""
        try:
            digests, notes, graph = RepoState.peek(data) or ({}, {}, b"")
            return RepoState(digests, notes, Graph.load(graph)) if graph else None
        except Exception:  # noqa: BLE001 - a damaged snapshot is a cache miss
            return None

    @staticmethod
    def peek(data: bytes) -> tuple[dict[str, str], dict[str, str], bytes] | None:
        """The maps of the state `dump` gave and its graph, not yet loaded; None when damaged."""
        try:
            version, digests, notes, graph = marshal.loads(data)
        except Exception:  # noqa: BLE001 - a damaged snapshot is a cache miss
            return None
        ok = version == FORMAT and isinstance(digests, dict) and isinstance(notes, dict)
        return (digests, notes, graph) if ok and isinstance(graph, bytes) and graph else None


@dataclass(frozen=True)
class GraphInputs:
    """The tables a graph was derived from, with the file → hash map and notes of that state."""

    digests: dict[str, str]
    notes: dict[str, str]
    tables: Tables

    def dump(self) -> bytes:
        return marshal.dumps((FORMAT, self.digests, self.notes, self.tables.dump()))

    @staticmethod
    def load(data: bytes | None) -> GraphInputs | None:
        """The inputs `dump` gave; None when there are none, or damaged ones."""
        try:
            version, digests, notes, tables = marshal.loads(data) if data else (None, {}, {}, b"")
            if version != FORMAT or not isinstance(digests, dict) or not isinstance(notes, dict):
                return None
            return GraphInputs(digests, notes, Tables.load(tables))
        except Exception:  # noqa: BLE001 - damaged: build them from every file's tags
            return None
