"""RFC 9162 §2.1 Merkle tree hashing with SHA-256.

The one-byte prefixes give leaves and interior nodes disjoint preimages, so a
leaf can never be passed off as an interior node (second-preimage attack).
"""

import hashlib

HASH_SIZE = 32

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) — the root of a tree with no leaves."""


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()
