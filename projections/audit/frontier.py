"""The compact right edge of a Merkle tree: the tree built from leaves alone, in O(log n) memory.

One perfect-subtree hash per set bit of the size (RFC 9162 shape, as ledger.audit.tree):
enough to append a leaf, to give the root at the current size, and to resume later from a
saved state. The replay verification and the offline mirror verifier build the tree with
it from the events alone, never reading a stored node. It depends on nothing but
ledger.audit.hasher, so an auditor can run it anywhere.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from ledger.audit.hasher import EMPTY_ROOT, HASH_SIZE, hash_children
from ledger.audit.tree import Node


def _popcount(n: int) -> int:
    return bin(n).count("1")


class Frontier:
    """The right edge of a Merkle tree built leaf by leaf (RFC 9162 shape), with no store."""

    __slots__ = ("size", "_stack")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        stack = [bytes(h) for h in hashes]
        if size < 0 or len(stack) != _popcount(size):
            raise ValueError(f"a frontier of size {size} has {_popcount(max(size, 0))} hashes, got {len(stack)}")
        if any(len(h) != HASH_SIZE for h in stack):
            raise ValueError(f"frontier hashes must be {HASH_SIZE} bytes")
        self.size = size
        self._stack = stack

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Add a leaf; return the perfect nodes it completes (the leaf first)."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash is {len(leaf_hash)} bytes, want {HASH_SIZE}")
        level, index, node_hash = 0, self.size, leaf_hash
        made = [Node(0, index, node_hash)]
        stack = self._stack
        while index & 1:
            node_hash = hash_children(stack.pop(), node_hash)
            level, index = level + 1, index >> 1
            made.append(Node(level, index, node_hash))
        stack.append(node_hash)
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            result = hash_children(left, result)
        return result

    def hashes(self) -> list[bytes]:
        return list(self._stack)

    def copy(self) -> Frontier:
        return Frontier(self.size, self._stack)

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "hashes": [base64.b64encode(h).decode("ascii") for h in self._stack]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Frontier:
        try:
            size = data["size"]
            hashes = [base64.b64decode(h, validate=True) for h in data["hashes"]]
        except (KeyError, TypeError, binascii.Error) as error:
            raise ValueError(f"malformed frontier state: {error}") from None
        if type(size) is not int:
            raise ValueError("frontier size must be an integer")
        return cls(size, hashes)


