"""Tallies, breakdown checks and the tally-history sweep, without a database."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tally import Part, Tally, incident_contribution
from projections import breakdown_checks, history, tallies
from projections.times import micros

bounds = st.tuples(st.integers(0, 1000), st.one_of(st.none(), st.integers(0, 1000))).map(
    lambda t: (t[0], None if t[1] is None else t[0] + t[1]))


def test_kinds():
    assert Tally.of(0, 0, 0).kind == "no_data"
    assert Tally.of(0, 0, 1).kind == "exact"
    assert Tally.of(5, None, 1).kind == "lower_bound"
    assert Tally.of(5, 9, 2).kind == "range"


@given(st.lists(bounds, max_size=8))
def test_a_sum_adds_lows_to_lows_and_highs_to_highs(values):
    parts = [Part(f"f{n}", f"i{n}", "", 0, None, low, high) for n, (low, high) in enumerate(values)]
    out = tallies.tally(parts, None)["sum"]
    assert out["low"] == sum(low for low, _ in values)
    assert out["high"] == (None if any(h is None for _, h in values) else sum(h for _, h in values))
    assert out["figures"] == len(values) == len(out["figure_ids"])


def test_an_incident_without_a_total_counts_its_best_documented_parts_as_a_lower_bound():
    parts = [Part("a", "i", "perpetrator", 1, "x", 10, 10), Part("b", "i", "perpetrator", 1, "y", 5, 5),
             Part("c", "i", "victim_group", 1, "children", 20, 30),
             Part("d", "i", "perpetrator,victim_group", 2, None, 99, 99)]
    c = incident_contribution(parts)
    assert (c.tally.low, c.tally.high, c.figure_ids, c.from_parts) == (20, None, ("c",), "victim_group")
    total = Part("t", "i", "", 0, None, 40, 50)
    c = incident_contribution([*parts, total])
    assert (c.tally.low, c.tally.high, c.figure_ids, c.from_parts) == (40, 50, ("t",), None)
    assert incident_contribution([parts[3]]) is None
    # Ties go to the first dimension by name.
    tie = [Part("a", "i", "weapon", 1, "x", 5, 5), Part("b", "i", "place", 1, "y", 5, 5)]
    assert incident_contribution(tie).from_parts == "place"


def test_tally_by_a_dimension_sums_single_dimension_figures_only():
    parts = [Part("a", "i", "perpetrator", 1, "x", 10, 10), Part("b", "j", "perpetrator", 1, "x", 5, None),
             Part("c", "i", "perpetrator", 1, "y", 1, 2, 1), Part("d", "i", "", 0, None, 100, 100),
             Part("e", "i", "perpetrator,victim_group", 2, None, 3, 3)]
    out = tallies.tally(parts, "perpetrator")
    assert out["groups"] == [
        {"value": "x", "low": 15, "high": None, "kind": "lower_bound", "figures": 2, "approximate": False,
         "approximate_figures": 0, "figure_ids": ["a", "b"]},
        {"value": "y", "low": 1, "high": 2, "kind": "range", "figures": 1, "approximate": True,
         "approximate_figures": 1, "figure_ids": ["c"]}]
    # `sum` is the metric's total whatever `by` is; the groups add up to `groups_sum`.
    assert (out["groups_sum"]["low"], out["groups_sum"]["high"], out["groups_sum"]["figures"]) == (16, None, 3)
    total = tallies.tally(parts, None)
    assert total["sum"]["low"] == 105 and total["from_parts"] == [
        {"incident_id": "j", "dimension": "perpetrator", "low": 5, "high": None, "figure_ids": ["b"]}]
    assert total["groups_sum"] is None
    assert out["sum"] == total["sum"] and out["from_parts"] == total["from_parts"]


def _reading(fid, breakdown, low, high):
    return breakdown_checks.Reading(fid, "i", "m", breakdown, low, high)


def test_breakdown_check_statuses():
    total = _reading("t", {}, 82, None)
    parts = [_reading(f"p{n}", {"facility_type": k}, v, None) for n, (k, v) in
             enumerate({"school": 28, "worship": 11, "medical": 18, "civil-defence": 9}.items())]
    (c,) = breakdown_checks.breakdown_checks([total, *parts])
    assert (c["status"], c["parts_low"], c["remainder"], c["excess"]) == ("remainder", 66, {"low": 16, "high": None},
                                                                          None)
    exact = _reading("t", {}, 10, 10)
    over = [_reading("a", {"perpetrator": "x"}, 8, 8), _reading("b", {"perpetrator": "y"}, 4, None)]
    (c,) = breakdown_checks.breakdown_checks([exact, *over])
    assert (c["status"], c["excess"], c["remainder"]) == ("inconsistent", 2, None)
    (c,) = breakdown_checks.breakdown_checks([_reading("t", {}, 10, None), *over])
    assert (c["status"], c["remainder"]) == ("parts_exceed_low", {"low": 0, "high": None})
    (c,) = breakdown_checks.breakdown_checks([_reading("t", {}, 12, 20), *over])
    assert (c["status"], c["remainder"]) == ("complete", {"low": 0, "high": 8})


def test_checks_look_at_parts_of_parts_and_can_be_limited():
    readings = [_reading("t", {}, 100, None), _reading("a", {"perpetrator": "x"}, 60, None),
                _reading("b", {"perpetrator": "y"}, 40, None),
                _reading("ac", {"perpetrator": "x", "victim_group": "children"}, 20, None),
                _reading("c", {"victim_group": "children"}, 30, None)]
    found = {(tuple(c["total"]["breakdown"].items()), c["dimension"]) for c in breakdown_checks.breakdown_checks(readings)}
    assert found == {((), "perpetrator"), ((), "victim_group"), ((("perpetrator", "x"),), "victim_group"),
                     ((("victim_group", "children"),), "perpetrator")}
    assert len(breakdown_checks.breakdown_checks(readings, totals_only=True)) == 2
    assert [c["dimension"] for c in breakdown_checks.breakdown_checks(readings, dimension="perpetrator")] == ["perpetrator"] * 2


# ---- the sweep against the plain definition: a tally at every instant -------------------------------

changes = st.lists(
    st.tuples(st.sampled_from([("", 0, None), ("perpetrator", 1, "x"), ("perpetrator", 1, "y"),
                                                   ("victim_group", 1, "c")]),
              st.integers(0, 1), bounds, st.sampled_from(["active", "active", "retracted"]),
              st.sampled_from(["exact", "approximate"])),
    max_size=14)
periods = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["2019-01-01", "2019-03-01"]),
                             st.sampled_from([None, "2019-02-01", "2019-04-01"])), max_size=4)


@settings(max_examples=150, deadline=None)
@given(changes, periods, st.sampled_from([None, "perpetrator"]),
       st.sampled_from([(None, None), ("2019-02-15", None), (None, "2019-02-15")]))
def test_the_sweep_agrees_with_a_tally_at_every_instant(figure_changes, period_changes, by, window):
    # Times: each change at its own instant; figure f's versions in order; incidents recorded at 0.
    figures, periods_list, version = [], [], {}
    t = 1
    for incident, (period_from, period_to) in enumerate([("2019-01-01", None), ("2019-03-01", None)]):
        periods_list.append(history.PeriodChange(0, 1, f"i{incident}", period_from, period_to, "recorded", "x"))
    for shape, incident, (low, high), status, qualifier in figure_changes:
        # A figure is one (incident, breakdown), as in the ledger: one total per incident.
        dims, depth, value = shape
        fid = f"i{incident}/{dims}={value}"
        version[fid] = version.get(fid, 0) + 1
        figures.append(history.FigureStep(t, version[fid], fid, f"i{incident}", dims, depth, value, low, high,
                                            status, "x", "a", qualifier))
        t += 1
    for n, (incident, start, end) in enumerate(period_changes):
        if end is not None and end < start:
            continue
        periods_list.append(history.PeriodChange(t, n + 2, f"i{incident}", start, end, "period_revised", "a"))
        t += 1
    points = history.tally_points(figures, periods_list, by=by, window_from=window[0], window_to=window[1])

    def plain(at: int) -> tuple:
        live: dict[str, history.FigureStep] = {}
        for c in figures:
            if c.at <= at:
                live[c.figure_id] = c
        period = {}
        for p in sorted(periods_list, key=lambda p: (p.at, p.version)):
            if p.at <= at:
                period[p.incident_id] = (p.valid_from, p.valid_to)
        parts = [Part(c.figure_id, c.incident_id, c.dims, c.depth, c.dim_value, c.low, c.high,
                      int(c.qualifier == "approximate"))
                 for c in live.values() if c.status == "active" and c.depth <= 1
                 and (window == (None, None) or history.in_window(*period[c.incident_id], *window))]
        out = tallies.tally(parts, by)
        groups = tuple((g["value"], g["low"], g["high"], g["figures"], g["approximate_figures"])
                       for g in out["groups"])
        return (out["sum"]["low"], out["sum"]["high"], out["sum"]["figures"], out["sum"]["approximate_figures"],
                groups)

    expected, last = [], (0, 0, 0, 0, ())
    for at in range(0, t):
        now = plain(at)
        if now != last:
            expected.append((at, now))
        last = now
    got = [(_micro(p["recorded_at"]), (p["low"], p["high"], p["figures"], p["approximate_figures"],
                                       tuple((g["value"], g["low"], g["high"], g["figures"], g["approximate_figures"])
                                             for g in p.get("groups", ()))))
           for p in points]
    assert got == expected, (figure_changes, period_changes, by, window, got, expected)
    for p in points:
        assert p["kind"] == Tally.of(p["low"], p["high"], p["figures"]).kind


def _micro(iso: str) -> int:
    return micros(datetime.fromisoformat(iso.replace("Z", "+00:00")))
