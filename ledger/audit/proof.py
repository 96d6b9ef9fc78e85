"""Inclusion and consistency proofs (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF).

Both follow the RFC recursion literally over leaf ranges, but every subtree
hash comes from tree.subtree_root, i.e. from stored perfect nodes. Only one
subtree on the path can be imperfect (the one holding the tree's last leaf),
so a proof costs O(log n) store reads, never a rehash of the log.
"""

from ledger.audit.tree import NodeStore, split_point, subtree_root


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]): sibling hashes from the leaf up to the root."""
    _check_stored(store, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    return _path(store, index, 0, size)


def consistency_proof(store: NodeStore, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[size2]); empty when size1 == size2.

    size1 == 0 < size2 is refused rather than answered with an empty proof:
    RFC 9162 defines no such proof and verify.verify_consistency rejects it,
    since every tree extends the empty one and there is nothing to check.
    """
    _check_stored(store, size2)
    if not 0 <= size1 <= size2:
        raise ValueError(f"size1 {size1} must be between 0 and size2 {size2}")
    if size1 == size2:
        return []
    if size1 == 0:
        raise ValueError("no consistency proof exists from the empty tree (RFC 9162 needs 0 < size1)")
    return _subproof(store, size1, 0, size2, True)


def _check_stored(store: NodeStore, size: int) -> None:
    stored = store.size()
    if not 0 <= size <= stored:
        raise ValueError(f"tree size {size} is outside the {stored} leaves stored")


def _path(store: NodeStore, m: int, begin: int, end: int) -> list[bytes]:
    # m is relative to begin, as in the RFC's PATH(m, D[begin:end]).
    if end - begin == 1:
        return []
    k = split_point(end - begin)
    if m < k:
        return _path(store, m, begin, begin + k) + [subtree_root(store, begin + k, end)]
    return _path(store, m - k, begin + k, end) + [subtree_root(store, begin, begin + k)]


def _subproof(store: NodeStore, m: int, begin: int, end: int, whole: bool) -> list[bytes]:
    # `whole` is the RFC's b: true while the range still starts at leaf 0, so
    # that once m fills it, it is the old tree itself, whose root the
    # verifier already holds and need not be sent.
    if m == end - begin:
        return [] if whole else [subtree_root(store, begin, end)]
    k = split_point(end - begin)
    if m <= k:
        return _subproof(store, m, begin, begin + k, whole) + [subtree_root(store, begin + k, end)]
    return _subproof(store, m - k, begin + k, end, False) + [subtree_root(store, begin, begin + k)]
