import hashlib

from ledger.audit.hasher import EMPTY_ROOT, HASH_SIZE, hash_children, hash_leaf


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_leaf_hash_known_answers() -> None:
    # From the Certificate Transparency test suite.
    assert hash_leaf(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert hash_leaf(b"\x00").hex() == "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"


def test_domain_separation() -> None:
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert hash_children(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert hash_leaf(left + right) == hashlib.sha256(b"\x00" + left + right).digest()
    # Same bytes as a leaf and as a pair of children must not collide.
    assert hash_children(left, right) != hash_leaf(left + right)
    assert len(hash_leaf(b"x")) == len(hash_children(left, right)) == HASH_SIZE
