import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.hasher import EMPTY_ROOT, hash_children, hash_leaf
from ledger.audit.tree import (
    MemoryNodeStore,
    Node,
    append_leaf,
    root,
    root_of_size,
    split_point,
    subtree_root,
)

CT_LEAVES = [
    bytes.fromhex(value)
    for value in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
MAX_SIZE = 300


def leaf_hashes(count: int, salt: bytes = b"") -> list[bytes]:
    return [hashlib.sha256(salt + i.to_bytes(8, "big")).digest() for i in range(count)]


def build(hashes: list[bytes]) -> MemoryNodeStore:
    store = MemoryNodeStore()
    for leaf_hash in hashes:
        store.put_many(append_leaf(store, leaf_hash))
    return store


LEAVES = leaf_hashes(MAX_SIZE)
STORE = build(LEAVES)


def test_ct_known_answer_roots() -> None:
    hashes = [hash_leaf(leaf) for leaf in CT_LEAVES]
    store = build(hashes)
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert root(hashes[:size]).hex() == expected
        assert root_of_size(store, size).hex() == expected


def test_empty_tree() -> None:
    assert root([]) == EMPTY_ROOT
    assert root_of_size(MemoryNodeStore(), 0) == EMPTY_ROOT


def test_root_of_every_size_matches_the_recursive_definition() -> None:
    for size in range(MAX_SIZE + 1):
        assert root_of_size(STORE, size) == root(LEAVES[:size]), size


def test_split_point() -> None:
    assert [split_point(n) for n in range(2, 10)] == [1, 2, 2, 4, 4, 4, 4, 8]


def test_append_returns_the_leaf_and_every_completed_parent() -> None:
    store = MemoryNodeStore()
    for index, leaf_hash in enumerate(LEAVES[:70]):
        nodes = append_leaf(store, leaf_hash)
        assert nodes[0] == Node(0, index, leaf_hash)
        # Leaf i completes one parent per trailing one bit of i.
        trailing_ones = ((index ^ (index + 1)).bit_length()) - 1
        assert len(nodes) == 1 + trailing_ones
        for node in nodes:
            width = 1 << node.level
            assert node.index * width + width == index + 1
            assert node.hash == root(LEAVES[node.index * width : (node.index + 1) * width])
        assert store.size() == index  # append_leaf itself writes nothing
        store.put_many(nodes)
        assert store.size() == index + 1


def test_append_rejects_a_wrong_length_hash() -> None:
    with pytest.raises(ValueError, match="32"):
        append_leaf(MemoryNodeStore(), b"short")


def test_store_refuses_to_rewrite_a_node() -> None:
    store = build(LEAVES[:4])
    store.put_many([Node(0, 1, LEAVES[1])])  # identical re-put is harmless
    with pytest.raises(ValueError, match="different hash"):
        store.put_many([Node(1, 0, LEAVES[0])])
    assert store.get(1, 0) == hash_children(LEAVES[0], LEAVES[1])


def test_store_refuses_leaf_gaps_and_stays_unchanged() -> None:
    store = build(LEAVES[:3])
    with pytest.raises(ValueError, match="out of order"):
        store.put_many([Node(1, 1, LEAVES[0]), Node(0, 4, LEAVES[4])])
    assert store.size() == 3
    with pytest.raises(KeyError):
        store.get(1, 1)


def test_subtree_root_refuses_unaligned_or_empty_ranges() -> None:
    with pytest.raises(ValueError, match="not a subtree"):
        subtree_root(STORE, 1, 3)
    with pytest.raises(ValueError, match="empty"):
        subtree_root(STORE, 4, 4)
    assert subtree_root(STORE, 8, 13) == root(LEAVES[8:13])


def test_root_of_size_refuses_sizes_beyond_the_store() -> None:
    with pytest.raises(ValueError, match="outside"):
        root_of_size(STORE, MAX_SIZE + 1)
    with pytest.raises(ValueError, match="outside"):
        root_of_size(STORE, -1)


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=100))
def test_any_leaves_give_the_recursive_root(hashes: list[bytes]) -> None:
    store = build(hashes)
    assert root_of_size(store, len(hashes)) == root(hashes)
