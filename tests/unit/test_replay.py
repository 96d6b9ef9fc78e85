"""ledger/replay.py: the lean replay and the one-level copies of cached records.

``detached`` is only safe if no event's ``apply`` changes a nested value in place; these
tests run every verb of every aggregate on a copy and check the original did not move.
"""

from __future__ import annotations

import copy

from eventsourcing.application import project_aggregate

from ledger.access import AccessKey, new_key
from ledger.citation import Citation
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.replay import detached, replay
from ledger.source import Source
from ledger.terms import Vocabulary, define_built_ins
from ledger.value import Count

INCIDENT = "95c26400-417b-4a2c-8798-aff32a7673f4"


def saved(aggregate):
    """As the cache holds it: no pending events."""
    aggregate.collect_events()
    return aggregate


def figure_with_claims() -> Figure:
    figure = Figure.state("alice", incident_id=INCIDENT, metric="civilians_killed", breakdown={"place": "idlib"},
                          source_id="s1", report_id="r1", value=Count.of("at_least", 108))
    figure.claim("bob", source_id="s2", report_id="r2", value=Count.of("exact", 112))
    return saved(figure)


VERBS = {
    "figure claim": (figure_with_claims, lambda f: f.claim("c", source_id="s3", report_id="r3",
                                                            value=Count.of("exact", 1), adopt=True, reason="r")),
    "figure correct": (figure_with_claims, lambda f: f.correct("c", value=Count.of("exact", 7), reason="r",
                                                                evidence=["e"])),
    "figure supersede": (figure_with_claims, lambda f: f.supersede("c", source_id="s9", report_id="r9",
                                                                    value=Count.of("exact", 9), reason="r")),
    "figure retract": (figure_with_claims, lambda f: f.retract("c", reason="r")),
    "figure regrade": (figure_with_claims, lambda f: f.regrade("c", grade="fair", reason="r")),
    "source protection": (
        lambda: saved(Source.register("a", name="N", kind="witness", language="ar")),
        lambda s: s.change_protection("a", protected=True, reason="threats"),
    ),
    "incident period": (
        lambda: saved(Incident.record("a", title="T", valid_from="2019-04-26", places=["Idlib"])),
        lambda i: i.revise_period("a", valid_from="2019-04-25", valid_to="2019-04-27", reason="r"),
    ),
    "citation withdrawal": (
        lambda: saved(Citation.cite("a", target_kind="figure", target_id="f", source_id="s", quote="q")),
        lambda c: c.withdraw("a", reason="r"),
    ),
    "key revocation": (
        lambda: saved(AccessKey.issue("a", owner="o", role="officer", key=new_key())),
        lambda k: k.revoke("a", reason="r"),
    ),
    "term revision": (
        lambda: saved(_vocabulary()),
        lambda v: v.revise("a", "killed", reason="r", label_en="everyone killed"),
    ),
}


def _vocabulary() -> Vocabulary:
    v = Vocabulary.open("a")
    define_built_ins(v)
    return v


def test_changing_a_detached_copy_never_changes_the_cached_original():
    for name, (make, verb) in VERBS.items():
        original = make()
        before = copy.deepcopy(original.__dict__)
        twin = detached(original)
        verb(twin)
        assert twin.pending_events, name
        assert original.__dict__ == before, f"{name} changed the cached original"
        assert original.pending_events == [], name


def test_supersession_marks_the_replaced_claim_on_the_copy_only():
    original = figure_with_claims()
    twin = detached(original)
    twin.supersede("c", source_id="s9", report_id="r9", value=Count.of("exact", 9), reason="r", replaces=["s1"])
    assert twin.claims["s1"]["superseded"] is True
    assert original.claims["s1"]["superseded"] is False


def test_a_copy_equals_its_original_and_is_of_the_same_class():
    original = figure_with_claims()
    twin = detached(original)
    assert type(twin) is Figure and twin == original and twin is not original


def test_lean_replay_rebuilds_what_the_library_projector_rebuilds():
    figure = Figure.state("alice", incident_id=INCIDENT, metric="civilians_killed", breakdown={},
                          source_id="s1", report_id="r1", value=Count.of("at_least", 108))
    figure.claim("bob", source_id="s2", report_id="r2", value=Count.of("exact", 112), adopt=True, reason="r")
    figure.supersede("c", source_id="s3", report_id="r3", value=Count.of("exact", 115), reason="r")
    figure.regrade("c", grade="fair", reason="r")
    events = figure.collect_events()
    assert replay(None, events) == project_aggregate(None, events) == figure
    assert replay(None, []) is None


def test_a_claim_made_by_version_alone_is_the_claim_the_figure_would_make():
    figure = figure_with_claims()
    alone = Figure.claim_at(figure.id, figure.version, "carol", source_id="s3", report_id="r3",
                            value=Count.of("exact", 5), adopt=True, reason="r")
    figure.claim("carol", source_id="s3", report_id="r3", value=Count.of("exact", 5), adopt=True, reason="r")
    (made,) = figure.collect_events()
    fields = lambda e: {k: v for k, v in vars(e).items() if k != "timestamp"}  # noqa: E731
    assert type(alone) is type(made) and fields(alone) == fields(made)
