"""Replay verification finds edits made to the event table behind the ledger's back, and where."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from api.bootstrap import open_ledger
from ledger.audit.checkpoint import verify_checkpoint
from ledger.audit.keys import parse_verifier_key
from ledger.audit.proof_check import ProofError, verify_consistency
from projections.audit import AuditIntegrityError, AuditTrail, verify
from projections.follower import reset
from tests.conftest import make_store
from tests.integration.audit.conftest import SEED_EVENTS, add_events, forge_checkpoint, prepare
from tests.integration.audit.tamper import Tamper


def nid(trail: AuditTrail, position: int) -> int:
    return trail.leaf(position)["notification_id"]


def positioned(report, position):
    return [p for p in report.problems if p.position == position]


def test_an_untouched_history_verifies(store, ledger, trail):
    trail.make_checkpoint()
    add_events(ledger, 3)
    trail.make_checkpoint()
    report = verify(store, progress=False, ledger=ledger)
    assert report.ok, report.summary()
    assert report.events == report.tree_size == SEED_EVENTS + 3
    assert report.first_bad_position is None and report.pending == 0
    assert [c["size"] for c in report.checkpoints] == [SEED_EVENTS, SEED_EVENTS + 3]
    assert all(c["signature_ok"] and c["root_ok"] for c in report.checkpoints)
    assert report.root == trail.root()[1]
    assert {name: r["status"] for name, r in report.projections.items()} == {
        "views": "matches a rebuild from the log", "audit": "matches a rebuild from the log"}


TAMPERINGS = {
    # name: (what is done, the first position that must be named, the kind of difference found there)
    "alter": (lambda t, at: t.alter(at(30), b"seed-loader", b"seed-l0ader"), 30, "altered"),
    "delete": (lambda t, at: t.delete(at(40)), 40, "moved"),
    "swap_contents": (lambda t, at: t.swap_contents(at(20), at(50)), 20, "replaced"),
    "swap_ids": (lambda t, at: t.swap_ids(at(21), at(60)), 21, "replaced"),
    "insert": (lambda t, at: t.insert_before(at(35), like=at(36)), 35, "replaced"),
    "delete_last": (lambda t, at: t.delete(at(SEED_EVENTS - 1)), SEED_EVENTS - 1, "missing-event"),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_tampering_is_reported_at_the_first_bad_position(store, ledger, trail, name):
    action, first_bad, kind = TAMPERINGS[name]
    checkpoint = trail.make_checkpoint()
    with Tamper(store) as t:
        action(t, lambda position: nid(trail, position))
    report = verify(store, progress=False, ledger=ledger)
    assert not report.ok
    assert report.first_bad_position == first_bad, report.summary()
    assert positioned(report, first_bad)[0].kind == kind, report.summary()
    # Nothing before it is blamed, and the signed checkpoint no longer matches the log.
    assert all(p.position is None or p.position >= first_bad for p in report.problems)
    assert any(p.kind == "checkpoint" and f"size {checkpoint.size}" in p.detail for p in report.problems)
    assert report.suspect_range == (0, checkpoint.size)


def test_each_tampering_also_breaks_the_views_or_the_rebuild(store, ledger, trail):
    with Tamper(store) as t:
        t.alter(nid(trail, 30), b"seed-loader", b"seed-l0ader")
    report = verify(store, progress=False, ledger=ledger)
    # The views were built from the original event: a rebuild from the altered log differs.
    assert report.projections["views"]["status"] == "DIFFERS from a rebuild from the log", report.summary()
    assert report.projections["audit"]["status"] == "DIFFERS from a rebuild from the log"


def test_views_edited_directly_are_caught_by_their_digest(store, ledger, trail):
    from projections.db import Db

    db = Db(store, "views", pool_size=1)
    try:
        with db.transaction(commit=True) as cursor:
            db.run(cursor, "UPDATE {figures} SET low = low + 1 WHERE figure_id = (SELECT MIN(figure_id) FROM {figures})")
    finally:
        db.close()
    report = verify(store, progress=False, ledger=ledger)
    assert not report.ok and report.first_bad_position is None
    assert report.projections["views"]["status"] == "DIFFERS from a rebuild from the log"
    assert report.projections["audit"]["status"] == "matches a rebuild from the log"


def test_a_stored_tree_node_edited_directly_is_found(store, ledger, trail):
    with trail.db.transaction(commit=True) as cursor:
        trail.db.run(cursor, "UPDATE {nodes} SET hash = ? WHERE level = 2 AND idx = 5", (b"\x00" * 32,))
    report = verify(store, progress=False, ledger=ledger, projections=False)
    assert report.first_bad_position == 20 and report.problems[0].kind == "node", report.summary()


def test_a_forged_checkpoint_signature_is_found(store, ledger, trail):
    checkpoint = trail.make_checkpoint()
    forged = checkpoint.note.replace(checkpoint.note.split("\n")[2], base64.b64encode(b"\x01" * 32).decode())
    with trail.db.transaction(commit=True) as cursor:
        trail.db.run(cursor, "UPDATE {checkpoints} SET note = ? WHERE size = ?", (forged, checkpoint.size))
    report = verify(store, progress=False, ledger=ledger, projections=False)
    assert not report.ok and report.checkpoints[0]["signature_ok"] is False
    assert "invalid signature" in report.problems[0].detail


def test_a_rewritten_and_rehashed_history_fails_consistency_with_earlier_checkpoints(store, ledger):
    """An intruder edits an event and rebuilds the tree to match: the stored tree is then
    self-consistent, but no consistency proof links it to a checkpoint signed before the edit."""
    prepare(store)
    add_events(ledger, 10)
    trail = AuditTrail(store, ledger=ledger)
    try:
        early = trail.make_checkpoint()
        from ledger.seed import load_case

        load_case(ledger)
        before = trail.make_checkpoint()
        assert (early.size, before.size) == (10, 10 + SEED_EVENTS)
        verifier = parse_verifier_key(trail.public_key()["verifier_key"])

        def consistent(old, new) -> None:
            a, b = verify_checkpoint(old.note, verifier), verify_checkpoint(new.note, verifier)
            proof = trail.consistency(a.size, b.size)
            verify_consistency(a.size, b.size, [base64.b64decode(h) for h in proof["proof"]], a.root_hash, b.root_hash)

        consistent(early, before)

        with Tamper(store) as t:
            t.alter(nid(trail, 50), b"seed-loader", b"seed-l0ader")
        follower = trail.follower
        with follower.db.transaction(commit=True) as cursor:
            reset(follower.db, cursor, follower.projection)
        trail.catch_up()
        add_events(ledger, 1)
        trail.catch_up()
        with pytest.raises(AuditIntegrityError, match=f"does not extend the checkpoint signed at size {before.size}"):
            trail.make_checkpoint()  # the ledger itself will not sign over the rewrite...
        after = forge_checkpoint(trail)  # ...but an intruder holding the key file can
        assert after.size == before.size + 1

        consistent(early, after)  # the first 10 events were not touched
        with pytest.raises(ProofError):
            consistent(before, after)

        report = verify(store, progress=False, ledger=ledger, projections=False)
        assert not report.ok and report.first_bad_position is None  # the leaves match the edited log...
        assert report.suspect_range == (early.size, before.size)  # ...but the signed roots pin the change
        assert [c["root_ok"] for c in report.checkpoints] == [True, False, True]
    finally:
        trail.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cipher_store(request, tmp_path: Path):
    yield from make_store(request.param, tmp_path, base64.b64encode(os.urandom(16)).decode())


def test_with_the_cipher_on_leaves_commit_to_ciphertext_and_edits_are_found(cipher_store, tmp_path):
    from ledger.audit.hasher import hash_leaf
    from ledger.audit.leaf import leaf_bytes
    from ledger.seed import load_case

    store = cipher_store
    prepare(store)
    ledger = open_ledger(store)
    trail = AuditTrail(store, ledger=ledger)
    try:
        load_case(ledger)
        trail.catch_up()
        trail.make_checkpoint()
        n = ledger.recorder.select_notifications(start=None, limit=1)[0]
        assert b"seed-loader" not in n.state  # stored encrypted
        event = ledger.mapper.to_domain_event(n)
        expected = hash_leaf(leaf_bytes(0, n.originator_id, n.originator_version, n.topic, n.state, event.timestamp))
        assert base64.b64decode(trail.leaf(0)["leaf_hash"]) == expected
        assert verify(store, progress=False, ledger=ledger).ok

        with Tamper(store) as t:
            t.flip_byte(nid(trail, 12))
        report = verify(store, progress=False, ledger=ledger)
        assert report.first_bad_position == 12
        assert positioned(report, 12)[0].kind == "undecodable"
        assert report.projections["views"]["status"] == "rebuild failed"
    finally:
        trail.close()
        ledger.close()


def _rewrite_with_another_key(store, ledger, trail, tmp_path):
    """An intruder with write access to the database (not to the key file): an event edited, the
    tree rebuilt over it, the recorded verifier key replaced by one of theirs, every checkpoint
    re-signed with it. Everything in the store is then consistent with everything else."""
    from ledger.audit.keys import encode_verifier_key, generate_private_key, load_private_key, save_private_key

    trail.make_checkpoint()
    theirs = tmp_path / "intruder.pem"
    save_private_key(generate_private_key(), theirs)
    with Tamper(store) as t:
        t.alter(nid(trail, 30), b"seed-loader", b"seed-l0ader")
    origin = trail.identity().origin
    with trail.db.transaction(commit=True) as cursor:
        reset(trail.db, cursor, trail.follower.projection)
        trail.db.run(cursor, "DELETE FROM {checkpoints}")
        trail.db.run(cursor, "UPDATE {meta} SET value = ? WHERE key = 'verifier_key'",
                     (encode_verifier_key(origin, load_private_key(theirs).public_key()),))
    forger = AuditTrail(store, ledger=ledger, key_file=theirs)
    try:
        forger.catch_up()
        forge_checkpoint(forger)
        assert verify(store, progress=False, ledger=ledger, projections=False, key_file=theirs).ok  # all consistent
    finally:
        forger.close()
    return origin


def test_a_store_re_signed_with_another_key_is_caught_by_the_key_file(store, ledger, trail, tmp_path):
    _rewrite_with_another_key(store, ledger, trail, tmp_path)
    report = verify(store, progress=False, ledger=ledger, projections=False)  # with the ledger's own key file
    assert not report.ok, report.summary()
    assert any(p.kind == "verifier-key" and "signing key" in p.detail for p in report.problems), report.summary()
    assert [c["signature_ok"] for c in report.checkpoints] == [False]


def test_a_store_re_signed_with_another_key_is_caught_by_the_published_key(store, ledger, trail, tmp_path,
                                                                           monkeypatch, capsys):
    # An auditor without the key file holds the verifier key the ledger published (`ledger public-key`).
    from api.audit_cli import main

    published = trail.public_key()["verifier_key"]
    _rewrite_with_another_key(store, ledger, trail, tmp_path)
    monkeypatch.setenv("LEDGER_DB", store.url)
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(tmp_path / "no-such-key.pem"))
    assert main(["verify", "--no-projections", "--no-progress"]) == 0  # the store alone cannot tell
    capsys.readouterr()
    assert main(["verify", "--no-projections", "--no-progress", "--key", published]) == 1
    out = capsys.readouterr().out
    assert "not the verifier key you trust" in out and published in out, out
    (tmp_path / "published.pub").write_text(published + "\n")
    assert main(["verify", "--no-projections", "--no-progress", "--key", str(tmp_path / "published.pub")]) == 1


def test_a_checkpoint_deleted_before_a_rewrite_is_caught_by_one_held_outside(store, ledger, trail, tmp_path,
                                                                            monkeypatch, capsys):
    from api.audit_cli import main

    early = trail.make_checkpoint()
    add_events(ledger, 5)
    trail.catch_up()
    held = trail.make_checkpoint()  # a witness keeps this one
    with trail.db.transaction(commit=True) as cursor:
        trail.db.run(cursor, "DELETE FROM {checkpoints} WHERE size = ?", (held.size,))
    with Tamper(store) as t:
        t.alter(nid(trail, SEED_EVENTS + 2), b"officer-test", b"officer-tesT")
    with trail.db.transaction(commit=True) as cursor:
        reset(trail.db, cursor, trail.follower.projection)
    trail.catch_up()
    assert verify(store, progress=False, ledger=ledger, projections=False).ok  # the store alone agrees with itself

    report = verify(store, progress=False, ledger=ledger, projections=False, held=[held.note])
    assert not report.ok
    assert any(f"size {held.size} you hold is not in the store" in p.detail for p in report.problems), report.summary()
    assert report.suspect_range == (early.size, held.size)

    (tmp_path / "held.txt").write_text(held.note)
    monkeypatch.setenv("LEDGER_DB", store.url)
    assert main(["verify", "--no-projections", "--no-progress", "--checkpoint", str(tmp_path / "held.txt")]) == 1
    assert "you hold is not in the store" in capsys.readouterr().out


def test_a_checkpoint_rows_root_edited_is_found(store, ledger, trail):
    checkpoint = trail.make_checkpoint()
    with trail.db.transaction(commit=True) as cursor:
        trail.db.run(cursor, "UPDATE {checkpoints} SET root = ? WHERE size = ?", (b"\x07" * 32, checkpoint.size))
    report = verify(store, progress=False, ledger=ledger, projections=False)
    assert not report.ok and "does not match its own signed note" in report.summary()
