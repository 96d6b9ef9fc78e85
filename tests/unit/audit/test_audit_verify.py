"""Edge cases of the verifier that the RFC 9162 vectors do not spell out."""

import hashlib

import pytest

from ledger.audit.hasher import EMPTY_ROOT, hash_children, hash_leaf
from ledger.audit.proof_check import ProofError, root_from_inclusion_proof, verify_consistency, verify_inclusion

A, B, C, D = (hash_leaf(bytes([value])) for value in range(4))
ROOT_AB = hash_children(A, B)
ROOT_ABC = hash_children(ROOT_AB, C)
ROOT_ABCD = hash_children(ROOT_AB, hash_children(C, D))

# name: (leaf hash, index, size, proof, expected message)
INCLUSION_ERRORS = {
    "empty tree": (A, 0, 0, [], "not below tree size"),
    "index equals size": (A, 3, 3, [ROOT_AB], "not below tree size"),
    "negative index": (A, -1, 3, [ROOT_AB], "index must be an int"),
    "size beyond uint64": (A, 0, 1 << 64, [], "size must be an int"),
    "bool index": (A, True, 3, [ROOT_AB], "index must be an int"),
    "short leaf hash": (A[:31], 0, 1, [], "leaf hash must be 32 bytes, got 31"),
    "missing hash": (A, 2, 3, [], "has 0 hashes, want 1"),
    "trailing empty hash": (A, 2, 3, [ROOT_AB, b""], "has 2 hashes, want 1"),
    "short proof hash": (A, 2, 3, [ROOT_AB[:31]], r"proof\[0\] must be 32 bytes"),
    "proof hash not bytes": (A, 2, 3, ["not bytes"], r"proof\[0\] must be 32 bytes, got str"),
}

# name: (size1, size2, proof, root1, root2, expected message)
CONSISTENCY_ERRORS = {
    "shrinking log": (3, 2, [C], ROOT_ABC, ROOT_AB, "cannot shrink"),
    "empty proof": (2, 3, [], ROOT_AB, ROOT_ABC, "empty consistency proof"),
    "extra hash": (2, 3, [C, C], ROOT_AB, ROOT_ABC, "has 2 hashes, want 1"),
    "short proof hash": (2, 3, [C[:5]], ROOT_AB, ROOT_ABC, r"proof\[0\] must be 32 bytes"),
    "short root1": (2, 3, [C], ROOT_AB[:9], ROOT_ABC, "root1 must be 32 bytes"),
    "empty root2": (2, 3, [C], ROOT_AB, b"", "root2 must be 32 bytes"),
    # A power-of-two size1 is its own seed, so root1 is checked through root2.
    "wrong root1, size1 a power of two": (2, 3, [C], ROOT_ABC, ROOT_ABC, "leads to root2"),
    "wrong root1": (3, 4, [C, D, ROOT_AB], ROOT_AB, ROOT_ABCD, "leads to root1"),
    "wrong root2": (2, 3, [C], ROOT_AB, ROOT_AB, "leads to root2"),
    "negative size1": (-1, 3, [C], ROOT_AB, ROOT_ABC, "size1 must be an int"),
}


def test_proof_error_is_a_value_error() -> None:
    assert issubclass(ProofError, ValueError)


def test_root_from_inclusion_proof() -> None:
    assert root_from_inclusion_proof(A, 0, 1, []) == A
    assert root_from_inclusion_proof(C, 2, 3, [ROOT_AB]) == ROOT_ABC
    assert root_from_inclusion_proof(B, 1, 3, [A, C]) == ROOT_ABC


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "message"), INCLUSION_ERRORS.values(), ids=INCLUSION_ERRORS.keys()
)
def test_inclusion_input_errors(leaf: bytes, index: int, size: int, proof: list, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        root_from_inclusion_proof(leaf, index, size, proof)


def test_inclusion_root_mismatch_names_both_roots() -> None:
    with pytest.raises(ProofError, match=f"{ROOT_ABC.hex()}, expected {ROOT_AB.hex()}"):
        verify_inclusion(C, 2, 3, [ROOT_AB], ROOT_AB)
    with pytest.raises(ProofError, match="root must be 32 bytes"):
        verify_inclusion(C, 2, 3, [ROOT_AB], ROOT_ABC + b"\x00")


def test_same_size_needs_empty_proof_and_equal_roots() -> None:
    verify_consistency(3, 3, [], ROOT_ABC, ROOT_ABC)
    with pytest.raises(ProofError, match="needs an empty proof"):
        verify_consistency(3, 3, [ROOT_ABC], ROOT_ABC, ROOT_ABC)
    with pytest.raises(ProofError, match="differs from root1"):
        verify_consistency(3, 3, [], ROOT_ABC, ROOT_AB)


def test_empty_tree() -> None:
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(ProofError, match="empty tree must be"):
        verify_consistency(0, 0, [], ROOT_AB, ROOT_AB)
    with pytest.raises(ProofError, match="from the empty tree"):
        verify_consistency(0, 3, [], EMPTY_ROOT, ROOT_ABC)
    with pytest.raises(ProofError, match="from the empty tree"):
        verify_consistency(0, 3, [ROOT_ABC], EMPTY_ROOT, ROOT_ABC)


@pytest.mark.parametrize(
    ("size1", "size2", "proof", "root1", "root2", "message"),
    CONSISTENCY_ERRORS.values(),
    ids=CONSISTENCY_ERRORS.keys(),
)
def test_consistency_errors(size1: int, size2: int, proof: list, root1: bytes, root2: bytes, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        verify_consistency(size1, size2, proof, root1, root2)


def test_consistency_when_old_size_is_not_a_power_of_two() -> None:
    verify_consistency(2, 3, [C], ROOT_AB, ROOT_ABC)
    # 3 -> 4: the proof starts with the perfect subtree that ends at leaf 2
    # (leaf C itself), which the verifier cannot take from root1.
    verify_consistency(3, 4, [C, D, ROOT_AB], ROOT_ABC, ROOT_ABCD)
    with pytest.raises(ProofError):
        verify_consistency(3, 4, [hashlib.sha256(b"x").digest(), D, ROOT_AB], ROOT_ABC, ROOT_ABCD)
