"""The figure aggregate on its own: each verb, its event, and replay from those events."""

from typing import Any

import pytest

from ledger.terms import TermCheck
from ledger.errors import InvalidInput
from ledger.figure import ACTIVE, RETRACTED, Figure, figure_id
from ledger.value import Count

INCIDENT = "95c26400-417b-4a2c-8798-aff32a7673f4"
SNHR, OTHER = "source-snhr", "source-other"


def stated(value=Count.of("at_least", 108, quote="at least 108")) -> Figure:
    return Figure.state("alice", incident_id=INCIDENT, metric="civilians_killed", breakdown={},
                        source_id=SNHR, report_id="r1", value=value)


def replay(figure: Figure) -> Figure:
    """Rebuild from the figure's own pending events, as the repository does from the store."""
    rebuilt = None
    for event in figure.collect_events():
        rebuilt = event.mutate(rebuilt)
    return rebuilt


def state_of(figure: Figure) -> dict:
    return {k: v for k, v in vars(figure).items() if k != "_pending_events"}


def test_stating_a_figure_records_the_claim_and_makes_it_current():
    figure = stated()
    assert figure.value.low == 108 and figure.status == ACTIVE and figure.grade == "unassessed"
    assert figure.claims[SNHR]["value"]["number"] == 108
    assert figure.claims[SNHR]["recorded_at"] == figure.created_on.isoformat()
    (event,) = figure.pending_events
    assert isinstance(event, Figure.Stated) and event.actor == "alice"


def test_identity_follows_from_incident_metric_and_breakdown():
    a = figure_id(INCIDENT, "civilians_killed", {"perpetrator": "x", "victim_group": "children"})
    b = figure_id(INCIDENT, "civilians_killed", {"victim_group": "children", "perpetrator": "x"})
    assert a == b != figure_id(INCIDENT, "civilians_killed", {"perpetrator": "x"})


def test_each_verb_records_one_event_with_actor_and_reason_and_replays_to_the_same_state():
    figure = stated()
    figure.claim("bob", source_id=OTHER, report_id="r2", value=Count.of("exact", 112))
    figure.correct("carol", value=Count.of("at_least", 110), reason="two more victims identified", evidence=["c1"])
    figure.regrade("carol", grade="fair", reason="single credible source")
    figure.supersede("dan", source_id="investigation", report_id="r3", value=Count.of("exact", 115),
                     reason="UN inquiry", replaces=[SNHR])
    figure.retract("erin", reason="incident misattributed")
    kinds = [type(e).__name__ for e in figure.pending_events]
    assert kinds == ["Stated", "Claimed", "Corrected", "Regraded", "Superseded", "Retracted"]
    assert [e.actor for e in figure.pending_events] == ["alice", "bob", "carol", "carol", "dan", "erin"]
    assert figure.claims[SNHR]["superseded"] and not figure.claims[OTHER]["superseded"]
    assert figure.status == RETRACTED and figure.grade == "fair" and figure.value.number == 115
    expected = state_of(figure)
    assert state_of(replay(figure)) == expected


def test_a_later_claim_does_not_move_the_current_value_unless_adopted():
    figure = stated()
    figure.claim("bob", source_id=OTHER, report_id="r2", value=Count.of("exact", 120))
    assert figure.value.low == 108
    figure.claim("bob", source_id=OTHER, report_id="r3", value=Count.of("exact", 121), adopt=True,
                 reason="their count is later")
    assert figure.value.low == 121 and figure.claims[OTHER]["report_id"] == "r3"


def test_correction_of_a_retracted_figure_reinstates_it():
    figure = stated()
    figure.retract("a", reason="duplicate")
    figure.correct("b", value=Count.of("exact", 100), reason="not a duplicate after all", evidence=[])
    assert figure.status == ACTIVE


@pytest.mark.parametrize(
    ("verb", "kwargs", "message"),
    [
        ("correct", {"value": Count.of("exact", 5), "reason": "  ", "evidence": []}, "a reason is required"),
        ("correct", {"value": Count.of("at_least", 108, quote="at least 108"), "reason": "x", "evidence": []},
         "must change the value"),
        ("retract", {"reason": None}, "a reason is required"),
        ("regrade", {"grade": "certain", "reason": "x"}, "grade 'certain' is not known"),
        ("regrade", {"grade": "unassessed", "reason": "x"}, "already graded"),
        ("supersede", {"source_id": "s", "report_id": "r", "value": Count.of("exact", 1), "reason": "x",
                       "replaces": ["nobody"]}, "no live claim"),
        ("claim", {"source_id": OTHER, "report_id": "r2", "value": Count.of("exact", 1), "adopt": True},
         "a reason is required"),
        ("claim", {"source_id": OTHER, "report_id": "r2", "value": Count.of("exact", 1), "adopt": True,
                   "reason": " \n "}, "a reason is required"),
        ("claim", {"source_id": OTHER, "report_id": "r2", "value": Count.of("exact", 1), "reason": "x"},
         "go with adopt: true"),
        ("claim", {"source_id": OTHER, "report_id": "r2", "value": Count.of("exact", 1), "evidence": ["c1"]},
         "go with adopt: true"),
        ("supersede", {"source_id": "s", "report_id": "r", "value": Count.of("exact", 1), "reason": "x",
                       "evidence": "c1"}, "evidence must be a list"),
    ],
)
def test_invalid_verbs_record_nothing(verb, kwargs, message):
    figure = stated()
    figure.collect_events()
    with pytest.raises(InvalidInput, match=message):
        getattr(figure, verb)("officer", **kwargs)
    assert figure.pending_events == [] and figure.version == 1


