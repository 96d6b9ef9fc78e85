"""The Merkle tree in the database.

``DbNodeStore`` is ledger.audit.tree's ``NodeStore`` over ``audit_nodes``, on one cursor
(so inside one transaction). Appends are staged and written by ``flush()`` in that same
transaction, beside the leaves, the audit log rows and the follower's tracking: a batch of
the log lands in the tree completely or not at all. Proofs and roots read O(log n) rows.

Proofs read O(log n) nodes, but each read would be a round trip to PostgreSQL. Which nodes a
proof reads depends only on (index, size), never on hash values, so ``nodes_read_by`` first
runs the computation against a planner that records the keys; ``read_for_proof`` then fetches
them, the number of leaves stored, the leaf's row and the checkpoints asked for in ONE
statement (one snapshot, no transaction around it), and the real computation reads from memory.

``StoredNodeReader`` reads every stored node once, level by level, for the replay check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ledger.audit.hasher import HASH_SIZE
from ledger.audit.tree import Node
from projections import oneshot
from projections.db import Db


class DbNodeStore:
    """Perfect nodes in ``{nodes}``, read and staged on one cursor."""

    def __init__(self, db: Db, cursor: Any) -> None:
        self.db = db
        self.cursor = cursor
        self._staged: dict[tuple[int, int], bytes] = {}
        self._pending: list[tuple[int, int, bytes]] = []
        self._size: int | None = None
        self.reads = 0

    def size(self) -> int:
        if self._size is None:
            largest = self.db.value(self.cursor, "SELECT MAX(idx) FROM {nodes} WHERE level = 0")
            self._size = 0 if largest is None else int(largest) + 1
        return self._size

    def get(self, level: int, index: int) -> bytes:
        found = self._staged.get((level, index))
        if found is not None:
            return found
        self.reads += 1
        node_hash = self.db.value(self.cursor, "SELECT hash FROM {nodes} WHERE level = ? AND idx = ?", (level, index))
        if node_hash is None:
            raise KeyError(f"no perfect node at level {level}, index {index}")
        return bytes(node_hash)

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


def nodes_read_by(size: int, *calls: Callable[[Any], Any]) -> set[tuple[int, int]]:
    """The (level, index) of every node the calls read from a tree of ``size`` leaves."""
    planner = _Planner(size)
    for call in calls:
        call(planner)
    return planner.keys


class ProvenLeaf(NamedTuple):
    """Which event a proof's leaf holds."""

    notification_id: int
    originator_id: Any
    originator_version: int


@dataclass(frozen=True)
class ProofRead:
    """What one proof needs, read at one moment."""

    stored: int  # leaves in the stored tree
    nodes: FetchedNodes
    leaf: ProvenLeaf | None
    notes: tuple[str | None, ...]  # the checkpoint note of each size asked for, or None


class FetchedNodes:
    """A read-only NodeStore over nodes fetched beforehand."""

    def __init__(self, nodes: dict[tuple[int, int], bytes], stored: int) -> None:
        self._nodes = nodes
        self._stored = stored

    def size(self) -> int:
        return self._stored

    def get(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no perfect node at level {level}, index {index}") from None


def read_for_proof(db: Db, keys: Iterable[tuple[int, int]], *, leaf: int = -1,
                   checkpoints: tuple[int, ...] = ()) -> ProofRead:
    """The nodes ``keys``, the stored size, leaf ``leaf``'s row and the notes of ``checkpoints``: one statement."""
    keys = sorted(set(keys))
    notes = ", ".join(["(SELECT note FROM {checkpoints} WHERE size = ?)"] * len(checkpoints)) or "NULL"
    meta = ("SELECT -1, (SELECT MAX(idx) FROM {nodes} WHERE level = 0), NULL,"
            " (SELECT notification_id FROM {leaves} WHERE position = ?),"
            " (SELECT originator_id FROM {leaves} WHERE position = ?),"
            " (SELECT originator_version FROM {leaves} WHERE position = ?), " + notes)
    width = 6 + max(1, len(checkpoints))
    params: list[Any] = []
    text = meta
    if keys:
        blanks = ", NULL" * (width - 3)
        if db.kind == "postgres":
            # Two arrays joined on the primary key: one statement text whatever the proof, so
            # psycopg prepares it once and PostgreSQL stops planning an OR of ~40 seeks per call
            # (most of a proof's time at a million leaves).
            text = (f"SELECT n.level, n.idx, n.hash{blanks} FROM {{nodes}} n"
                    " JOIN unnest(?::bigint[], ?::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx"
                    f" UNION ALL {meta}")
            params = [[level for level, _ in keys], [idx for _, idx in keys]]
        else:
            # Point lookups ORed: SQLite makes them index seeks (a VALUES list made it scan).
            where = " OR ".join(["(level = ? AND idx = ?)"] * len(keys))
            text = f"SELECT level, idx, hash{blanks} FROM {{nodes}} WHERE {where} UNION ALL {meta}"
            params = [v for key in keys for v in key]
    params += [leaf, leaf, leaf, *checkpoints]
    nodes: dict[tuple[int, int], bytes] = {}
    stored, leaf_row, found_notes = 0, None, tuple(None for _ in checkpoints)
    for row in oneshot.read(db, text, params):
        # A node's row, or (level -1) the meta row: the largest leaf index, the leaf, the notes.
        level, idx, node_hash, notification_id, originator_id, originator_version, *notes = row
        if level == -1:
            stored = 0 if idx is None else int(idx) + 1
            leaf_row = None if notification_id is None else ProvenLeaf(notification_id, originator_id,
                                                                         originator_version)
            found_notes = tuple(notes[:len(checkpoints)])
        else:
            nodes[(int(level), int(idx))] = bytes(node_hash)
    return ProofRead(stored, FetchedNodes(nodes, stored), leaf_row, found_notes)


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
            last_idx, _ = self._buffers[level][-1]
            self._next[level] = last_idx + 1
