"""Signed checkpoints: on demand and on a schedule, verifiable with the exported key; the key and origin are fixed."""

from __future__ import annotations

import base64
import os
import re
import stat
import time

import pytest

from api.bootstrap import audit_trail
from ledger.audit.checkpoint import verify_checkpoint
from ledger.audit.keys import parse_verifier_key
from ledger.audit.tree import root
from projections.audit import AuditConfigError, AuditTrail, NotFoundError, install
from projections.views_digest import digest
from tests.integration.audit.conftest import SEED_EVENTS, add_events, prepare
from tests.integration.audit.test_tree import independent_leaves


def test_a_checkpoint_verifies_with_the_exported_key(store, ledger, trail):
    checkpoint = trail.make_checkpoint()
    exported = trail.public_key()
    assert re.fullmatch(r"incident-ledger/[0-9a-f]{16}", exported["origin"])
    verifier = parse_verifier_key(exported["verifier_key"])
    assert verifier.name == exported["origin"]
    signed = verify_checkpoint(checkpoint.note, verifier)
    assert (signed.size, signed.root_hash) == (SEED_EVENTS, root(independent_leaves(ledger)))
    assert (checkpoint.size, checkpoint.root) == (signed.size, signed.root_hash)
    assert signed.time is not None and checkpoint.time == signed.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert checkpoint.to_dict()["root"] == base64.b64encode(signed.root_hash).decode()


def test_one_checkpoint_per_size_latest_and_by_size(store, ledger, trail):
    first = trail.make_checkpoint()
    assert trail.make_checkpoint() == first  # nothing new: the same signed note
    add_events(ledger, 2)
    second = trail.make_checkpoint()  # catches the tree up first
    assert second.size == SEED_EVENTS + 2
    assert trail.latest_checkpoint() == second
    assert trail.checkpoint(first.size) == first
    assert [c.size for c in trail.checkpoints()] == [first.size, second.size]
    with pytest.raises(NotFoundError):
        trail.checkpoint(5)
    with audit_trail(store) as own:  # a trail of its own, as the CLI opens one
        assert own.make_checkpoint() == second


def test_an_empty_log_has_no_checkpoint(store, ledger):
    prepare(store)
    with AuditTrail(store, ledger=ledger) as empty:
        assert empty.make_checkpoint() is None and empty.latest_checkpoint() is None
        with pytest.raises(NotFoundError):
            empty.mirror()


def test_the_schedule_signs_when_the_tree_grew(store, ledger, trail):
    deadline = time.monotonic() + 20

    def wait_for(size: int) -> None:
        while (latest := trail.latest_checkpoint()) is None or latest.size != size:
            assert time.monotonic() < deadline, f"no checkpoint of size {size} from the schedule"
            time.sleep(0.02)

    background = trail.start(every=0.05)
    try:
        wait_for(SEED_EVENTS)
        add_events(ledger, 1)
        wait_for(SEED_EVENTS + 1)
        time.sleep(0.2)
        assert [c.size for c in trail.checkpoints()] == [SEED_EVENTS, SEED_EVENTS + 1]  # none while it stood still
    finally:
        background.stop()
    assert not background.thread.is_alive()


def test_install_is_idempotent_and_keeps_the_key_private(store, signing_key):
    first = install(store)
    assert install(store) == first
    assert first["key_path"] == str(signing_key)
    assert stat.S_IMODE(os.stat(signing_key).st_mode) == 0o600


def test_a_replaced_key_file_is_refused(store, ledger, trail, signing_key):
    trail.make_checkpoint()
    signing_key.unlink()
    with pytest.raises(AuditConfigError, match="not this ledger's key"):
        install(store)  # a new key would be made: refused, it is not the recorded one
    add_events(ledger, 1)
    with AuditTrail(store, ledger=ledger) as fresh, pytest.raises(AuditConfigError, match="not this ledger's key"):
        fresh.make_checkpoint()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_origin_is_set_once(kind, tmp_path, monkeypatch):
    from tests.conftest import make_store

    monkeypatch.setenv("LEDGER_ORIGIN", "ledger.example.org/syria-2019")
    stores = make_store(kind, tmp_path)  # the schema step records the origin
    store = next(stores)
    try:
        assert install(store)["origin"] == "ledger.example.org/syria-2019"
        monkeypatch.setenv("LEDGER_ORIGIN", "ledger.example.org/other")
        with pytest.raises(AuditConfigError, match="cannot change"):
            install(store)
        with audit_trail(store) as trail, pytest.raises(AuditConfigError):
            trail.public_key()
        monkeypatch.setenv("LEDGER_ORIGIN", "has space")
        with pytest.raises(AuditConfigError):
            install(store)
    finally:
        stores.close()


