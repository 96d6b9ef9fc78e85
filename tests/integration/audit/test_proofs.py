"""Proofs served from the stored tree verify with ledger.audit.proof_check, for every leaf of every size.

The pure proof code is tested in tests/unit/audit; here it is the DB-backed node store:
nodes written by the follower's path (append_leaf + DbNodeStore), read back on each store.
Roots are checked against the plain RFC 9162 recursion (ledger.audit.tree.root) over the
leaf hashes, which never reads a stored node.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.audit.checkpoint import verify_checkpoint
from ledger.audit.hasher import hash_leaf
from ledger.audit.keys import parse_verifier_key
from ledger.audit.proof import consistency_proof, inclusion_proof
from ledger.audit.tree import MemoryNodeStore, append_leaf, root, root_of_size
from ledger.audit.proof_check import ProofError, verify_consistency, verify_inclusion
from ledger.store import Store
from projections.audit.frontier import Frontier
from projections.audit.nodes import DbNodeStore
from projections.audit.projection import AuditProjection
from projections.db import Db
from projections.follower import install
from tests.integration.audit.test_tree import independent_leaves


def b(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def test_every_proof_of_the_seeded_tree_verifies_against_its_checkpoint(store, ledger, trail):
    checkpoint_row = trail.make_checkpoint()
    verifier = parse_verifier_key(trail.public_key()["verifier_key"])
    checkpoint = verify_checkpoint(checkpoint_row.note, verifier)
    size = checkpoint.size
    leaves = independent_leaves(ledger)
    assert checkpoint.root_hash == root(leaves)
    for index in range(size):
        proof = trail.inclusion(index, size)
        assert b([proof["leaf_hash"]])[0] == leaves[index]
        verify_inclusion(leaves[index], index, size, b(proof["proof"]), checkpoint.root_hash)
        assert proof["checkpoint"] == checkpoint_row.note
    for first in range(1, size + 1):
        proof = trail.consistency(first, size)
        verify_consistency(first, size, b(proof["proof"]), root(leaves[:first]), checkpoint.root_hash)
    # A proof does not carry over to another leaf or another root.
    proof = trail.inclusion(5, size)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[6], 5, size, b(proof["proof"]), checkpoint.root_hash)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[5], 5, size, b(proof["proof"]), root(leaves[:size - 1]))


def test_out_of_range_requests_are_refused(store, ledger, trail):
    from projections.audit import AuditRequestError

    size = trail.size()
    for call, field in [(lambda: trail.inclusion(0, size + 1), "size"), (lambda: trail.inclusion(size, size), "index"),
                        (lambda: trail.consistency(0, size), "first"), (lambda: trail.consistency(5, 4), "first"),
                        (lambda: trail.consistency(1, size + 1), "second")]:
        with pytest.raises(AuditRequestError) as caught:
            call()
        assert caught.value.field == field


# ---- the DB-backed node store, swept ------------------------------------------------------------

def leaf_hashes(count: int, salt: bytes = b"") -> list[bytes]:
    return [hash_leaf(salt + i.to_bytes(8, "big")) for i in range(count)]


@pytest.fixture
def tree_db(store: Store) -> Iterator[Db]:
    """A bare audit projection's tables (no events needed: leaves are fed in directly)."""
    install(store, AuditProjection("ptree"))
    db = Db(store, "ptree", pool_size=1)
    yield db
    db.close()


def build(db: Db, cursor, hashes: list[bytes]) -> DbNodeStore:
    nodes = DbNodeStore(db, cursor)
    for leaf in hashes:
        nodes.put_many(append_leaf(nodes, leaf))
        nodes.flush()  # as each follower batch does; later appends then read these nodes from the table
    return DbNodeStore(db, cursor)  # a fresh handle: everything below is read from the database


def check_every_proof(nodes: DbNodeStore, hashes: list[bytes], sizes: range) -> int:
    checked = 0
    for size in sizes:
        expected_root = root(hashes[:size])
        assert root_of_size(nodes, size) == expected_root
        for index in range(size):
            verify_inclusion(hashes[index], index, size, inclusion_proof(nodes, index, size), expected_root)
            checked += 1
        for first in range(1, size):
            verify_consistency(first, size, consistency_proof(nodes, first, size), root(hashes[:first]), expected_root)
    return checked


def sweep_size(store: Store) -> int:
    return 256 if store.kind == "sqlite" else 64


def test_every_proof_of_every_tree_size_from_the_database(store, tree_db):
    count = sweep_size(store)
    hashes = leaf_hashes(count)
    with tree_db.transaction(commit=False) as cursor:
        nodes = build(tree_db, cursor, hashes)
        assert nodes.size() == count
        assert check_every_proof(nodes, hashes, range(1, count + 1)) == count * (count + 1) // 2
        # O(log n) reads per proof, never a rehash of the log.
        nodes.reads = 0
        inclusion_proof(nodes, count // 3, count)
        assert nodes.reads <= 2 * count.bit_length()


def test_the_stored_nodes_are_those_of_the_reference_store(store, tree_db):
    hashes = leaf_hashes(sweep_size(store), b"ref")
    reference = MemoryNodeStore()
    frontier = Frontier()
    made = []
    for leaf in hashes:
        reference.put_many(append_leaf(reference, leaf))
        made.extend(frontier.append(leaf))
    with tree_db.transaction(commit=False) as cursor:
        build(tree_db, cursor, hashes)
        rows = tree_db.all(cursor, "SELECT level, idx, hash FROM {nodes}")
    assert {(lv, i): bytes(h) for lv, i, h in rows} == reference._nodes == {(n.level, n.index): n.hash for n in made}


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.binary(max_size=24), min_size=1, max_size=300), picks=st.data())
def test_proofs_from_random_trees_in_the_database(store, tree_db, data, picks):
    hashes = [hash_leaf(d) for d in data]
    with tree_db.transaction(commit=False) as cursor:  # rolled back: each example starts empty
        nodes = build(tree_db, cursor, hashes)
        for _ in range(20):
            size = picks.draw(st.integers(1, len(hashes)), label="size")
            index = picks.draw(st.integers(0, size - 1), label="index")
            expected = root(hashes[:size])
            verify_inclusion(hashes[index], index, size, inclusion_proof(nodes, index, size), expected)
            first = picks.draw(st.integers(1, size), label="first")
            verify_consistency(first, size, consistency_proof(nodes, first, size), root(hashes[:first]), expected)


def test_frontier_roots_match_the_recursive_definition():
    hashes = leaf_hashes(300, b"frontier")
    frontier = Frontier()
    assert frontier.root() == root([])
    for size in range(1, 301):
        frontier.append(hashes[size - 1])
        assert frontier.root() == root(hashes[:size])
        saved = Frontier.from_json(frontier.to_json())
        assert saved.size == size and saved.root() == frontier.root()
    with pytest.raises(ValueError):
        Frontier(3, [hashlib.sha256(b"x").digest()])
