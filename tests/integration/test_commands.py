"""Every command against a real store (SQLite and PostgreSQL): what it records, and what it refuses."""

from __future__ import annotations

import base64
import os
import threading
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from api.bootstrap import open_ledger
from ledger.errors import InvalidInput, NotFound, RequestKeyReused, VersionConflict
from ledger.figure import RETRACTED

AT_LEAST_108 = {"qualifier": "at_least", "number": 108, "quote": "killed at least 108 civilians"}


def log_size(ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


@pytest.fixture
def world(ledger):
    source = ledger.register_source("alice", name="الشبكة السورية لحقوق الإنسان", name_en="SNHR",
                                    kind="monitoring_network", language="ar")["source_id"]
    other = ledger.register_source("alice", name="Witness 7", kind="witness", language="ar", protected=True)["source_id"]
    incident = ledger.record_incident("alice", title="Escalation", valid_from="2019-04-26",
                                      places=["Idlib", "Hama"])["incident_id"]
    filed = ledger.file_report("alice", source_id=source, title="SNHR report", language="en", figures=[
        {"incident_id": incident, "metric": "civilians_killed", "value": AT_LEAST_108}])
    return {"source": source, "other": other, "incident": incident, "report": filed["report_id"],
            "figure": filed["figures"][0]["figure_id"]}


def test_a_report_and_its_figures_are_recorded_together(ledger, world):
    report = ledger.load(__import__("ledger.report", fromlist=["Report"]).Report, world["report"])
    figure = ledger.figure(world["figure"])
    assert report.figure_ids == [world["figure"]] and report.filed_by == "alice"
    assert figure.value.low == 108 and figure.claims[world["source"]]["report_id"] == world["report"]


def test_a_second_source_stating_the_same_figure_adds_its_claim(ledger, world):
    filed = ledger.file_report("bob", source_id=world["other"], title="Testimony", language="ar", figures=[
        {"incident_id": world["incident"], "metric": "civilians_killed", "value": {"qualifier": "exact", "number": 115}}])
    assert filed["figures"] == [{"figure_id": world["figure"], "version": 2}]
    figure = ledger.figure(world["figure"])
    assert set(figure.claims) == {world["source"], world["other"]}
    assert figure.value.low == 108  # a later claim does not move the current value by itself


@pytest.mark.parametrize(
    ("command", "kwargs", "error", "message"),
    [
        ("register_source", {"name": "X", "kind": "blog", "language": "en"}, InvalidInput, "source kind 'blog'"),
        ("register_source", {"name": " ", "kind": "witness", "language": "en"}, InvalidInput, "name must not be empty"),
        ("register_source", {"name": "X", "kind": "witness", "language": "English"}, InvalidInput, "BCP 47"),
        ("register_source", {"name": "X", "kind": "witness", "language": "en", "url": "ftp://x"}, InvalidInput, "http"),
        ("record_incident", {"title": "T", "valid_from": "2019-05-01", "valid_to": "2019-04-01"}, InvalidInput,
         "is after valid_to"),
        ("record_incident", {"title": "T", "valid_from": "26/04/2019"}, InvalidInput, "YYYY-MM-DD"),
        ("file_report", {"source_id": str(uuid4()), "title": "T", "language": "en"}, NotFound, "unknown source"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(ledger, world, command, kwargs, error, message):
    before = log_size(ledger)
    with pytest.raises(error, match=message):
        getattr(ledger, command)("alice", **kwargs)
    assert log_size(ledger) == before


@pytest.mark.parametrize(
    ("figure_item", "error", "message"),
    [
        ({"metric": "civilians_killed", "value": {"qualifier": "exact", "number": -3}}, InvalidInput, "negative"),
        ({"metric": "civilians_killed", "value": {"qualifier": "range", "low": 9, "high": 2}}, InvalidInput,
         "low 9 exceeds high 2"),
        ({"metric": "deaths", "value": {"qualifier": "exact", "number": 3}}, InvalidInput, "metric 'deaths'"),
        ({"metric": "civilians_killed", "value": {"qualifier": "exact", "number": 3}, "incident_id": str(uuid4())},
         NotFound, "unknown incident"),
        ({"metric": "civilians_killed", "value": {"qualifier": "exact", "number": 3}, "incident_id": "nonsense"},
         NotFound, "unknown incident"),
    ],
)
def test_a_report_with_one_bad_figure_stores_nothing_at_all(ledger, world, figure_item, error, message):
    before = log_size(ledger)
    good = {"incident_id": world["incident"], "metric": "airstrikes", "value": {"qualifier": "exact", "number": 9}}
    bad = {"incident_id": world["incident"], **figure_item}
    with pytest.raises(error, match=message):
        ledger.file_report("alice", source_id=world["source"], title="T", language="en", figures=[good, bad])
    assert log_size(ledger) == before


def test_a_report_cannot_state_the_same_figure_twice(ledger, world):
    item = {"incident_id": world["incident"], "metric": "airstrikes", "value": {"qualifier": "exact", "number": 9}}
    with pytest.raises(InvalidInput, match="states each figure once"):
        ledger.file_report("alice", source_id=world["source"], title="T", language="en", figures=[item, item])


def test_corrections_need_a_reason_and_a_known_figure(ledger, world):
    before = log_size(ledger)
    with pytest.raises(InvalidInput, match="a reason is required"):
        ledger.correct_figure("bob", world["figure"], value={"qualifier": "exact", "number": 110}, reason="")
    with pytest.raises(NotFound, match="unknown figure"):
        ledger.correct_figure("bob", str(uuid4()), value={"qualifier": "exact", "number": 110}, reason="r")
    with pytest.raises(NotFound, match="unknown figure"):  # a report's id is not a figure's
        ledger.correct_figure("bob", world["report"], value={"qualifier": "exact", "number": 110}, reason="r")
    assert log_size(ledger) == before


def test_a_stale_version_is_a_conflict_that_names_the_current_version(ledger, world):
    ledger.correct_figure("bob", world["figure"], value={"qualifier": "exact", "number": 110}, reason="r1",
                          expected_version=1)
    before = log_size(ledger)
    with pytest.raises(VersionConflict) as raised:
        ledger.correct_figure("carol", world["figure"], value={"qualifier": "exact", "number": 111}, reason="r2",
                              expected_version=1)
    assert raised.value.current == 2 and "current version is 2" in raised.value.message
    assert log_size(ledger) == before


def test_concurrent_corrections_of_one_figure_one_wins_the_others_learn_the_current_version(store, world):
    results: list[object] = []
    barrier = threading.Barrier(4)

    def officer(n: int) -> None:
        app = open_ledger(store)  # each its own application, as separate processes would be
        try:
            barrier.wait()
            results.append(app.correct_figure(f"officer-{n}", world["figure"], expected_version=1, reason=f"r{n}",
                                              value={"qualifier": "exact", "number": 200 + n}))
        except VersionConflict as e:
            results.append(e)
        finally:
            app.close()

    threads = [threading.Thread(target=officer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [r for r in results if isinstance(r, dict)]
    conflicts = [r for r in results if isinstance(r, VersionConflict)]
    assert len(wins) == 1 and len(conflicts) == 3
    assert all(c.current == 2 for c in conflicts)
    app = open_ledger(store)
    assert app.figure(world["figure"]).version == 2
    app.close()


def test_concurrent_reports_of_one_new_figure_both_land_as_claims(store, world):
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def officer(source: str) -> None:
        app = open_ledger(store)
        try:
            barrier.wait()
            app.file_report("x", source_id=source, title="T", language="en", figures=[
                {"incident_id": world["incident"], "metric": "ground_attacks",
                 "value": {"qualifier": "at_least", "number": 132}}])
        except Exception as e:  # pragma: no cover - the assertion below reports it
            errors.append(e)
        finally:
            app.close()

    threads = [threading.Thread(target=officer, args=(s,)) for s in (world["source"], world["other"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    app = open_ledger(store)
    from ledger.figure import figure_id
    figure = app.figure(figure_id(world["incident"], "ground_attacks", {}))
    assert set(figure.claims) == {world["source"], world["other"]} and figure.version == 2
    app.close()


def test_a_retried_request_records_once_and_returns_the_first_answer(ledger, world):
    args = dict(value={"qualifier": "exact", "number": 110}, reason="r", expected_version=1)
    first = ledger.correct_figure("bob", world["figure"], request_key="req-1", **args)
    after_first = log_size(ledger)
    again = ledger.correct_figure("bob", world["figure"], request_key="req-1", **args)
    assert again == first and log_size(ledger) == after_first
    with pytest.raises(RequestKeyReused):
        ledger.correct_figure("bob", world["figure"], request_key="req-1", **{**args, "reason": "other"})
    # The same key from another actor is another request.
    with pytest.raises(VersionConflict):
        ledger.correct_figure("carol", world["figure"], request_key="req-1", **args)


def test_a_retry_racing_from_another_process_records_once(store, world):
    barrier = threading.Barrier(3)
    results: list[dict] = []

    def client() -> None:
        app = open_ledger(store)
        try:
            barrier.wait()
            results.append(app.cite("bob", target_id=world["figure"], source_id=world["source"],
                                    url="https://example.org/evidence", request_key="cite-once"))
        finally:
            app.close()

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and len({r["citation_id"] for r in results}) == 1
    app = open_ledger(store)
    cited = [n for n in app.recorder.select_notifications(start=1, limit=1000) if n.topic.endswith("Citation.Cited")]
    assert len(cited) == 1
    app.close()


def test_supersession_retraction_grade_and_citation_lifecycle(ledger, world):
    second = ledger.file_report("bob", source_id=world["other"], title="Inquiry", language="en")["report_id"]
    ledger.supersede_figure("bob", world["figure"], source_id=world["other"], report_id=second,
                            value={"qualifier": "exact", "number": 112}, reason="inquiry counted every victim")
    figure = ledger.figure(world["figure"])
    assert figure.claims[world["source"]]["superseded"] and figure.value.low == 112
    with pytest.raises(InvalidInput, match="is not from source"):
        ledger.supersede_figure("bob", world["figure"], source_id=world["source"], report_id=second,
                                value={"qualifier": "exact", "number": 1}, reason="x")
    citation = ledger.cite("bob", target_id=world["figure"], source_id=world["source"], quote="at least 108",
                           sha256="A" * 64)
    assert citation["target_kind"] == "figure"
    ledger.withdraw_citation("bob", citation["citation_id"], reason="link dead, archive lost")
    with pytest.raises(InvalidInput, match="withdrawn and cannot be evidence"):
        ledger.correct_figure("bob", world["figure"], value={"qualifier": "exact", "number": 1}, reason="x",
                              evidence=[citation["citation_id"]])
    with pytest.raises(NotFound, match="unknown report or figure"):
        ledger.cite("bob", target_id=world["source"], source_id=world["source"], quote="q")
    with pytest.raises(InvalidInput, match="a URL or a quoted passage"):
        ledger.cite("bob", target_id=world["figure"], source_id=world["source"])
    ledger.grade_figure("carol", world["figure"], grade="confirmed", reason="two independent lists match")
    ledger.retract_figure("carol", world["figure"], reason="duplicate of another incident")
    figure = ledger.figure(world["figure"])
    assert figure.grade == "confirmed" and figure.status == RETRACTED
    # History stays readable version by version.
    assert ledger.figure(world["figure"], version=1).value.low == 108


def test_keys_are_stored_hashed_and_revocation_is_recorded(ledger):
    key, info = ledger.issue_key("admin", owner="alice", role="officer")
    assert ledger.authenticate(key).owner == "alice"
    assert ledger.authenticate(key + "x") is None
    raw = b"".join(n.state for n in ledger.recorder.select_notifications(start=1, limit=100))
    assert key.encode() not in raw
    ledger.revoke_key("admin", info["key_id"], reason="left the team")
    assert ledger.authenticate(key) is None
    with pytest.raises(InvalidInput, match="role 'admin'"):
        ledger.issue_key("admin", owner="bob", role="admin")


def test_old_events_are_upcast_when_read(ledger):
    """A Source.Registered stored before schema v2 (no language) still reads, as 'und'."""
    source_id = uuid4()
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2019-05-01T10:00:00+00:00"},
             "originator_topic": "ledger.source:Source", "actor": "legacy-import", "name": "Old source",
             "name_en": None, "kind": "witness", "url": None, "protected": False}
    stored = StoredEvent(originator_id=source_id, originator_version=1, topic="ledger.source:Source.Registered",
                         state=orjson.dumps(state))
    if ledger.mapper.cipher:
        stored = StoredEvent(source_id, 1, stored.topic, ledger.mapper.cipher.encrypt(stored.state))
    ledger.recorder.insert_events([stored])
    assert ledger.source(source_id).language == "und"


def test_with_the_cipher_on_payloads_are_unreadable_at_rest_and_everything_works(tmp_path):
    from tests.conftest import make_store
    from ledger.seed import load_case

    key = base64.b64encode(os.urandom(32)).decode()
    for kind in ("sqlite", "postgres"):
        stores = make_store(kind, tmp_path / kind, cipher_key=key)
        store = next(stores)
        try:
            app = open_ledger(store)
            ids = load_case(app)
            raw = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=1000))
            assert "الشبكة".encode() not in raw and b"at least 108" not in raw
            assert app.figure(ids["figures"]["snhr-report/0"]).value.low == 108
            app.close()
        finally:
            stores.close()
