"""The Merkle tree in the database.

``DbNodeStore`` is ledger.audit.tree's ``NodeStore`` over ``audit_nodes``, on one cursor
(so inside one transaction). Appends are staged and written by ``flush()`` in that same
transaction, beside the leaves, the audit log rows and the follower's tracking: a batch of
the log lands in the tree completely or not at all. Proofs and roots read O(log n) rows.

Proofs read O(log n) nodes, but each read is a round trip to PostgreSQL. Which nodes a proof
reads depends only on (index, size), never on hash values, so ``prefetch_for`` first runs the
computation against a planner that records the keys, fetches them all in ONE query, and the
real computation then reads from memory.

``StoredNodeReader`` reads every stored node once, level by level, for the replay check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ledger.audit.hasher import HASH_SIZE
from ledger.audit.tree import Node
from projections.db import Db


class DbNodeStore:
    """Perfect nodes in ``{nodes}``, read and staged on one cursor."""

    def __init__(self, db: Db, cursor: Any) -> None:
        self.db = db
        self.cursor = cursor
        self._staged: dict[tuple[int, int], bytes] = {}
        self._cache: dict[tuple[int, int], bytes] = {}
        self._pending: list[tuple[int, int, bytes]] = []
        self._size: int | None = None
        self.reads = 0

    def size(self) -> int:
        if self._size is None:
            row = self.db.one(self.cursor, "SELECT MAX(idx) FROM {nodes} WHERE level = 0")
            self._size = 0 if row is None or row[0] is None else int(row[0]) + 1
        return self._size

    def prefetch(self, keys: Iterable[tuple[int, int]]) -> None:
        """Read these nodes in one query (and keep them for ``get``)."""
        wanted = sorted(k for k in set(keys) if k not in self._staged and k not in self._cache)
        for start in range(0, len(wanted), 200):
            chunk = wanted[start:start + 200]
            where = " OR ".join(["(level = ? AND idx = ?)"] * len(chunk))
            params = [v for key in chunk for v in key]
            self.reads += 1
            for level, index, node_hash in self.db.all(self.cursor, f"SELECT level, idx, hash FROM {{nodes}} WHERE {where}",
                                                       params):
                self._cache[(int(level), int(index))] = bytes(node_hash)

    def prefetch_for(self, *calls: Callable[[Any], Any]) -> None:
        """Prefetch every node that ``call(store)`` would read, for each call (see the module docstring)."""
        planner = _Planner(self.size())
        for call in calls:
            call(planner)
        self.prefetch(planner.keys)

    def get(self, level: int, index: int) -> bytes:
        found = self._staged.get((level, index)) or self._cache.get((level, index))
        if found is not None:
            return found
        self.reads += 1
        row = self.db.one(self.cursor, "SELECT hash FROM {nodes} WHERE level = ? AND idx = ?", (level, index))
        if row is None:
            raise KeyError(f"no perfect node at level {level}, index {index}")
        return bytes(row[0])

    def put_many(self, nodes: Iterable[Node]) -> None:
        """Stage nodes (all or none); ``flush`` writes them. A node written twice fails at flush."""
        size = self.size()
        staged: dict[tuple[int, int], bytes] = {}
        for node in nodes:
            key = (node.level, node.index)
            if key in staged or key in self._staged:
                raise ValueError(f"node {key} staged twice")
            if len(node.hash) != HASH_SIZE:
                raise ValueError(f"node {key} hash is {len(node.hash)} bytes")
            if node.level == 0:
                if node.index != size:
                    raise ValueError(f"leaf {node.index} stored out of order; the next leaf index is {size}")
                size += 1
            staged[key] = node.hash
        self._staged.update(staged)
        self._pending.extend((level, index, h) for (level, index), h in staged.items())
        self._size = size

    def flush(self) -> int:
        """Write the staged nodes (the primary key refuses any node already stored)."""
        pending, self._pending = self._pending, []
        self.db.run_many(self.cursor, "INSERT INTO {nodes} (level, idx, hash) VALUES (?, ?, ?)", pending)
        return len(pending)


class _Planner:
    """A NodeStore stand-in that records which nodes are read (and answers with zeros)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self.keys: set[tuple[int, int]] = set()

    def size(self) -> int:
        return self._size

    def get(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return bytes(HASH_SIZE)


class StoredNodeReader:
    """Reads ``{nodes}`` level by level in index order, a page at a time (for the replay check).

    The replay produces each level's nodes in increasing index order, so one forward-only
    reader per level compares every stored node with a single pass over the table.
    """

    def __init__(self, db: Db, page: int = 4096) -> None:
        self.db = db
        self.page = page
        self._buffers: dict[int, list[tuple[int, bytes]]] = {}
        self._offsets: dict[int, int] = {}
        self._next: dict[int, int] = {}
        self._done: dict[int, bool] = {}

    def get(self, level: int, index: int) -> bytes | None:
        """The stored hash of (level, index), or None; indexes must be asked in increasing order per level."""
        while True:
            buffer = self._buffers.get(level)
            offset = self._offsets.get(level, 0)
            if buffer is not None:
                while offset < len(buffer) and buffer[offset][0] < index:
                    offset += 1
                self._offsets[level] = offset
                if offset < len(buffer):
                    found, node_hash = buffer[offset]
                    return node_hash if found == index else None
                if self._done.get(level):
                    return None
            self._fetch(level, max(index, self._next.get(level, 0)))

    def _fetch(self, level: int, start: int) -> None:
        with self.db.transaction(commit=False) as cursor:
            rows = self.db.all(cursor, "SELECT idx, hash FROM {nodes} WHERE level = ? AND idx >= ? ORDER BY idx LIMIT ?",
                               (level, start, self.page))
        self._buffers[level] = [(int(i), bytes(h)) for i, h in rows]
        self._offsets[level] = 0
        self._done[level] = len(rows) < self.page
        if rows:
            self._next[level] = int(rows[-1][0]) + 1
