"""The NDJSON mirror round-trips through the offline verifier; any tampered line is rejected."""

from __future__ import annotations

import base64

import orjson
import pytest

from ledger.audit.keys import encode_verifier_key, generate_private_key
from projections.audit import MirrorError, verify_mirror
from projections.audit.frontier import Frontier
from projections.follower import reset
from tests.integration.audit.conftest import SEED_EVENTS, add_events, forge_checkpoint
from tests.integration.audit.tamper import Tamper


@pytest.fixture
def signed(trail):
    checkpoint = trail.make_checkpoint()
    return trail, checkpoint, trail.public_key()["verifier_key"], list(trail.mirror())


def test_the_mirror_round_trips_through_the_offline_verifier(store, ledger, signed):
    trail, checkpoint, key, lines = signed
    assert len(lines) == SEED_EVENTS + 1 and all(line.endswith(b"\n") for line in lines)
    assert orjson.loads(lines[-1]) == {"checkpoint": checkpoint.note}
    first = orjson.loads(lines[0])
    stored = ledger.recorder.select_notifications(start=None, limit=1)[0]
    assert base64.b64decode(first["state"]) == stored.state and first["position"] == 0
    report = verify_mirror(lines, key, checkpoint.note)
    assert (report.size, report.root, report.lines) == (SEED_EVENTS, checkpoint.root, SEED_EVENTS)
    assert report.trusted_checked is not None and report.checkpoint.size == SEED_EVENTS
    # The verifier needs nothing from the server: text lines work as well as bytes.
    assert verify_mirror([line.decode() for line in lines], key).size == SEED_EVENTS


def _edit(lines: list[bytes], index: int, **changes) -> list[bytes]:
    obj = orjson.loads(lines[index])
    obj.update(changes)
    return [*lines[:index], orjson.dumps(obj) + b"\n", *lines[index + 1:]]


def _state(line: bytes) -> str:
    raw = bytearray(base64.b64decode(orjson.loads(line)["state"]))
    raw[len(raw) // 2] ^= 0x20
    return base64.b64encode(bytes(raw)).decode()


TAMPERED = {
    "state": lambda ls: _edit(ls, 17, state=_state(ls[17])),
    "recorded_at": lambda ls: _edit(ls, 17, recorded_at="2019-04-26T00:00:00.000000Z"),
    "topic": lambda ls: _edit(ls, 17, topic="ledger.figure:Figure.Retracted"),
    "version": lambda ls: _edit(ls, 17, version=orjson.loads(ls[17])["version"] + 1),
    "dropped": lambda ls: [*ls[:17], *ls[18:]],
    "swapped": lambda ls: [*ls[:17], _edit(ls, 18, position=17)[18], _edit(ls, 17, position=18)[17], *ls[19:]],
    "duplicated": lambda ls: [*ls[:17], ls[16], *ls[17:]],
    "renumbered": lambda ls: [*ls[:17], *[_edit(ls, i, position=i - 1)[i] for i in range(18, len(ls) - 1)],
                              ls[-1]],
    "cut_short": lambda ls: ls[:-1],
    "checkpoint_edited": lambda ls: [*ls[:-1], orjson.dumps({"checkpoint": orjson.loads(ls[-1])["checkpoint"]
                                                             .replace(f"\n{SEED_EVENTS}\n", "\n87\n")}) + b"\n"],
    "trailing": lambda ls: [*ls, ls[3]],
    "not_canonical": lambda ls: _edit(ls, 17, originator_id=orjson.loads(ls[17])["originator_id"].upper()),
}


def test_a_tampered_mirror_is_rejected(signed):
    trail, checkpoint, key, lines = signed
    accepted = []
    for how, tamper in TAMPERED.items():
        tampered = tamper(lines)
        assert tampered != lines, how
        trusted_runs = [checkpoint.note]
        if how not in ("cut_short", "checkpoint_edited", "trailing"):
            trusted_runs.append(None)  # rejected on its own checkpoint too, with no trusted one given
        for trusted in trusted_runs:
            try:
                verify_mirror(tampered, key, trusted)
            except MirrorError:
                continue
            accepted.append((how, trusted is not None))
    assert accepted == []


def test_a_mirror_under_another_key_is_rejected(signed):
    trail, checkpoint, key, lines = signed
    impostor = encode_verifier_key(key.split("+")[0], generate_private_key().public_key())
    with pytest.raises(MirrorError, match="no signature by key"):
        verify_mirror(lines, impostor)


def test_a_mirror_resumes_from_saved_state_and_extends_the_trusted_checkpoint(store, ledger, signed):
    trail, old, key, lines = signed
    state = verify_mirror(lines, key, old.note).state
    saved = orjson.loads(orjson.dumps(state.to_json()))  # what an auditor keeps between runs
    add_events(ledger, 4)
    new = trail.make_checkpoint()
    more = list(trail.mirror(old.size))
    assert len(more) == 5
    report = verify_mirror(more, key, old.note, state=Frontier.from_json(saved))
    assert (report.start, report.size, report.root) == (old.size, new.size, new.root)
    with pytest.raises(MirrorError, match="needs the state"):
        verify_mirror(more, key)


def test_a_rewritten_history_passes_its_own_checkpoint_but_not_the_one_an_auditor_kept(store, ledger, signed):
    trail, old, key, lines = signed
    with Tamper(store) as t:
        t.alter(trail.leaf(9)["notification_id"], b"seed-loader", b"seed-l0ader")
    follower = trail.follower
    with follower.db.transaction(commit=True) as cursor:  # the intruder re-hashes the tree...
        reset(follower.db, cursor, follower.projection)
    add_events(ledger, 1)
    trail.catch_up()
    new = forge_checkpoint(trail)  # ...and signs the new history with the stolen key
    rewritten = list(trail.mirror())
    assert verify_mirror(rewritten, key).checkpoint.size == new.size  # consistent with itself
    with pytest.raises(MirrorError, match=f"at size {old.size} is not the trusted checkpoint"):
        verify_mirror(rewritten, key, old.note)


def test_the_mirror_serves_what_the_event_table_holds_now(store, ledger, signed):
    trail, checkpoint, key, lines = signed
    with Tamper(store) as t:
        t.alter(trail.leaf(30)["notification_id"], b"seed-loader", b"seed-l0ader")
    with pytest.raises(MirrorError):
        verify_mirror(list(trail.mirror()), key, checkpoint.note)
