"""Populations: a subset (those identified, say) recorded beside the whole counted population,
its own breakdown checked against it, it against the whole, and tallies that count one
population at a time, never their sum (docs/model.md, ledger/tally.py)."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from ledger.errors import InvalidInput
from ledger.figure import Figure, figure_id
from ledger.tally import ZERO, IncidentParts, Part
from ledger.vocabulary import POPULATIONS, WHOLE_POPULATION
from projections.reader import Reader
from tests.integration.projections.helpers import catch_up, fresh_store

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
KILLED = "civilians_killed"


def _exact(n: int) -> dict:
    return {"qualifier": "exact", "number": n}


def _world(app):
    source = app.register_source("officer", name="Ministry", kind="official_body", language="en")["source_id"]
    incident = app.record_incident("officer", title="War", valid_from="2023-10-07", places=["Gaza"])["incident_id"]
    return source, incident


def _file(app, source, incident, figures):
    return app.file_report("officer", source_id=source, title="Daily report", language="en", figures=[
        {"incident_id": incident, "metric": KILLED, "value": _exact(n), **extra} for extra, n in figures])


@pytest.mark.parametrize("kind", KINDS)
def test_the_identified_are_recorded_beside_the_total_and_their_breakdown_is_theirs(kind):
    with fresh_store(kind) as store:
        app = open_ledger(store)
        source, incident = _world(app)
        _file(app, source, incident, [
            ({}, 34_844),
            ({"population": "identified"}, 24_686),
            ({"population": "identified", "breakdown": {"victim_group": "children"}}, 7_797),
            ({"population": "identified", "breakdown": {"victim_group": "women"}}, 4_959),
            ({"population": "identified", "breakdown": {"victim_group": "men"}}, 9_000),
        ])
        catch_up(store, app)
        whole = str(figure_id(incident, KILLED, {}))
        identified = str(figure_id(incident, KILLED, {}, "identified"))
        with Reader(store) as reader:
            # The whole tally is the total alone: the identified are among those counted, not more of them.
            total = reader.tally(KILLED)
            assert (total["population"], total["sum"]["low"], total["sum"]["high"]) == ("counted", 34_844, 34_844)
            assert reader.tally(KILLED, by="victim_group")["groups"] == []  # the split is the identified's, not the whole's
            subset = reader.tally(KILLED, population="identified", by="victim_group")
            assert subset["population"] == "identified"
            assert (subset["sum"]["low"], subset["sum"]["high"]) == (24_686, 24_686)
            assert [(g["value"], g["low"]) for g in subset["groups"]] == [
                ("children", 7_797), ("men", 9_000), ("women", 4_959)]
            # The running tallies and the figures say the same, for either population.
            for population in ("counted", "identified"):
                fast = reader.tally(KILLED, population=population, by="victim_group")
                slow = reader.tally(KILLED, population=population, by="victim_group", figure_ids=True)
                assert fast["sum"] == {k: v for k, v in slow["sum"].items() if k != "figure_ids"}
            assert reader.tally(KILLED, population="identified", figure_ids=True)["sum"]["figure_ids"] == [identified]
            splits = reader.tally_splits(KILLED, population="identified")
            assert splits["population"] == "identified" and splits["sum"]["low"] == 24_686
            assert reader.tally(KILLED, population="verified")["sum"]["kind"] == "no_data"

            checks = reader.breakdown_checks(incident_id=incident)
            by_kind = {(c["population"], c["check"]): c for c in checks}
            assert set(by_kind) == {("identified", "subset"), ("identified", "parts")}
            of_whole = by_kind[("identified", "subset")]
            assert of_whole["total"]["figure_id"] == whole and of_whole["parts"][0]["figure_id"] == identified
            assert of_whole["status"] == "remainder" and of_whole["remainder"] == {"low": 10_158, "high": 10_158}
            parts = by_kind[("identified", "parts")]
            assert parts["total"]["figure_id"] == identified and parts["dimension"] == "victim_group"
            assert parts["parts_low"] == 21_756 and parts["remainder"] == {"low": 2_930, "high": 2_930}
            assert reader.breakdown_checks(incident_id=incident, population="counted") == []
            assert reader.breakdown_checks(incident_id=incident, dimension="victim_group") == [parts]

            listed = reader.figures(incident_id=incident, population="identified")["items"]
            assert len(listed) == 4 and {f["population"] for f in listed} == {"identified"}
            assert [f["figure_id"] for f in reader.figures(incident_id=incident, population="counted")["items"]] == [
                whole]
            assert reader.figure(identified)["population"] == "identified"
            assert reader.figure_record(identified)["population"] == "identified"
            assert reader.figure_record(whole)["population"] == "counted"

            by_source = reader.tally_by_source(KILLED, population="identified")
            assert by_source["population"] == "identified" and by_source["sources"][0]["low"] == 24_686
            assert reader.tally_by_source(KILLED)["sources"][0]["low"] == 34_844
            months = reader.tally_months(KILLED, valid_from="2023-10-01", valid_to="2023-11-30",
                                         population="identified")
            assert [m["low"] for m in months] == [24_686, 24_686]
            history = reader.tally_history(KILLED, population="identified")
            assert history["population"] == "identified"
            assert history["points"][-1]["low"] == 24_686
            assert {m["figure_id"] for m in history["points"][-1]["moved_by"]} == {identified}
            windowed = reader.tally_history(KILLED, population="identified", valid_from="2023-10-01")
            assert windowed["points"][-1]["low"] == 24_686
            with pytest.raises(InvalidInput) as refused:
                reader.tally(KILLED, population="everyone")
            assert refused.value.field == "population"
        app.close()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_subset_above_its_total_is_flagged(kind):
    with fresh_store(kind) as store:
        app = open_ledger(store)
        source, incident = _world(app)
        _file(app, source, incident, [({}, 100), ({"population": "verified"}, 120)])
        catch_up(store, app)
        with Reader(store) as reader:
            (check,) = reader.breakdown_checks()
            assert (check["check"], check["population"], check["status"], check["excess"], check["remainder"]) == (
                "subset", "verified", "inconsistent", 20, None)
        app.close()


# ---- properties ------------------------------------------------------------------------------

SUBSETS = [p for p in POPULATIONS if p != WHOLE_POPULATION]
GROUPS = ("children", "women", "men")
#: A statement: (incident 0/1, population, victim group or None for the total, number).
statement = st.tuples(st.integers(0, 1), st.sampled_from(list(POPULATIONS)), st.sampled_from((None, *GROUPS)),
                      st.integers(0, 500))
change = st.one_of(st.tuples(st.just("correct"), st.integers(0, 30), st.integers(0, 500)),
                   st.tuples(st.just("retract"), st.integers(0, 30)))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(reports=st.lists(st.lists(statement, min_size=1, max_size=6, unique_by=lambda s: s[:3]), min_size=1,
                        max_size=4),
       changes=st.lists(change, max_size=4))
def test_tallies_count_one_population_and_the_checks_flag_what_does_not_fit(kind, reports, changes):
    with fresh_store(kind) as store:
        app = open_ledger(store)
        source = app.register_source("officer", name="S", kind="witness", language="en")["source_id"]
        incidents = [app.record_incident("officer", title=f"I{i}", valid_from="2024-01-01")["incident_id"]
                     for i in range(2)]
        stated: list[str] = []
        for report in reports:
            app.file_report("officer", source_id=source, title="R", language="en", figures=[
                {"incident_id": incidents[i], "metric": KILLED, "population": population,
                 "breakdown": {} if group is None else {"victim_group": group}, "value": _exact(n),
                 "adopt": True, "reason": "the later count"} for i, population, group, n in report])
            stated += [str(figure_id(incidents[i], KILLED, {} if g is None else {"victim_group": g}, p))
                       for i, p, g, _ in report]
        stated = sorted(set(stated))
        for kind_, f, *value in changes:
            fid = stated[f % len(stated)]
            try:
                if kind_ == "correct":
                    app.correct_figure("officer", fid, value=_exact(value[0]), reason="checked")
                else:
                    app.retract_figure("officer", fid, reason="duplicate")
            except InvalidInput:
                pass  # the same value again, or retracted already
        catch_up(store, app)

        # What was recorded, per population, from the write side's own figures.
        recorded: dict[str, dict[str, list[Part]]] = defaultdict(lambda: defaultdict(list))
        readings: dict[tuple[str, str], dict[str | None, int]] = defaultdict(dict)
        for fid in stated:
            figure = app.load(Figure, fid)
            if figure.status != "active":
                continue
            group = figure.breakdown.get("victim_group")
            low = figure.value.low
            recorded[figure.population][figure.incident_id].append(
                Part(fid, figure.incident_id, "victim_group" if group else "", 1 if group else 0, group, low, low))
            readings[(figure.incident_id, figure.population)][group] = low

        with Reader(store) as reader:
            for population in POPULATIONS:
                expected = ZERO
                for parts in recorded[population].values():
                    expected += IncidentParts(parts).tally()
                for by in (None, "victim_group"):
                    fast = reader.tally(KILLED, population=population, by=by)
                    slow = reader.tally(KILLED, population=population, by=by, figure_ids=True)
                    assert fast["population"] == population
                    assert fast["sum"] == {k: v for k, v in slow["sum"].items() if k != "figure_ids"}
                    assert (fast["sum"]["low"], fast["sum"]["high"], fast["sum"]["figures"]) == (
                        expected.low, expected.high, expected.figures)
                    assert set(slow["sum"]["figure_ids"]) <= {p.figure_id for ps in recorded[population].values()
                                                              for p in ps}
            assert reader.tally(KILLED)["sum"] == reader.tally(KILLED, population=WHOLE_POPULATION)["sum"]

            checks = reader.breakdown_checks()
            for c in checks:
                # All exact: the parts fit their total, or the check says they do not.
                fits = c["parts_low"] <= c["total"]["high"]
                assert (c["status"] != "inconsistent") == fits, c
                if c["check"] == "subset":
                    assert c["total"]["population"] == WHOLE_POPULATION != c["population"]
                else:
                    assert c["total"]["population"] == c["population"]
                if fits:
                    assert c["remainder"]["low"] == c["total"]["low"] - c["parts_low"]
            # Every subset that has a whole, and every total with parts, is checked: none is missed.
            want: Counter = Counter()
            for (incident_id, population), by_group in readings.items():
                if None in by_group and len(by_group) > 1:
                    want[(incident_id, population, "parts")] += 1
                if population != WHOLE_POPULATION:
                    whole = readings.get((incident_id, WHOLE_POPULATION), {})
                    want[(incident_id, population, "subset")] += len(set(by_group) & set(whole))
            assert Counter((c["incident_id"], c["population"], c["check"]) for c in checks) == +want
        app.close()
