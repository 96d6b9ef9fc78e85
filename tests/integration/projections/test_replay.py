"""Replays and decoding: deferred work is always finished, and the views read stored events as the mapper does."""

from __future__ import annotations

from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from api.bootstrap import open_ledger
from ledger.seed import load_case
from projections.db import Db
from projections.decoding import decoder
from projections.views_digest import digest
from projections.follower import Follower, install, reset
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.times import micros
from projections.views import Views
from tests.integration.projections.helpers import catch_up, fresh_store

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
KEY = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY="  # 32 bytes, base64


def _pending(store, name: str) -> bool:
    db = Db(store, name, pool_size=1)
    try:
        with db.transaction(commit=False) as cursor:
            return Views(name).replay_pending(db, cursor)
    finally:
        db.close()


def _replay_without_finishing(store, ledger, name: str) -> None:
    """A rebuild that applied every batch and stopped before its end (as if killed there)."""
    projection = Views(name)
    install(store, projection)
    follower = Follower(store, projection, ledger=ledger, batch_size=7)
    try:
        with follower.db.transaction(commit=True) as cursor:
            reset(follower.db, cursor, projection, replay=True)
        while follower.step():
            pass
    finally:
        follower.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_replay_stopped_after_its_last_batch_is_finished_by_the_next_catch_up(kind):
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        catch_up(store, ledger)
        live = digest(store)
        _replay_without_finishing(store, ledger, "again")
        assert _pending(store, "again")
        # The running tallies were left for the end: until it, the copy differs from the views.
        assert digest(store, "again")["rows"]["tally_versions"] == 0
        with Follower(store, Views("again"), ledger=ledger) as follower:
            assert follower.catch_up() == 0
        assert not _pending(store, "again")
        assert digest(store, "again")["sha256"] == live["sha256"]
        # Finished once: later catch-ups and new events go on batch by batch, as on the live views.
        ledger.record_incident("officer", title="Later", valid_from="2019-07-01")
        catch_up(store, ledger)
        catch_up(store, ledger, name="again")
        assert digest(store, "again")["sha256"] == digest(store)["sha256"]
        ledger.close()


@pytest.mark.parametrize("kind", KINDS)
def test_the_schema_step_finishes_a_pending_replay(kind):
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        catch_up(store, ledger)
        _replay_without_finishing(store, ledger, "again")
        install(store, Views("again"))
        assert not _pending(store, "again")
        assert digest(store, "again")["sha256"] == digest(store)["sha256"]
        ledger.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_rebuild_leaves_no_replay_pending_and_equals_the_views(kind):
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        catch_up(store, ledger, batch_size=3)
        result = rebuild(store, progress=False, name="copy", ledger=ledger, batch_size=5)
        assert not _pending(store, "copy")
        assert result["digest"] == digest(store)["sha256"]
        assert result["rows"]["tally_versions"] > 0
        ledger.close()


@pytest.mark.postgres
def test_the_end_of_a_replay_may_work_longer_than_the_idle_in_transaction_limit(monkeypatch):
    # At 1M events working out the running tallies leaves the finishing transaction idle for
    # longer than the server's limit, which then ended it and the rebuild failed. Here the
    # views' limit is 1 s and the work is made to take 1.5 s between two statements.
    import time

    from projections import db as views_db, running

    monkeypatch.setattr(views_db, "VIEWS_IDLE_SECONDS", 1)
    recompute = running.recompute

    def slow(db, cursor):
        db.one(cursor, "SELECT 1 FROM {replay}")
        time.sleep(1.5)
        recompute(db, cursor)

    with fresh_store("postgres") as store:
        ledger = open_ledger(store)
        load_case(ledger)
        catch_up(store, ledger)
        monkeypatch.setattr(running, "recompute", slow)
        result = rebuild(store, progress=False, name="copy", ledger=ledger)
        assert not _pending(store, "copy")
        assert result["digest"] == digest(store)["sha256"]
        db = Db(store, "copy", pool_size=1)
        try:  # the limit still holds for every other transaction
            with db.transaction(commit=False) as cursor:
                assert db.value(cursor, "SHOW idle_in_transaction_session_timeout") == "1s"
        finally:
            db.close()
        ledger.close()


def _legacy_source(ledger) -> str:
    """A Source.Registered as stored before schema v2 (no language, no class_version)."""
    source_id = uuid4()
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2019-05-01T10:00:00.250000+00:00"},
             "originator_topic": "ledger.source:Source", "actor": "legacy-import", "name": "Old source",
             "name_en": None, "kind": "witness", "url": None, "protected": False}
    data = orjson.dumps(state)
    if ledger.mapper.cipher:
        data = ledger.mapper.cipher.encrypt(data)
    ledger.recorder.insert_events([StoredEvent(source_id, 1, "ledger.source:Source.Registered", data)])
    return str(source_id)


