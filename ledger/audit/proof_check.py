"""Stand-alone proof verification (RFC 9162 §2.1.3.2, §2.1.4.2).

Needs nothing but hashes, so an auditor can run it against a log it does not
trust. The algorithms are those of transparency-dev/merkle's proof/verify.go
(tested here against that project's RFC 9162 vectors), plus up-front checks
that every hash is HASH_SIZE bytes, so that malformed input gets a precise
message instead of a root mismatch.

Trust: a proof only links a leaf or an old root to (size, root) as given. An
inclusion proof does not pin the size on its own (the same proof can fit
several sizes), so take size and root together from a checkpoint whose
signature was verified, never from the party that sent the proof.

A size pair with size1 == 0 < size2 is rejected, as in verify.go: RFC 9162
defines consistency only for 0 < size1, and a verifier holding the empty tree
has nothing to check, so accepting a "proof" there could only hide a bug.
"""

import hmac
from collections.abc import Sequence

from ledger.audit.hasher import EMPTY_ROOT, HASH_SIZE, hash_children

_U64_LIMIT = 1 << 64


class ProofError(ValueError):
    """A proof, hash or tree size does not check out."""


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` implies for leaf_hash at `index` of a tree of `size`."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hash("leaf hash", leaf_hash)
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes, want {inner + border} for leaf {index} of a tree of size {size}"
        )
    _check_proof_hashes(proof)
    node = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(node, proof[inner:])


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    _check_hash("root", root)
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    _check_match(calculated, root, "inclusion proof leads to root {calculated}, expected {expected}")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    _check_size("size1", size1)
    _check_size("size2", size2)
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    if size2 < size1:
        raise ProofError(f"size2 {size2} is smaller than size1 {size1}: a log cannot shrink")
    if size1 == size2:
        if proof:
            raise ProofError(f"size1 == size2 needs an empty proof, got {len(proof)} hashes")
        if size1 == 0:
            _check_match(root1, EMPTY_ROOT, "root1 {calculated} of the empty tree must be {expected}")
        _check_match(root2, root1, "root2 {calculated} differs from root1 {expected} for the same tree size")
        return
    if size1 == 0:
        raise ProofError("no consistency proof exists from the empty tree (RFC 9162 needs 0 < size1)")
    if not proof:
        raise ProofError(f"empty consistency proof for sizes {size1} < {size2}")

    # The proof is, in effect, the inclusion proof of leaf size1 - 1 in the
    # new tree, minus the levels inside the perfect subtree that ends at
    # size1 - 1: that subtree's root stands in for the leaf as the seed.
    inner, border = _decompose(size1 - 1, size2)
    shift = _trailing_zeros(size1)
    inner -= shift
    if size1 == 1 << shift:
        # The old tree is itself that perfect subtree, so its root is the seed.
        seed, rest = root1, proof
        want = inner + border
    else:
        seed, rest = proof[0], proof[1:]
        want = 1 + inner + border
    if len(proof) != want:
        raise ProofError(f"consistency proof has {len(proof)} hashes, want {want} for sizes {size1} -> {size2}")
    _check_proof_hashes(proof)

    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _check_match(hash1, root1, "consistency proof leads to root1 {calculated}, expected {expected}")
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _check_match(hash2, root2, "consistency proof leads to root2 {calculated}, expected {expected}")


def _check_size(name: str, value: int) -> None:
    if type(value) is not int or not 0 <= value < _U64_LIMIT:
        raise ProofError(f"{name} must be an int in [0, 2**64), got {value!r}")


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        length = len(value) if isinstance(value, bytes) else type(value).__name__
        raise ProofError(f"{name} must be {HASH_SIZE} bytes, got {length}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        _check_hash(f"proof[{position}]", value)


def _check_match(calculated: bytes, expected: bytes, message: str) -> None:
    if not hmac.compare_digest(calculated, expected):
        raise ProofError(message.format(calculated=calculated.hex(), expected=expected.hex()))


def _decompose(index: int, size: int) -> tuple[int, int]:
    # Split the path of leaf `index` where it diverges from that of the last
    # leaf, size - 1: below, siblings may sit on either side ("inner"); above,
    # the path runs along the right border and siblings are only on the left.
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for level, sibling in enumerate(proof):
        if index >> level & 1:
            seed = hash_children(sibling, seed)
        else:
            seed = hash_children(seed, sibling)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only left siblings existed in the old tree, so the right ones are skipped.
    for level, sibling in enumerate(proof):
        if index >> level & 1:
            seed = hash_children(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = hash_children(sibling, seed)
    return seed