def test_an_attestation_ties_the_views_to_the_tree_and_a_checkpoint(store, ledger, trail):
    trail.make_checkpoint()
    views = digest(store)
    with audit_trail(store) as own:
        result = own.attestation()
    assert result["position"] == views["position"] and result["state_digest"] == views["sha256"]
    assert result["tree_size"] == SEED_EVENTS and result["checkpoint_size"] == SEED_EVENTS
    verifier = parse_verifier_key(trail.public_key()["verifier_key"])
    assert verify_checkpoint(result["checkpoint"], verifier).root_hash == base64.b64decode(result["root"])
    # Events after the views' position are not covered by the attestation of that position.
    add_events(ledger, 2)
    trail.catch_up()
    later = trail.attestation(position=views["position"], state_digest=views["sha256"])
    assert later["tree_size"] == SEED_EVENTS and later["root"] == result["root"]


def test_the_example_in_the_docs_verifies():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "audit-trail.md").read_text(encoding="utf-8")
    blocks = text.split("```")
    note = next(b for b in blocks if b.startswith("\nledger.example.org/syria-2019\n88\n")).removeprefix("\n")
    key = next(b for b in blocks if b.strip().startswith("ledger.example.org/syria-2019+")).strip()
    checkpoint = verify_checkpoint(note, parse_verifier_key(key))
    assert checkpoint.size == 88 and base64.b64encode(checkpoint.root_hash).decode() in note


def test_nothing_to_verify_without_the_schema_step(tmp_path):
    from ledger.application import Ledger
    from ledger.store import Store
    from projections.audit import verify

    store = Store(f"sqlite:///{tmp_path / 'events-only.db'}")
    ledger = Ledger(env=store.environment(create_table=True))  # the events table only, no audit step
    try:
        with pytest.raises(AuditConfigError, match="not installed"):
            verify(store, progress=False, ledger=ledger)
        with AuditTrail(store, ledger=ledger) as trail, pytest.raises(AuditConfigError, match="not installed"):
            trail.public_key()
    finally:
        ledger.close()


def test_the_ledger_refuses_to_sign_a_tree_that_does_not_extend_its_last_checkpoint(store, ledger, trail):
    from projections.audit import AuditIntegrityError

    signed = trail.make_checkpoint()
    with trail.db.transaction(commit=True) as cursor:  # the tree's leaf 3 rewritten in place
        trail.db.run(cursor, "UPDATE {nodes} SET hash = ? WHERE level = 0 AND idx = 3", (b"\x07" * 32,))
        trail.db.run(cursor, "UPDATE {nodes} SET hash = ? WHERE level > 0 AND idx = 0", (b"\x07" * 32,))
    with pytest.raises(AuditIntegrityError, match="same size, different root"):
        trail.make_checkpoint()
    add_events(ledger, 1)
    with pytest.raises(AuditIntegrityError, match=f"does not extend the checkpoint signed at size {signed.size}"):
        trail.make_checkpoint()
    assert trail.checkpoints() == [signed]


def test_an_attestation_of_a_past_position_leaves_out_a_digest_it_cannot_know(store, ledger, trail):
    from tests.integration.audit.conftest import catch_up_views

    trail.make_checkpoint()
    before = digest(store)
    add_events(ledger, 2)
    catch_up_views(store, ledger)
    with AuditTrail(store, ledger=ledger) as fresh:  # no cached digest
        past = fresh.attestation(position=before["position"])
        assert past["tree_size"] == SEED_EVENTS and past["state_digest"] is None
        now = fresh.attestation()
        assert now["tree_size"] == SEED_EVENTS + 2 and now["state_digest"] == digest(store)["sha256"]
        assert now["checkpoint"] is None  # no checkpoint covers the two new events yet