@pytest.mark.parametrize("cipher", [None, KEY], ids=["plain", "cipher"])
@pytest.mark.parametrize("kind", KINDS)
def test_views_upcast_old_events_and_read_through_the_cipher(kind, cipher):
    with fresh_store(kind, cipher_key=cipher) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        old = _legacy_source(ledger)
        old_figure = _legacy_figure(ledger)
        if cipher:
            raw = b"".join(n.state for n in ledger.recorder.select_notifications(start=1, limit=1000))
            assert b"Old source" not in raw
        catch_up(store, ledger)
        with Reader(store) as reader:
            source = reader.source(old)
            assert source["language"] == "und"
            assert source["name"] == "Old source"
            versions = reader.figure_history(old_figure)["versions"]
            assert reader.figure(old_figure)["population"] == "counted"  # stated before populations: the whole
            assert [(v["event"], v["reason"], v["evidence"]) for v in versions] == [
                ("stated", None, None), ("adopted", None, None), ("superseded", "the investigation", None)]
        assert rebuild(store, progress=False, name="copy", ledger=ledger)["digest"] == digest(store)["sha256"]
        ledger.close()


def _legacy_figure(ledger) -> str:
    """A figure whose claim and supersession are stored as before schema v2 (tests/unit/test_figure.py)."""
    from tests.unit.test_figure import TODAYS_FORM

    figure_id = uuid4()
    stored = []
    for version, (topic, data) in enumerate(TODAYS_FORM, start=1):
        if ledger.mapper.cipher:
            data = ledger.mapper.cipher.encrypt(data)
        stored.append(StoredEvent(figure_id, version, topic, data))
    ledger.recorder.insert_events(stored)
    return str(figure_id)


@pytest.mark.parametrize("cipher", [None, KEY], ids=["plain", "cipher"])
def test_decoded_events_carry_what_the_mapper_gives(cipher):
    with fresh_store("sqlite", cipher_key=cipher) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        _legacy_source(ledger)
        _legacy_figure(ledger)
        decode = decoder(ledger.mapper)
        for n in ledger.recorder.select_notifications(start=1, limit=10_000):
            full = ledger.mapper.to_domain_event(n)
            light = decode(n)
            expected = {k: v for k, v in vars(full).items() if k != "timestamp"}
            expected["originator_id"] = str(full.originator_id)
            got = dict(vars(light))
            assert got.pop("t") == micros(full.timestamp)
            assert got == expected
        ledger.close()


def test_a_payload_with_other_wrapped_values_goes_through_the_transcoder():
    with fresh_store("sqlite") as store:
        ledger = open_ledger(store)
        source_id = uuid4()
        state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2019-05-01T12:00:00+02:00"},
                 "originator_topic": "ledger.source:Source", "actor": "a", "name": "S", "name_en": None,
                 "kind": "witness", "url": None, "protected": False, "language": "ar", "class_version": 2,
                 "note": {"_type_": "datetime_iso", "_data_": "2019-05-02T00:00:00+00:00"}}
        data = orjson.dumps(state)
        if ledger.mapper.cipher:
            data = ledger.mapper.cipher.encrypt(data)
        before = ledger.recorder.max_notification_id() or 0  # the vocabulary's terms are there already
        ledger.recorder.insert_events([StoredEvent(source_id, 1, "ledger.source:Source.Registered", data)])
        [n] = ledger.recorder.select_notifications(start=before, limit=10, inclusive_of_start=False)
        event = decoder(ledger.mapper)(n)
        assert event.t == micros(ledger.mapper.to_domain_event(n).timestamp)
        assert event.note == ledger.mapper.to_domain_event(n).note
        ledger.close()


class CountingViews(Views):
    def __init__(self, name: str = "views") -> None:
        super().__init__(name)
        self.replays = 0

    def create_for_replay(self, db, cursor):
        self.replays += 1
        super().create_for_replay(db, cursor)


@pytest.mark.parametrize("kind", KINDS)
def test_a_first_catch_up_of_a_long_log_is_a_replay_and_ends_as_the_views_followed_batch_by_batch(kind):
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        head = ledger.recorder.max_notification_id()
        with Follower(store, Views("stepwise"), ledger=ledger, batch_size=3, replay_from=None) as stepwise:
            install(store, stepwise.projection)
            stepwise.catch_up()
        first = CountingViews()
        with Follower(store, first, ledger=ledger, batch_size=3, replay_from=head) as follower:
            assert follower.catch_up() == head
            assert first.replays == 1
            assert not _pending(store, "views")
            assert digest(store)["sha256"] == digest(store, "stepwise")["sha256"]
            # Later catch-ups of the same follower, and first ones of a follower of views that have
            # applied something, go batch by batch.
            ledger.record_incident("officer", title="Later", valid_from="2019-07-01")
            assert follower.catch_up() == 1
        again = CountingViews()
        ledger.record_incident("officer", title="Later still", valid_from="2019-07-02")
        with Follower(store, again, ledger=ledger, replay_from=1) as follower:
            assert follower.catch_up() == 1
        assert again.replays == 0
        catch_up(store, ledger, name="stepwise", batch_size=3)
        assert digest(store)["sha256"] == digest(store, "stepwise")["sha256"]
        ledger.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_short_first_catch_up_goes_batch_by_batch(kind):
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        views = CountingViews()
        with Follower(store, views, ledger=ledger) as follower:
            follower.catch_up()
        assert views.replays == 0
        ledger.close()
