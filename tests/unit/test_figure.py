"""The figure aggregate on its own: each verb, its event, and replay from those events."""

import pytest

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
    figure.claim("bob", source_id=OTHER, report_id="r3", value=Count.of("exact", 121), adopt=True)
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
    ],
)
def test_invalid_verbs_record_nothing(verb, kwargs, message):
    figure = stated()
    figure.collect_events()
    with pytest.raises(InvalidInput, match=message):
        getattr(figure, verb)("officer", **kwargs)
    assert figure.pending_events == [] and figure.version == 1


def test_unknown_metric_or_bad_breakdown_is_refused():
    with pytest.raises(InvalidInput, match="metric 'deaths' is not known"):
        Figure.state("a", incident_id=INCIDENT, metric="deaths", breakdown={}, source_id=SNHR, report_id="r",
                     value=Count.of("exact", 1))
    with pytest.raises(InvalidInput, match="breakdown dimension 'colour'"):
        Figure.state("a", incident_id=INCIDENT, metric="airstrikes", breakdown={"colour": "red"}, source_id=SNHR,
                     report_id="r", value=Count.of("exact", 1))
    with pytest.raises(InvalidInput, match="lower-case slug"):
        Figure.state("a", incident_id=INCIDENT, metric="airstrikes", breakdown={"perpetrator": "Russian Forces"},
                     source_id=SNHR, report_id="r", value=Count.of("exact", 1))