def test_unknown_metric_or_dimension_is_refused_and_a_value_in_any_script_is_taken():
    terms = TermCheck.built_in()
    with pytest.raises(InvalidInput, match="metric 'deaths' is not in the vocabulary; an officer defines it") as refused:
        terms.metric("deaths")
    assert "/vocabulary" not in refused.value.message  # the domain names no route: the API adds it (test_bad_input)
    with pytest.raises(InvalidInput, match="breakdown dimension 'colour' is not in the vocabulary"):
        terms.breakdown({"colour": "red"})
    # Any script, NFC-normalised (a decomposed "é" is the composed one), trimmed.
    assert terms.breakdown({"place": " معرة النعمان ", "perpetrator": "Forc\u0065\u0301s"}) == {
        "perpetrator": "Forc\u00e9s", "place": "معرة النعمان"}
    with pytest.raises(InvalidInput, match="longer than 200"):
        terms.breakdown({"place": "x" * 201})
    with pytest.raises(InvalidInput, match="comma"):
        terms.breakdown({"place": "Idlib, Syria"})


def test_an_adoption_and_a_supersession_carry_their_reason_and_evidence():
    figure = stated()
    figure.claim("bob", source_id=OTHER, report_id="r2", value=Count.of("exact", 120), adopt=True,
                 reason="names every victim", evidence=["c1"])
    figure.supersede("carol", source_id="inquiry", report_id="r3", value=Count.of("exact", 115),
                     reason="the inquiry's final count", evidence=["c2", "c3"])
    _, claimed, superseded = figure.pending_events
    assert (claimed.adopted, claimed.reason, claimed.evidence) == (True, "names every victim", ["c1"])
    assert (superseded.reason, superseded.evidence) == ("the inquiry's final count", ["c2", "c3"])
    assert replay(figure).value.low == 115


#: A figure's events exactly as the ledger stored them before schema v2 (bytes the
#: mapper wrote at commit 833e0dd): no class_version, no adoption reason, no evidence.
TODAYS_FORM = [
    ("ledger.figure:Figure.Stated", b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-02T14:50:41.316804+00:00"},'
     b'"originator_topic":"ledger.figure:Figure","actor":"alice","incident_id":"95c26400-417b-4a2c-8798-aff32a7673f4",'
     b'"metric":"civilians_killed","breakdown":{},"source_id":"s1","report_id":"r1","value":{"qualifier":"at_least",'
     b'"number":108,"low":108,"high":null,"term":null,"quote":null,"quote_en":null}}'),
    ("ledger.figure:Figure.Claimed", b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-02T14:50:41.316969+00:00"},'
     b'"actor":"bob","source_id":"s2","report_id":"r2","value":{"qualifier":"exact","number":112,"low":112,"high":112,'
     b'"term":null,"quote":null,"quote_en":null},"adopted":true}'),
    ("ledger.figure:Figure.Superseded", b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-02T14:50:41.317007+00:00"},'
     b'"actor":"carol","source_id":"s3","report_id":"r3","value":{"qualifier":"exact","number":115,"low":115,'
     b'"high":115,"term":null,"quote":null,"quote_en":null},"reason":"the investigation","replaces":["s1","s2"]}'),
]


def _stored_mapper() -> tuple[Any, Any, Any]:
    """The mapper the ledger stores events with, StoredEvent, and an aggregate id."""
    from uuid import uuid4

    from eventsourcing.persistence import DatetimeAsISO, Mapper, StoredEvent

    from ledger.transcoder import OrjsonTranscoder

    transcoder = OrjsonTranscoder()
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder), StoredEvent, uuid4()


