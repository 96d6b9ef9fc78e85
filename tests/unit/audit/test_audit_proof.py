"""Proofs from the node store, checked by the independent verifier."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.hasher import hash_children
from ledger.audit.proof import consistency_proof, inclusion_proof
from ledger.audit.tree import MemoryNodeStore, Node, append_leaf, root, split_point
from ledger.audit.proof_check import ProofError, verify_consistency, verify_inclusion

EXHAUSTIVE_SIZE = 130
MAX_SIZE = 400
PROPERTY = settings(max_examples=300, deadline=None, database=None)


def leaf_hashes(count: int, salt: bytes = b"") -> list[bytes]:
    return [hashlib.sha256(salt + i.to_bytes(8, "big")).digest() for i in range(count)]


def build(hashes: list[bytes]) -> MemoryNodeStore:
    store = MemoryNodeStore()
    for leaf_hash in hashes:
        store.put_many(append_leaf(store, leaf_hash))
    return store


class CountingStore:
    """Counts reads, to show that proofs cost O(log n) of them."""

    def __init__(self, inner: MemoryNodeStore) -> None:
        self.inner = inner
        self.reads = 0

    def get(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.inner.get(level, index)

    def put_many(self, nodes: list[Node]) -> None:
        self.inner.put_many(nodes)

    def size(self) -> int:
        return self.inner.size()


# Proofs for a size below the store's only touch nodes inside that size, so one
# store serves every tree size.
LEAVES = leaf_hashes(MAX_SIZE)
STORE = build(LEAVES)
ROOTS = [root(LEAVES[:size]) for size in range(MAX_SIZE + 1)]


def reference_path(m: int, hashes: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH, over the full leaf list."""
    if len(hashes) == 1:
        return []
    k = split_point(len(hashes))
    if m < k:
        return reference_path(m, hashes[:k]) + [root(hashes[k:])]
    return reference_path(m - k, hashes[k:]) + [root(hashes[:k])]


