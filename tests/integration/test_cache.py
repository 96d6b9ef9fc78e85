"""The process cache of records, with several processes writing (SQLite and PostgreSQL).

Each ``open_ledger`` is its own application with its own cache, as a separate worker
process would be. A command trusts its cache for the records it changes and for records
whose existence is all it needs; a stale cache must never let a wrong write through, nor
refuse what the current state allows, nor answer with an old version.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from api.bootstrap import open_ledger
from ledger.errors import InvalidInput, NotFound, VersionConflict
from ledger.figure import Figure, figure_id
from ledger.incident import Incident

AT_LEAST_108 = {"qualifier": "at_least", "number": 108}


def log_size(ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


@pytest.fixture
def two(store):
    """Two workers on one store."""
    a, b = open_ledger(store), open_ledger(store)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def world(two):
    a, _ = two
    source = a.register_source("alice", name="SNHR", kind="monitoring_network", language="ar")["source_id"]
    other = a.register_source("alice", name="Witness", kind="witness", language="ar")["source_id"]
    incident = a.record_incident("alice", title="Escalation", valid_from="2019-04-26")["incident_id"]
    filed = a.file_report("alice", source_id=source, title="R", language="en", figures=[
        {"incident_id": incident, "metric": "civilians_killed", "value": AT_LEAST_108}])
    return {"source": source, "other": other, "incident": incident, "report": filed["report_id"],
            "figure": filed["figures"][0]["figure_id"]}


def value(n: int) -> dict:
    return {"qualifier": "exact", "number": n}


def test_a_correction_on_a_stale_cache_uses_the_current_version(two, world):
    a, b = two
    assert a.figure(world["figure"]).version == 1  # cached in a
    b.correct_figure("bob", world["figure"], value=value(110), reason="r", expected_version=1)
    # a's cache says version 1; the store says 2. The officer saw 2: accepted, at version 3.
    result = a.correct_figure("carol", world["figure"], value=value(111), reason="r", expected_version=2)
    assert result["version"] == 3
    assert b.figure(world["figure"]).value.number == 111


def test_a_stale_expected_version_is_refused_with_the_current_version_even_if_the_cache_agrees(two, world):
    a, b = two
    a.figure(world["figure"])
    b.correct_figure("bob", world["figure"], value=value(110), reason="r", expected_version=1)
    before = log_size(a)
    with pytest.raises(VersionConflict) as raised:
        a.correct_figure("carol", world["figure"], value=value(111), reason="r", expected_version=1)
    assert raised.value.current == 2
    assert log_size(a) == before


def test_a_check_against_a_stale_cache_does_not_refuse_what_the_store_allows(two, world):
    a, b = two
    b.correct_figure("bob", world["figure"], value=value(110), reason="r")
    a.figure(world["figure"])  # a caches the value 110
    b.correct_figure("bob", world["figure"], value=value(120), reason="r")
    # "a correction must change the value" holds against 120, not against a's 110.
    assert a.correct_figure("carol", world["figure"], value=value(110), reason="back")["version"] == 4


def test_a_claim_on_a_figure_stale_in_the_cache_lands_after_the_other_workers_change(two, world):
    a, b = two
    a.figure(world["figure"])
    b.correct_figure("bob", world["figure"], value=value(110), reason="r")
    filed = a.file_report("carol", source_id=world["other"], title="T", language="ar", figures=[
        {"incident_id": world["incident"], "metric": "civilians_killed", "value": value(130), "adopt": True,
         "reason": "newer count"}])
    assert filed["figures"] == [{"figure_id": world["figure"], "version": 3}]
    for app in (a, b):
        figure = app.figure(world["figure"])
        assert figure.version == 3 and figure.value.number == 130
        assert set(figure.claims) == {world["source"], world["other"]}


def test_a_claim_on_an_uncached_figure_is_made_from_its_version_alone(two, world):
    _, b = two
    assert b.repository.cache.cache.get(UUID(world["figure"])) is None
    filed = b.file_report("carol", source_id=world["other"], title="T", language="ar", figures=[
        {"incident_id": world["incident"], "metric": "civilians_killed", "value": value(130)}])
    assert filed["figures"] == [{"figure_id": world["figure"], "version": 2}]
    figure = b.figure(world["figure"])
    assert figure.claims[world["other"]]["value"]["number"] == 130 and figure.value.low == 108


def test_a_withdrawal_in_another_worker_stops_a_cached_citation_being_evidence(two, world):
    a, b = two
    cited = a.cite("alice", target_id=world["figure"], source_id=world["source"], quote="q")["citation_id"]
    a.correct_figure("alice", world["figure"], value=value(109), reason="r", evidence=[cited])  # a has it cached
    b.withdraw_citation("bob", cited, reason="fabricated")
    before = log_size(a)
    with pytest.raises(InvalidInput, match="withdrawn"):
        a.correct_figure("alice", world["figure"], value=value(110), reason="r", evidence=[cited])
    assert log_size(a) == before


def test_protection_and_revocation_from_another_worker_are_seen_at_once(two, world):
    a, b = two
    assert a.source(world["source"]).protected is False
    b.change_source_protection("bob", world["source"], protected=True, reason="threats")
    assert a.source(world["source"]).protected is True
    key, info = a.issue_key("admin", owner="alice", role="officer")
    assert a.authenticate(key) is not None
    b.revoke_key("admin", info["key_id"], reason="left")
    assert a.authenticate(key) is None


def test_a_protection_change_on_a_stale_cache_is_a_named_conflict(two, world):
    a, b = two
    a.source(world["source"])
    b.change_source_protection("bob", world["source"], protected=True, reason="threats", expected_version=1)
    before = log_size(a)
    with pytest.raises(VersionConflict) as raised:
        a.change_source_protection("carol", world["source"], protected=False, reason="x", expected_version=1)
    assert raised.value.current == 2 and log_size(a) == before


def test_a_refused_command_leaves_the_cached_record_as_it_was(two, world):
    a, _ = two
    before = a.figure(world["figure"])
    with pytest.raises(InvalidInput):
        a.correct_figure("alice", world["figure"], value=AT_LEAST_108, reason="same value")
    with pytest.raises(VersionConflict):
        a.retract_figure("alice", world["figure"], reason="r", expected_version=7)
    assert a.figure(world["figure"]) == before and before.version == 1


def test_the_target_of_a_citation_is_told_apart_without_the_cache(two, world):
    _, b = two  # b has cached nothing
    assert b.cite("x", target_id=world["figure"], source_id=world["source"], quote="q")["target_kind"] == "figure"
    assert b.cite("x", target_id=world["report"], source_id=world["source"], quote="q")["target_kind"] == "report"
    before = log_size(b)
    for wrong in (world["incident"], world["source"], "6f1c4a52-5b8e-4d39-9a57-3c2f0e7d9b11", "not-a-uuid"):
        with pytest.raises(NotFound):
            b.cite("x", target_id=wrong, source_id=world["source"], quote="q")
    # And from the cache, once the records are cached.
    b.source(world["source"])
    b.load(Incident, world["incident"])
    with pytest.raises(NotFound):
        b.cite("x", target_id=world["incident"], source_id=world["source"], quote="q")
    assert log_size(b) == before
    b.figure(world["figure"])
    assert b.cite("x", target_id=world["figure"], source_id=world["source"], quote="q")["target_kind"] == "figure"


def test_a_hot_figure_is_snapshotted_and_reads_the_same_with_or_without_snapshots(store, two, world):
    a, _ = two
    for n in range(105):
        a.correct_figure("alice", world["figure"], value=value(200 + n), reason="r")
    uid = UUID(world["figure"])
    snaps = a.snapshots.recorder.select_events(uid)
    assert [s.originator_version for s in snaps] == [100]
    cold = open_ledger(store)  # nothing cached: loads from the snapshot and the 6 events after it
    try:
        figure = cold.figure(world["figure"])
        assert figure.version == 106 and figure.value.number == 304
        events = [a.mapper.to_domain_event(s) for s in a.recorder.select_events(uid)]
        for version in (1, 99, 100, 101, 106):
            replayed = None
            for event in events[:version]:
                replayed = event.mutate(replayed)
            assert cold.figure(world["figure"], version=version) == replayed
        assert figure == replayed
    finally:
        cold.close()


def test_a_claim_alone_on_a_snapshot_version_is_snapshotted(two, world):
    a, b = two
    for n in range(98):
        a.correct_figure("alice", world["figure"], value=value(300 + n), reason="r")
    # b has not cached the figure: its claim is saved as a lone event, at version 100.
    filed = b.file_report("carol", source_id=world["other"], title="T", language="ar", figures=[
        {"incident_id": world["incident"], "metric": "civilians_killed", "value": value(999)}])
    assert filed["figures"][0]["version"] == 100
    uid = UUID(world["figure"])
    (snap,) = b.snapshots.recorder.select_events(uid)
    assert snap.originator_version == 100
    assert b.figure(world["figure"]).claims[world["other"]]["value"]["number"] == 999


def test_new_figures_from_two_workers_meet_on_one_figure(two, world):
    a, b = two
    item = {"incident_id": world["incident"], "metric": "airstrikes", "value": value(4)}
    first = a.file_report("x", source_id=world["source"], title="T", language="en", figures=[item])
    # b has never seen it; a has it cached at version 1. Both claim again.
    second = b.file_report("y", source_id=world["other"], title="T", language="en", figures=[item])
    third = a.file_report("x", source_id=world["source"], title="T2", language="en", figures=[item])
    assert [r["figures"][0]["version"] for r in (first, second, third)] == [1, 2, 3]
    fid = str(figure_id(world["incident"], "airstrikes", {}))
    figure = b.figure(fid)
    assert isinstance(figure, Figure) and figure.version == 3 and set(figure.claims) == {world["source"], world["other"]}


def test_a_change_without_an_expected_version_on_a_stale_cache_applies_to_the_current_state(two, world):
    a, b = two
    a.figure(world["figure"])  # cached at version 1
    b.grade_figure("bob", world["figure"], grade="fair", reason="r")
    # a's first attempt writes version 2 and loses; nobody raced *this* command, so it is
    # done again on the current state rather than refused as a conflict.
    assert a.retract_figure("carol", world["figure"], reason="duplicate")["version"] == 3
    figure = b.figure(world["figure"])
    assert figure.status == "retracted" and figure.grade == "fair"


def test_a_save_that_fails_leaves_the_cached_record_unchanged(two, world, monkeypatch):
    a, _ = two
    a.figure(world["figure"])
    before = log_size(a)

    def broken(*args, **kwargs):
        raise RuntimeError("the store went away")

    with monkeypatch.context() as m:
        m.setattr(a.recorder, "insert_events", broken)
        with pytest.raises(RuntimeError):
            a.correct_figure("alice", world["figure"], value=value(150), reason="r")
        with pytest.raises(RuntimeError):
            a.file_report("alice", source_id=world["other"], title="T", language="ar", figures=[
                {"incident_id": world["incident"], "metric": "civilians_killed", "value": value(151), "adopt": True,
                 "reason": "newer count"}])
    figure = a.figure(world["figure"])
    assert (figure.version, figure.value.low, figure.pending_events) == (1, 108, [])
    assert set(figure.claims) == {world["source"]} and log_size(a) == before
    assert a.correct_figure("alice", world["figure"], value=value(150), reason="r")["version"] == 2


def test_a_report_that_keeps_losing_its_race_is_a_conflict_naming_the_figure(two, world, monkeypatch):
    from eventsourcing.persistence import IntegrityError

    _, b = two  # b has not cached the figure: its claim is a lone event

    def always_lost(*args, **kwargs):
        raise IntegrityError("another writer got there first")

    monkeypatch.setattr(b.recorder, "insert_events", always_lost)
    with pytest.raises(VersionConflict) as raised:
        b.file_report("carol", source_id=world["other"], title="T", language="ar", figures=[
            {"incident_id": world["incident"], "metric": "civilians_killed", "value": value(130)}])
    assert (raised.value.kind, raised.value.ident, raised.value.current) == ("figure", world["figure"], 1)


def test_a_store_made_before_snapshots_still_loads_and_records(store, world):
    """Until `ledger init` adds the snapshots table, figures load from their events alone."""
    app = open_ledger(store)
    try:
        table = app.snapshots.recorder.events_table_name
        if store.kind == "sqlite":
            with app.snapshots.recorder.datastore.transaction(commit=True) as c:
                c.execute(f"DROP TABLE {table}")
        else:
            with store.connect_postgres() as conn:
                conn.execute(f'DROP TABLE "{store.postgres_schema}"."{table.split(".")[-1]}"')
        for n in range(100):
            app.correct_figure("alice", world["figure"], value=value(500 + n), reason="r")
        cold = open_ledger(store)
        try:
            assert cold.figure(world["figure"]).version == 101
            assert cold.figure(world["figure"], version=100).value.number == 598
        finally:
            cold.close()
    finally:
        app.close()
