"""The stored tree: dense positions in log order, leaves from the stored events, the same on both stores."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from api.bootstrap import open_ledger
from ledger.audit.hasher import hash_leaf
from ledger.audit.leaf import leaf_bytes
from ledger.audit.tree import root
from ledger.seed import load_case
from projections.audit import AuditTrail
from projections.audit.nodes import DbNodeStore
from tests.conftest import make_store
from tests.integration.audit.conftest import SEED_EVENTS, add_events, prepare


def independent_leaves(ledger) -> list[bytes]:
    """Every leaf hash recomputed from the event table, numbering the events itself."""
    notifications = ledger.recorder.select_notifications(start=None, limit=1_000_000)
    return [
        hash_leaf(leaf_bytes(position, n.originator_id, n.originator_version, n.topic, n.state,
                             ledger.mapper.to_domain_event(n).timestamp))
        for position, n in enumerate(notifications)
    ]


def stored_leaves(trail: AuditTrail) -> list[tuple[int, int, bytes]]:
    with trail.db.transaction(commit=False) as cursor:
        rows = trail.db.all(cursor, "SELECT position, notification_id, leaf_hash FROM {leaves} ORDER BY position")
    return [(r[0], r[1], bytes(r[2])) for r in rows]


def test_leaves_are_dense_in_log_order_and_commit_to_the_stored_events(store, ledger, trail):
    rows = stored_leaves(trail)
    ids = [n.id for n in ledger.recorder.select_notifications(start=None, limit=1_000)]
    assert [r[0] for r in rows] == list(range(SEED_EVENTS))
    assert [r[1] for r in rows] == ids
    leaves = independent_leaves(ledger)
    assert [r[2] for r in rows] == leaves
    assert trail.root() == (SEED_EVENTS, root(leaves))
    with trail.db.transaction(commit=False) as cursor:
        nodes = trail.db.one(cursor, "SELECT COUNT(*) FROM {nodes}")[0]
    assert nodes == 2 * SEED_EVENTS - bin(SEED_EVENTS).count("1")  # every perfect node, once


def test_catching_up_in_small_batches_gives_the_same_tree(store, ledger, seed_ids):
    with AuditTrail(store, ledger=ledger, batch_size=7) as small:
        small.catch_up()
        assert small.root() == (SEED_EVENTS, root(independent_leaves(ledger)))
        add_events(ledger, 5)
        assert small.catch_up() == 5
        assert small.root() == (SEED_EVENTS + 5, root(independent_leaves(ledger)))


def test_the_audit_log_rows_match_their_leaves(store, ledger, trail):
    page = trail.log(limit=500)
    assert [item["position"] for item in page["items"]] == list(range(SEED_EVENTS))
    assert [item["notification_id"] for item in page["items"]] == [r[1] for r in stored_leaves(trail)]


def copy_events(source, target, *, gap_after: int | None = None) -> list[int]:
    """Copy every stored event, bytes for bytes; optionally burn notification ids on the way (a gap)."""
    notifications = source.recorder.select_notifications(start=None, limit=1_000_000)
    events = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]
    cut = len(events) if gap_after is None else gap_after
    target.recorder.insert_events(events[:cut])
    if gap_after is not None:
        clash = StoredEvent(uuid.uuid4(), 1, events[0].topic, events[0].state)
        with pytest.raises(IntegrityError):
            target.recorder.insert_events([clash, events[0]])  # a conflict: ids are spent, nothing stored
        target.recorder.insert_events(events[cut:])
    return [n.id for n in target.recorder.select_notifications(start=None, limit=1_000_000)]


@pytest.mark.postgres
@pytest.mark.parametrize("cipher", [False, True], ids=["plain", "cipher"])
def test_the_same_history_gives_the_same_leaves_and_root_on_sqlite_and_postgresql(tmp_path: Path, cipher: bool):
    key = base64.b64encode(os.urandom(16)).decode() if cipher else None
    sqlite_stores = make_store("sqlite", tmp_path / "sqlite", key)
    postgres_stores = make_store("postgres", tmp_path / "postgres", key)
    sqlite_store, postgres_store = next(sqlite_stores), next(postgres_stores)
    try:
        prepare(sqlite_store)
        prepare(postgres_store)
        sqlite_ledger, postgres_ledger = open_ledger(sqlite_store), open_ledger(postgres_store)
        try:
            load_case(sqlite_ledger)
            add_events(sqlite_ledger, 3)
            ids = copy_events(sqlite_ledger, postgres_ledger, gap_after=40)
            assert len(ids) == SEED_EVENTS + 3 and ids[-1] > len(ids)  # PostgreSQL's ids now have a gap
            with AuditTrail(sqlite_store, ledger=sqlite_ledger) as a, AuditTrail(postgres_store,
                                                                                  ledger=postgres_ledger) as b:
                a.catch_up()
                b.catch_up()
                leaves_a, leaves_b = stored_leaves(a), stored_leaves(b)
                assert [(p, h) for p, _, h in leaves_a] == [(p, h) for p, _, h in leaves_b]
                assert [n for _, n, _ in leaves_b] == ids
                assert a.root() == b.root() == (len(ids), root(independent_leaves(sqlite_ledger)))
                # Proofs agree too: they come from identical nodes.
                assert a.inclusion(41, len(ids))["proof"] == b.inclusion(41, len(ids))["proof"]
                assert a.consistency(40, len(ids)) == b.consistency(40, len(ids))
        finally:
            sqlite_ledger.close()
            postgres_ledger.close()
    finally:
        for stores in (sqlite_stores, postgres_stores):
            for _ in stores:
                pass


def test_a_stored_node_cannot_be_rewritten(store, ledger, trail):
    from ledger.audit.tree import Node

    with pytest.raises(Exception) as caught:
        with trail.db.transaction(commit=True) as cursor:
            nodes = DbNodeStore(trail.db, cursor)
            nodes.put_many([Node(0, nodes.size(), b"\x01" * 32)])
            nodes._pending.append((0, 3, b"\x02" * 32))  # an attempt to overwrite leaf 3
            nodes.flush()
    assert "unique" in str(caught.value).lower() or "duplicate" in str(caught.value).lower()
    assert trail.size() == SEED_EVENTS  # nothing of the failed transaction stayed
    with pytest.raises(ValueError, match="out of order"):
        with trail.db.transaction(commit=False) as cursor:
            DbNodeStore(trail.db, cursor).put_many([Node(0, SEED_EVENTS + 1, b"\x01" * 32)])


def test_followers_racing_a_writer_build_one_tree(store, ledger, trail):
    """Two trails (say, two web workers) catch up while events are written: each event is one leaf."""
    import threading

    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            add_events(ledger, 40, actor="officer-racing")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            done.set()

    def follow(audit: AuditTrail) -> None:
        try:
            while not done.is_set():
                audit.catch_up()
            audit.catch_up()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    with AuditTrail(store, ledger=ledger, batch_size=3) as other:
        threads = [threading.Thread(target=write), threading.Thread(target=follow, args=(trail,)),
                   threading.Thread(target=follow, args=(other,))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        other.catch_up()
        leaves = independent_leaves(ledger)
        assert len(leaves) == SEED_EVENTS + 40
        assert [h for _, _, h in stored_leaves(other)] == leaves
        assert other.root() == trail.root() == (len(leaves), root(leaves))
