"""The vocabulary record: terms defined and revised as events, their history replaying to their current
definition, and the checks commands and reads make against it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInput, VersionConflict
from ledger.replay import replay
from ledger.terms import KINDS, REVISABLE, TermCheck, Vocabulary, built_ins, define_built_ins


def opened() -> Vocabulary:
    v = Vocabulary.open("alice")
    define_built_ins(v)
    return v


def test_the_built_ins_include_killed_with_civilians_killed_part_of_it() -> None:
    v = opened()
    assert len(v.terms) == len(built_ins()) == 20
    assert v.terms["killed"]["kind"] == "metric" and v.terms["civilians_killed"]["part_of"] == "killed"
    assert {t["kind"] for t in v.terms.values()} == set(KINDS) - {"value"}
    assert define_built_ins(v) == 0  # a second time defines nothing


def test_a_term_records_who_when_why_and_its_labels() -> None:
    v = opened()
    key = v.define("bob", kind="value", dimension="place", code="معرة النعمان", definition="a town in Idlib",
                   label_en="Maarat al-Numan", label_ar="معرة النعمان", p_code="SY070400",
                   coordinates=[35.6433, 36.6717], reason="named in SNHR's reports")
    term = v.terms[key]
    assert key == "place:معرة النعمان"
    assert (term["defined_by"], term["reason"], term["p_code"], term["coordinates"]) == (
        "bob", "named in SNHR's reports", "SY070400", [35.6433, 36.6717])
    assert term["defined_at"].endswith("+00:00")


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"kind": "colour", "code": "red"}, "kind", "not a kind of term"),
    ({"kind": "metric", "code": "Killed"}, "code", "lower-case code"),
    ({"kind": "metric", "code": "killed"}, "code", "already defined"),
    ({"kind": "metric", "code": "kids_killed", "part_of": "kids"}, "part_of", "'kids' is not in the vocabulary"),
    ({"kind": "metric", "code": "kids_killed", "part_of": "place"}, "part_of", "not in the vocabulary"),
    ({"kind": "dimension", "code": "unit", "part_of": "killed"}, "part_of", "only a metric"),
    ({"kind": "metric", "code": "wounded", "closed": True}, "closed", "only a dimension"),
    ({"kind": "value", "dimension": "perpetrator", "code": "army", "p_code": "SY07"}, "p_code", "place"),
    ({"kind": "value", "dimension": "place", "code": "Idlib", "p_code": "idlib"}, "p_code", "OCHA P-code"),
    ({"kind": "value", "dimension": "place", "code": "Idlib", "coordinates": [36, 200]}, "coordinates", "WGS84"),
    ({"kind": "value", "dimension": "colour", "code": "red"}, "dimension", "not in the vocabulary"),
    ({"kind": "value", "dimension": "place", "code": "Idlib, Syria"}, "code", "comma"),
    ({"kind": "metric", "code": "wounded", "definition": ""}, "definition", "must not be empty"),
    ({"kind": "metric", "code": "wounded", "colour": "red"}, "colour", "has no colour"),
])
def test_a_bad_definition_is_refused_naming_its_field_and_records_nothing(fields, field, says) -> None:
    v = opened()
    before = v.version
    with pytest.raises(InvalidInput) as refused:
        v.define("bob", **{"definition": "d", "label_en": "l", "reason": "r", **fields})
    assert refused.value.field == field and says in refused.value.message, refused.value.message
    assert v.version == before


def test_a_metric_is_never_part_of_itself_however_far_round() -> None:
    v = opened()
    v.define("bob", kind="metric", code="children_killed", part_of="civilians_killed", definition="d",
             label_en="l", reason="r")
    with pytest.raises(InvalidInput, match="cycle"):
        v.revise("bob", "killed", part_of="children_killed", reason="r")


def test_a_revision_checks_the_terms_own_version() -> None:
    v = opened()
    v.revise("bob", "displaced", label_ar="النازحون داخليًا", reason="the OCHA term", expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        v.revise("carol", "displaced", definition="x", reason="r", expected_version=1)
    assert conflict.value.current == 2
    with pytest.raises(InvalidInput, match="changes nothing"):
        v.revise("bob", "displaced", label_ar="النازحون داخليًا", reason="again")
    with pytest.raises(InvalidInput, match="is not in the vocabulary"):
        v.revise("bob", "nothing", definition="x", reason="r")


def test_checks_read_the_vocabulary_again_on_a_word_they_do_not_know() -> None:
    v = opened()
    loads = []

    def load():
        loads.append(1)
        return dict(v.terms)

    terms = TermCheck(load)
    assert terms.metric("killed") == "killed" and len(loads) == 1
    v.define("bob", kind="metric", code="journalists_killed", definition="d", label_en="l", reason="r")
    assert terms.metric("journalists_killed") == "journalists_killed" and len(loads) == 2
    with pytest.raises(InvalidInput, match="is not in the vocabulary; an officer defines it"):
        terms.metric("deaths")
    assert terms.population(None) == "counted"
    assert terms.part_of() == {"civilians_killed": "killed"}


_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda s: s.strip())
_revision = st.fixed_dictionaries({}, optional={
    "definition": _text, "label_en": _text, "label_ar": st.none() | _text})


@settings(max_examples=60, deadline=None)
@given(first=st.fixed_dictionaries({"definition": _text, "label_en": _text}), revisions=st.lists(_revision, max_size=6))
def test_a_terms_history_replays_to_its_current_definition(first, revisions) -> None:
    v = opened()
    key = v.define("bob", kind="metric", code="wounded", reason="r", **first)
    for i, changes in enumerate(revisions):
        try:
            v.revise(f"officer{i}", key, reason=f"revision {i}", **changes)
        except InvalidInput:
            pass  # a revision that changes nothing is refused; the history goes on without it
    # Replaying the stored events rebuilds the same vocabulary ...
    assert replay(None, v.collect_events()).terms == v.terms
    # ... and folding a term's own history over its first definition gives its current one.
    history = v.histories[key]
    folded: dict = {}
    for version in history:
        folded.update(version["changes"])
    current = v.terms[key]
    assert {f: folded.get(f) for f in REVISABLE if f in folded} == {f: current.get(f) for f in REVISABLE if f in folded}
    assert [h["version"] for h in history] == list(range(1, current["version"] + 1))


@settings(max_examples=80, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=250))
def test_a_breakdown_value_in_any_script_is_kept_nfc_or_refused_naming_the_breakdown(value) -> None:
    terms = TermCheck.built_in()
    try:
        checked = terms.breakdown({"place": value})["place"]
    except InvalidInput as refused:
        assert refused.field == "breakdown.place"
        return
    assert checked == unicodedata.normalize("NFC", checked) and 0 < len(checked) <= 200
    assert "," not in checked and ";" not in checked
    assert terms.breakdown({"place": unicodedata.normalize("NFD", value)}) == {"place": checked}


_step = st.one_of(st.tuples(st.just("define"), st.sampled_from(["wounded", "missing", "medics_killed"]), _text),
                  st.tuples(st.just("revise"), st.sampled_from(["wounded", "missing", "killed", "displaced"]), _text))


@settings(max_examples=40, deadline=None)
@given(st.lists(_step, min_size=1, max_size=10))
def test_the_vocabulary_as_of_a_time_is_the_one_its_events_recorded_by_then_replay_to(steps) -> None:
    """``as_of(T)`` from the record's histories equals the record replayed from its events recorded by T:
    a term defined later is absent, a term revised later is at its earlier version."""
    v = opened()
    for i, (command, code, words) in enumerate(steps):
        try:
            if command == "define":
                v.define(f"officer{i}", kind="metric", code=code, definition=words, label_en=words, reason=f"r{i}")
            else:
                v.revise(f"officer{i}", code, reason=f"r{i}", label_en=words)
        except InvalidInput:
            pass  # defined twice, or a revision that changes nothing (or of a term not yet defined): refused
    events = v.collect_events()
    dated = [(e.key, e.timestamp.isoformat()) for e in events if hasattr(e, "key")]
    assert sorted(dated) == sorted((k, h["at"]) for k, versions in v.histories.items()
                                   for h in versions)  # each version dated by its own event, not the one before
    for event in events:
        by_then = [e for e in events if e.timestamp <= event.timestamp]
        assert v.as_of(event.timestamp) == replay(None, by_then).terms
    assert v.as_of(events[-1].timestamp) == v.terms and v.as_of(events[0].timestamp) == {}