def reference_subproof(m: int, hashes: list[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF, over the full leaf list."""
    if m == len(hashes):
        return [] if whole else [root(hashes)]
    k = split_point(len(hashes))
    if m <= k:
        return reference_subproof(m, hashes[:k], whole) + [root(hashes[k:])]
    return reference_subproof(m - k, hashes[k:], False) + [root(hashes[:k])]


def flip(value: bytes, position: int) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


def test_every_inclusion_proof_verifies_up_to_exhaustive_size() -> None:
    for size in range(1, EXHAUSTIVE_SIZE + 1):
        for index in range(size):
            proof = inclusion_proof(STORE, index, size)
            verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


def test_every_consistency_proof_verifies_up_to_exhaustive_size() -> None:
    for size2 in range(1, EXHAUSTIVE_SIZE + 1):
        for size1 in range(1, size2 + 1):
            proof = consistency_proof(STORE, size1, size2)
            verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])


def test_proofs_equal_the_rfc_recursion_over_the_full_leaf_list() -> None:
    for size in range(1, 65):
        for index in range(size):
            assert inclusion_proof(STORE, index, size) == reference_path(index, LEAVES[:size])
        for size1 in range(1, size):
            assert consistency_proof(STORE, size1, size) == reference_subproof(size1, LEAVES[:size], True)


def test_proofs_cost_logarithmic_store_reads() -> None:
    for size in range(1, 260):
        bound = 2 * size.bit_length()
        for index in range(0, size, 7):
            counting = CountingStore(STORE)
            inclusion_proof(counting, index, size)
            assert counting.reads <= bound, (index, size, counting.reads)
        for size1 in range(1, size + 1, 5):
            counting = CountingStore(STORE)
            consistency_proof(counting, size1, size)
            assert counting.reads <= bound, (size1, size, counting.reads)


def test_append_reads_at_most_log_n_nodes() -> None:
    counting = CountingStore(MemoryNodeStore())
    for leaf_hash in LEAVES[:260]:
        before = counting.reads
        counting.put_many(append_leaf(counting, leaf_hash))
        assert counting.reads - before < counting.size().bit_length() + 1


@PROPERTY
@given(st.data())
def test_inclusion_verifies_and_any_tampering_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(STORE, index, size)
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])

    byte = data.draw(st.integers(0, 31), label="byte")
    with pytest.raises(ProofError):
        verify_inclusion(flip(LEAVES[index], byte), index, size, proof, ROOTS[size])
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], index, size, proof, flip(ROOTS[size], byte))
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1), label="element")
        tampered = list(proof)
        tampered[element] = flip(proof[element], byte)
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, size, tampered, ROOTS[size])
    other = data.draw(st.integers(0, MAX_SIZE).filter(lambda value: value != index), label="other index")
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], other, size, proof, ROOTS[size])
    other_size = data.draw(st.integers(index + 1, MAX_SIZE).filter(lambda value: value != size), label="other size")
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], index, other_size, proof, ROOTS[other_size])


def test_an_inclusion_proof_alone_does_not_pin_the_tree_size() -> None:
    """Why verify_inclusion must get size and root together from a signed checkpoint.

    Leaf 0's path in trees of 129 and 130 leaves has the same shape, so the
    130-leaf proof also "verifies" for size 129 against the 130-leaf root.
    """
    proof = inclusion_proof(STORE, 0, 130)
    verify_inclusion(LEAVES[0], 0, 129, proof, ROOTS[130])
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 129, proof, ROOTS[129])


@PROPERTY
@given(st.data())
def test_consistency_verifies_and_any_tampering_fails(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(2, MAX_SIZE), label="size2")
    size1 = data.draw(st.integers(1, size2 - 1), label="size1")
    proof = consistency_proof(STORE, size1, size2)
    verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])

    byte = data.draw(st.integers(0, 31), label="byte")
    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    tampered = list(proof)
    tampered[element] = flip(proof[element], byte)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, tampered, ROOTS[size1], ROOTS[size2])
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, flip(ROOTS[size1], byte), ROOTS[size2])
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, ROOTS[size1], flip(ROOTS[size2], byte))
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof[:-1], ROOTS[size1], ROOTS[size2])
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof + [proof[0]], ROOTS[size1], ROOTS[size2])


@PROPERTY
@given(st.data())
def test_rewriting_an_old_leaf_breaks_consistency(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(2, 200), label="size2")
    size1 = data.draw(st.integers(1, size2 - 1), label="size1")
    victim = data.draw(st.integers(0, size1 - 1), label="rewritten leaf")
    forged = list(LEAVES[:size2])
    forged[victim] = hash_children(forged[victim], forged[victim])
    forged_store = build(forged)
    # The rewritten log's honest proof against the root the auditor already holds ...
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, consistency_proof(forged_store, size1, size2), ROOTS[size1], root(forged))
    # ... and the genuine proof against the rewritten old root both fail.
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, consistency_proof(STORE, size1, size2), root(forged[:size1]), ROOTS[size2])


def test_inclusion_proof_argument_errors() -> None:
    with pytest.raises(ValueError, match="outside a tree of size 5"):
        inclusion_proof(STORE, 5, 5)
    with pytest.raises(ValueError, match="outside a tree"):
        inclusion_proof(STORE, -1, 5)
    with pytest.raises(ValueError, match="leaves stored"):
        inclusion_proof(STORE, 0, MAX_SIZE + 1)
    with pytest.raises(ValueError, match="outside a tree of size 0"):
        inclusion_proof(STORE, 0, 0)


def test_consistency_proof_argument_errors() -> None:
    with pytest.raises(ValueError, match="between 0 and size2"):
        consistency_proof(STORE, 6, 5)
    with pytest.raises(ValueError, match="leaves stored"):
        consistency_proof(STORE, 1, MAX_SIZE + 1)
    with pytest.raises(ValueError, match="empty tree"):
        consistency_proof(STORE, 0, 5)
    assert consistency_proof(STORE, 0, 0) == []
    assert consistency_proof(STORE, 7, 7) == []