def test_events_stored_before_schema_v2_are_upcast_and_new_ones_round_trip():
    mapper, StoredEvent, uid = _stored_mapper()
    events = [mapper.to_domain_event(StoredEvent(uid, v, topic, state))
              for v, (topic, state) in enumerate(TODAYS_FORM, start=1)]
    stated_, claimed, superseded = events
    assert stated_.population == "counted"
    assert (claimed.adopted, claimed.reason, claimed.evidence) == (True, None, [])
    assert (superseded.reason, superseded.evidence, superseded.replaces) == ("the investigation", [], ["s1", "s2"])
    figure = None
    for event in events:
        figure = event.mutate(figure)
    assert figure.value.low == 115 and figure.claims["s1"]["superseded"] and figure.version == 3
    assert figure.population == "counted"
    # Written again, they carry schema v2 and read back as they were.
    for event in events:
        stored = mapper.to_stored_event(event)
        assert b'"class_version":2' in stored.state
        assert vars(mapper.to_domain_event(stored)) == vars(event)


#: A grading and a retraction exactly as the ledger stored them before their schema v2 (bytes
#: the mapper wrote at commit 9517bf3): no class_version, no evidence.
JUDGEMENTS_TODAYS_FORM = [
    ("ledger.figure:Figure.Regraded", b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-03T14:13:19.559873+00:00"},'
     b'"actor":"carol","grade":"fair","reason":"single credible source"}'),
    ("ledger.figure:Figure.Retracted", b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-03T14:13:19.559892+00:00"},'
     b'"actor":"erin","reason":"incident misattributed"}'),
]


def test_gradings_and_retractions_stored_before_their_evidence_read_as_citing_none():
    mapper, StoredEvent, uid = _stored_mapper()
    stated_ = mapper.to_domain_event(StoredEvent(uid, 1, *TODAYS_FORM[0]))
    regraded, retracted = [mapper.to_domain_event(StoredEvent(uid, v, topic, state))
                           for v, (topic, state) in enumerate(JUDGEMENTS_TODAYS_FORM, start=2)]
    assert (regraded.grade, regraded.reason, regraded.evidence) == ("fair", "single credible source", [])
    assert (retracted.reason, retracted.evidence) == ("incident misattributed", [])
    figure = None
    for event in (stated_, regraded, retracted):
        figure = event.mutate(figure)
    assert figure.grade == "fair" and figure.status == RETRACTED and figure.version == 3
    for event in (regraded, retracted):
        stored = mapper.to_stored_event(event)
        assert b'"class_version":2' in stored.state
        assert vars(mapper.to_domain_event(stored)) == vars(event)


def test_a_grade_and_a_retraction_cite_their_evidence():
    figure = stated()
    figure.regrade("carol", grade="confirmed", reason="two independent lists agree", evidence=["c1", "c2"])
    figure.retract("erin", reason="the incident was misattributed", evidence=["c3"])
    figure.regrade("carol", grade="weak", reason="a single source")
    _, regraded, retracted, bare = figure.pending_events
    assert (regraded.evidence, retracted.evidence, bare.evidence) == (["c1", "c2"], ["c3"], [])
    assert state_of(replay(figure)) == state_of(figure)
    with pytest.raises(InvalidInput) as refused:
        stated().retract("erin", reason="r", evidence="c3")
    assert refused.value.field == "evidence"


def test_a_population_other_than_the_whole_is_a_figure_of_its_own_and_the_whole_keeps_its_id():
    import uuid

    import orjson

    from ledger.figure import FIGURE_NAMESPACE

    before = uuid.uuid5(FIGURE_NAMESPACE, orjson.dumps([INCIDENT, "civilians_killed", {}],
                                                       option=orjson.OPT_SORT_KEYS).decode())
    assert figure_id(INCIDENT, "civilians_killed", {}) == figure_id(INCIDENT, "civilians_killed", {}, "counted") == before
    identified = figure_id(INCIDENT, "civilians_killed", {}, "identified")
    assert identified not in (before, figure_id(INCIDENT, "civilians_killed", {}, "verified"))
    figure = Figure.state("alice", incident_id=INCIDENT, metric="civilians_killed", breakdown={}, source_id=SNHR,
                          report_id="r1", value=Count.of("exact", 24686), population="identified")
    assert figure.id == identified and figure.population == "identified"
    assert stated().population == "counted"
    assert replay(figure).population == "identified"
    with pytest.raises(InvalidInput) as refused:
        TermCheck.built_in().population("everyone")
    assert refused.value.field == "population" and "'everyone' is not in the vocabulary" in refused.value.message


def test_a_snapshot_taken_before_populations_reads_as_the_whole_population():
    from eventsourcing.domain import Snapshot

    figure = stated()
    snapshot = Snapshot.take(figure)
    old_state = {k: v for k, v in snapshot.state.items() if k not in ("population", "class_version")}
    old = Snapshot(originator_id=snapshot.originator_id, originator_version=snapshot.originator_version,
                   timestamp=snapshot.timestamp, topic=snapshot.topic, state=old_state)
    assert old.mutate(None).population == "counted"
    assert snapshot.state["class_version"] == 2
