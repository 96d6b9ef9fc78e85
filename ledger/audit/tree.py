"""Merkle tree hashes (RFC 9162 §2.1), from a store of perfect subtrees.

In an append-only log a *perfect* subtree — node (level L, index i), the hash
of leaves [i * 2**L, (i + 1) * 2**L) — never changes once complete, so perfect
nodes are the only ones worth persisting: one row per (level, index), written
once. Any other subtree (the ragged right edge of a tree whose size is not a
power of two) is rebuilt from at most log2(n) perfect nodes, so roots and
proofs never rehash the log.

``root`` is the plain recursive definition, kept as an independent reference
for tests and for auditors who recompute a root from a full mirror.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.audit.hasher import EMPTY_ROOT, HASH_SIZE, hash_children


@dataclass(frozen=True, slots=True)
class Node:
    """Perfect node (level, index): the hash of leaves [index * 2**level, (index + 1) * 2**level)."""

    level: int
    index: int
    hash: bytes


class NodeStore(Protocol):
    """Perfect-subtree hashes of one log.

    An implementation must treat nodes as immutable: writing a different hash
    to an existing (level, index) means the log was rewritten and must fail.
    """

    def get(self, level: int, index: int) -> bytes:
        """Hash of perfect node (level, index); KeyError if it is not stored."""
        ...

    def put_many(self, nodes: Iterable[Node]) -> None:
        """Store the nodes returned by append_leaf, all or none."""
        ...

    def size(self) -> int:
        """Number of leaves (level-0 nodes) stored."""
        ...


class MemoryNodeStore:
    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    def get(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no perfect node at level {level}, index {index}") from None

    def put_many(self, nodes: Iterable[Node]) -> None:
        staged: dict[tuple[int, int], bytes] = {}
        size = self._size
        for node in nodes:
            key = (node.level, node.index)
            existing = staged.get(key, self._nodes.get(key))
            if existing is not None:
                if existing != node.hash:
                    raise ValueError(f"node {key} is already stored with a different hash")
                continue
            if node.level == 0:
                # A gap in the leaves would make size() lie about which nodes exist.
                if node.index != size:
                    raise ValueError(f"leaf {node.index} stored out of order; the next leaf index is {size}")
                size += 1
            staged[key] = node.hash
        self._nodes.update(staged)
        self._size = size

    def size(self) -> int:
        return self._size


def split_point(n: int) -> int:
    """The largest power of two below n (n >= 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) by the RFC 9162 §2.1.1 recursion: n - 1 hashes, no store."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = split_point(len(leaf_hashes))
    return hash_children(root(leaf_hashes[:k]), root(leaf_hashes[k:]))


def append_leaf(store: NodeStore, leaf_hash: bytes) -> list[Node]:
    """The nodes that appending leaf_hash creates: the leaf and each parent it completes.

    Nothing is written: the caller persists the result with store.put_many,
    in the same transaction as whatever records that the leaf was appended.
    The new leaf's index is store.size(), so appends must be serialised; two
    racing writers would both claim it, and the store must refuse the second.
    """
    if len(leaf_hash) != HASH_SIZE:
        raise ValueError(f"leaf hash is {len(leaf_hash)} bytes, want {HASH_SIZE}")
    level, index, node_hash = 0, store.size(), leaf_hash
    nodes = [Node(level, index, node_hash)]
    # A node with an odd index is a right child, so it completes its parent.
    while index & 1:
        node_hash = hash_children(store.get(level, index - 1), node_hash)
        level, index = level + 1, index >> 1
        nodes.append(Node(level, index, node_hash))
    return nodes


def subtree_root(store: NodeStore, begin: int, end: int) -> bytes:
    """MTH of leaves [begin, end), from one perfect node per set bit of end - begin.

    The range must be a node of some tree in the RFC 9162 recursion: begin is a
    multiple of the smallest power of two >= end - begin. Then its left part is
    a perfect subtree and the recursion continues on the rest, which is exactly
    the binary decomposition of its width.
    """
    width = end - begin
    if width < 1 or begin < 0:
        raise ValueError(f"leaf range [{begin}, {end}) is empty or negative")
    if begin % (1 << (width - 1).bit_length()):
        raise ValueError(f"leaf range [{begin}, {end}) is not a subtree: {begin} is not aligned to its width")
    parts = []
    start = begin
    for level in reversed(range(width.bit_length())):
        if width >> level & 1:
            parts.append(store.get(level, start >> level))
            start += 1 << level
    result = parts.pop()
    while parts:
        result = hash_children(parts.pop(), result)
    return result


def root_of_size(store: NodeStore, size: int) -> bytes:
    """MTH of the first `size` leaves, from O(log size) perfect nodes."""
    stored = store.size()
    if not 0 <= size <= stored:
        raise ValueError(f"tree size {size} is outside the {stored} leaves stored")
    if size == 0:
        return EMPTY_ROOT
    return subtree_root(store, 0, size)
