"""The publication cut (projections/publication.py) for every (as_of, published_by) pair, for an
auditor and for a reader (who places a protected source's words at their filing: redaction.py):
the views kept event by event, the views rebuilt, and a recomputation straight from the event
log agree; and the property has teeth: with the late words' fold switched off, or a reader's
cut placing protected words by their date, it fails."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.report import Report
from ledger.source import Source
from ledger.tally import Part, is_approximate
from projections import publication, read_filters, tallies
from projections.follower import Follower
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.times import micros
from projections.views import Views
from tests.integration.projections.helpers import (
    DAYS, FIGURES, METRICS, SOURCE_NAMES, World, all_pages, at, by_incident, fresh_store, notifications, period,
    source_index, values,
)

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
EXAMPLES = {"sqlite": 20, "postgres": 5}
WORDS = (Figure.Stated, Figure.Claimed, Figure.Superseded)
FIGURE_EVENTS = (*WORDS, Figure.Corrected, Figure.Retracted, Figure.Regraded)


class DatedWorld(World):
    """The projection tests' world, with reports that carry a publication date (or none)."""

    def _run(self, command: tuple) -> None:
        if command[0] != "file_on":
            return super()._run(command)
        _, source, day, items = command
        result = self.ledger.file_report(
            "officer", source_id=self.sources[source], title="R", language="en", published_on=day,
            url=f"https://{SOURCE_NAMES[source]}.example.org/r", figures=[
                {"incident_id": self.incidents[FIGURES[f][0]], "metric": FIGURES[f][1], "breakdown": FIGURES[f][2],
                 "value": {**value, "quote": self.quote(source)}, "adopt": adopt,
                 **({"reason": "the later count"} if adopt else {})}
                for f, value, adopt in items])
        self.reports[source].append(result["report_id"])
        return None


figure_index = st.integers(0, 3)  # the first incident's killed figures: words meet on them
filed = st.tuples(st.just("file_on"), source_index, st.sampled_from((*DAYS, None)),
                  st.lists(st.tuples(figure_index, values, st.booleans()), min_size=1, max_size=3,
                           unique_by=lambda t: t[0]))
acts = st.one_of(
    filed,
    st.tuples(st.just("correct"), figure_index, values),
    st.tuples(st.just("supersede"), figure_index, source_index, values),
    st.tuples(st.just("retract"), figure_index),
    st.tuples(st.just("grade"), figure_index, st.sampled_from(("confirmed", "weak"))),
    st.tuples(st.just("protect"), source_index, st.booleans()),
    st.builds(lambda p: ("revise", 0, *p), period),  # the figures' incident moves in and out of the windows
)
#: Windows in valid time the histories are cut in (the first incident starts in January 2019).
WINDOWS = (("2019-01-15", "2019-02-20"), ("2019-03-01", None))
histories = st.tuples(st.lists(filed, min_size=1, max_size=3), st.lists(acts, max_size=8)).map(lambda t: t[0] + t[1])
#: An undated report first (it counts from its filing, today), then an older dated one on the
#: same figure: a late word, which only the fold gets right.
LATE_WORD = [("file_on", 0, None, [(0, {"qualifier": "exact", "number": 10}, False)]),
             ("file_on", 1, "2019-02-15", [(0, {"qualifier": "exact", "number": 7}, False)])]
#: The protected source's dated word on a figure a public source stated earlier, adopted: a reader
#: counts it from its filing, an auditor from its date; then a second source unprotected... and protected.
PROTECTED_WORD = [("file_on", 0, "2019-01-01", [(0, {"qualifier": "exact", "number": 10}, False)]),
                  ("file_on", 2, "2019-02-15", [(0, {"qualifier": "exact", "number": 7}, True),
                                                (1, {"qualifier": "exact", "number": 3}, False)]),
                  ("file_on", 1, "2019-03-01", [(1, {"qualifier": "exact", "number": 4}, False)]),
                  ("protect", 1, True)]

#: A word, then the incident's period moved out of the first window and into the second, then a
#: later-published word adopted: in recording order the revision is a step of the windowed history.
REVISED_PERIOD = [("file_on", 0, "2019-01-01", [(0, {"qualifier": "exact", "number": 10}, False)]),
                  ("revise", 0, "2019-03-01", None),
                  ("file_on", 1, "2019-02-15", [(0, {"qualifier": "exact", "number": 7}, True)])]

#: Words late all three, one adopted then a claim not: under a cut between, the figure starts at its
#: first counted word and keeps the adopted value past the claim (the fold reads its deciding versions alone).
DECIDED_LATE = [("file_on", 0, None, [(0, {"qualifier": "exact", "number": 10}, False)]),
                ("grade", 0, "confirmed"),
                ("file_on", 1, "2019-02-15", [(0, {"qualifier": "exact", "number": 7}, True)]),
                ("file_on", 0, "2019-01-01", [(0, {"qualifier": "exact", "number": 5}, False)])]


def _day_start(day: str) -> int:
    d = date.fromisoformat(day)
    return micros(datetime(d.year, d.month, d.day, tzinfo=timezone.utc))


def protected_now(events: list[Any]) -> set[str]:
    """The sources protected at the log's end (the protection a read goes by)."""
    protected: dict[str, bool] = {}
    for e in events:
        if isinstance(e, (Source.Registered, Source.ProtectionChanged)):
            protected[str(e.originator_id)] = e.protected
    return {s for s, p in protected.items() if p}


def recomputed(events: list[Any], t: int, cut: int, hidden: set[str] = frozenset(),
               graded: bool = False) -> dict[str, tuple[Any, ...]]:
    """Each figure as the log says it stood at (t, cut): folded afresh from the domain events,
    in log order, by docs/model.md's rule (written again here, not publication.fold); the words
    of ``hidden`` sources placed at their filing. ``graded``: its grade too, last."""
    reports: dict[str, int] = {}
    identity: dict[str, Any] = {}
    state: dict[str, dict[str, Any]] = {}
    for e in events:
        ts = micros(e.timestamp)
        if isinstance(e, Report.Filed):
            reports[str(e.originator_id)] = _day_start(e.published_on) if e.published_on else ts
            continue
        if not isinstance(e, FIGURE_EVENTS):
            continue
        fid = str(e.originator_id)
        if isinstance(e, Figure.Stated):
            identity[fid] = (e.incident_id, e.metric, e.breakdown, e.population)
        if ts > t:
            continue
        word = isinstance(e, WORDS)
        placed = ts if not word or str(e.source_id) in hidden else reports.get(str(e.report_id), ts)
        if placed > cut:
            continue
        f = state.get(fid)
        if f is None:
            if not word:
                continue
            f = state[fid] = {"value": e.value, "status": "active", "grade": "unassessed"}
        elif isinstance(e, (Figure.Corrected, Figure.Superseded)) or (isinstance(e, Figure.Claimed) and e.adopted):
            f["value"] = e.value
        if isinstance(e, (Figure.Corrected, Figure.Superseded)):
            f["status"] = "active"
        elif isinstance(e, Figure.Retracted):
            f["status"] = "retracted"
        elif isinstance(e, Figure.Regraded):
            f["grade"] = e.grade
    return {fid: (*identity[fid], f["value"]["qualifier"], f["value"]["low"], f["value"]["high"], f["status"],
                  *((f["grade"],) if graded else ())) for fid, f in state.items()}


def periods_at(events: list[Any], t: int) -> dict[str, tuple[str, str | None]]:
    """Each incident's period as the log says it stood at t (recording time alone)."""
    return {str(e.originator_id): (e.valid_from, e.valid_to) for e in events
            if isinstance(e, (Incident.Recorded, Incident.PeriodRevised)) and micros(e.timestamp) <= t}


def overlapping(periods: dict[str, tuple[str, str | None]], wf: str | None, wt: str | None) -> set[str]:
    """The incidents whose period overlaps the window (open ends reach to infinity)."""
    return {i for i, (start, end) in periods.items()
            if (wt is None or start <= wt) and (wf is None or end is None or end >= wf)}


def _parts(figures: dict[str, tuple[Any, ...]], metric: str, incidents: set[str] | None = None) -> list[Part]:
    parts = []
    for fid, (incident, m, breakdown, population, qualifier, low, high, status) in figures.items():
        if m != metric or status != "active" or population != "counted" or len(breakdown) > 1:
            continue
        if incidents is not None and incident not in incidents:
            continue
        dims = ",".join(sorted(breakdown))
        parts.append(Part(fid, incident, dims, len(breakdown), breakdown[dims] if breakdown else None, low, high,
                          is_approximate(qualifier)))
    return parts


def _listed(reader: Reader, as_of: Any, cut: Any, sees: bool) -> dict[str, tuple[Any, ...]]:
    items, cursor = [], None
    while True:
        page = reader.figures(as_of=as_of, published_by=cut, cursor=cursor, limit=2, include_protected=sees)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return {f["figure_id"]: (f["value"]["qualifier"], f["value"]["low"], f["value"]["high"], f["status"])
            for f in items}


def _check(kind: str, history: list[tuple], data: st.DataObject | None) -> None:
    with fresh_store(kind) as store:
        app = open_ledger(store)
        world = DatedWorld(app)
        follower = Follower(store, Views(), ledger=app, batch_size=1)
        for command in history:
            world.run(command)
            follower.catch_up()
        follower.close()
        rebuild(store, progress=False, name="rebuilt", ledger=app, batch_size=7)
        events = [app.mapper.to_domain_event(n) for n in notifications(app)]
        times = sorted({micros(e.timestamp) for e in events})
        pick = (lambda xs: xs) if data is None else (lambda xs: data.draw(st.lists(st.sampled_from(xs), min_size=1,
                                                                                     max_size=3, unique=True)))
        cuts: list[Any] = [*pick([*DAYS, "2018-12-31"]), *(at(x).isoformat() for x in pick(times))]
        moments = [None, *(at(x) for x in pick(times))]
        hidden = protected_now(events)
        # Every instant a word can be placed at: a day's start, or a filing (the log's times).
        published_instants = sorted({*times, *(_day_start(d) for d in DAYS)})
        with Reader(store) as live, Reader(store, name="rebuilt") as again:
            for as_of, sees in ((m, s) for m in moments for s in (False, True)):
                t, kw = publication_t(as_of), {"as_of": as_of, "include_protected": sees}
                for cut in cuts:
                    p = publication.check_published_by(cut)
                    expected = recomputed(events, t, p, set() if sees else hidden)
                    for metric in METRICS:
                        parts = _parts(expected, metric)
                        for by in (None, "perpetrator"):
                            mine = live.tally(metric, by=by, published_by=cut, figure_ids=True, **kw)
                            assert mine == again.tally(metric, by=by, published_by=cut, figure_ids=True, **kw), (
                                metric, by, as_of, cut, sees)
                            want = tallies.tally(parts, by)
                            assert (mine["sum"], mine["groups"]) == (want["sum"], want["groups"]), (metric, by,
                                                                                                   as_of, cut, sees)
                        assert live.tally_by_source(metric, published_by=cut, **kw) \
                            == again.tally_by_source(metric, published_by=cut, **kw)
                        splits = live.tally_splits(metric, published_by=cut, **kw)
                        assert splits == again.tally_splits(metric, published_by=cut, **kw)
                        assert splits["sum"] == {k: v for k, v in tallies.tally(parts, None)["sum"].items()
                                                 if k != "figure_ids"}
                        months = {"valid_from": "2019-01-01", "valid_to": "2019-06-30", "published_by": cut, **kw}
                        by_month = live.tally_months(metric, **months)
                        assert by_month == again.tally_months(metric, **months)
                        cut_history = live.tally_history(metric, published_by=cut, **kw)
                        assert cut_history == again.tally_history(metric, published_by=cut, **kw)
                        if cut_history["points"]:  # the last point is the cut tally itself
                            last = cut_history["points"][-1]
                            assert (last["low"], last["high"]) == (want["sum"]["low"], want["sum"]["high"])
                        for wf, wt in WINDOWS:
                            _check_windowed(live, again, metric, cut, kw, wf, wt,
                                            _parts(expected, metric, overlapping(periods_at(events, t), wf, wt)),
                                            times if as_of is None else None)
                    listed = _listed(live, as_of, cut, sees)
                    assert listed == _listed(again, as_of, cut, sees)
                    assert listed == {fid: f[4:] for fid, f in expected.items()}, (as_of, cut, sees)
                    grades = recomputed(events, t, p, set() if sees else hidden, graded=True)
                    # A report's figures in one read (read_filters.figure_ids) are each figure by id; one
                    # none of whose words is out by the cut is left out.
                    known = sorted({str(e.originator_id) for e in events if isinstance(e, Figure.Stated)})
                    together = live.figures_of(known, published_by=cut, **kw)
                    assert together == [live.figure(fid, published_by=cut, **kw) for fid in known if fid in expected]
                    assert together == again.figures_of(known, published_by=cut, **kw)
                    for fid in expected:  # by id, and the spread's current value
                        current = live.figure(fid, published_by=cut, **kw)
                        assert (current["value"]["low"], current["status"]) == (expected[fid][5], expected[fid][7])
                        # The grade the fold carries (its deciding versions alone: publication.DECIDING_KEYS).
                        assert current["grade"] == grades[fid][8], (fid, as_of, cut, sees)
                        assert live.spread(fid, published_by=cut, **kw) == again.spread(fid, published_by=cut, **kw)
                        if as_of is None:  # (each version read again by id: the slowest check here)
                            _check_history(live, again, fid, cut, kw, expected[fid])
                    found = live.breakdown_checks(published_by=cut, **kw)
                    assert found == again.breakdown_checks(published_by=cut, **kw)
                    for incident_id in sorted({c["incident_id"] for c in found}):  # an incident's page
                        assert live.breakdown_checks(incident_id=incident_id, published_by=cut, **kw) == [
                            c for c in found if c["incident_id"] == incident_id]
                    for limit in (1, 2):
                        paged = all_pages(lambda cursor: live.breakdown_checks_page(
                            published_by=cut, cursor=cursor, limit=limit, **kw))
                        assert paged == by_incident(found), (as_of, cut, sees, limit)
                for metric in METRICS:
                    # In publication order, each point is the tally cut at its instant.
                    ordered = live.tally_history(metric, order="published", **kw)
                    assert ordered == again.tally_history(metric, order="published", **kw)
                    for point in ordered["points"]:
                        then = live.tally(metric, published_by=point["published_at"], **kw)["sum"]
                        assert (then["low"], then["high"], then["figures"]) == (point["low"], point["high"],
                                                                                point["figures"]), point
                    for wf, wt in WINDOWS:  # and so with a window (the periods those at T), none missing
                        window = {"valid_from": wf, "valid_to": wt}
                        ordered = live.tally_history(metric, order="published", **window, **kw)
                        assert ordered == again.tally_history(metric, order="published", **window, **kw)
                        assert [_reading(p) for p in ordered["points"]] == _steps(
                            live.tally(metric, published_by=at(x).isoformat(), **window, **kw)["sum"]
                            for x in published_instants), (wf, wt)
        app.close()


def _check_windowed(live: Reader, again: Reader, metric: str, cut: Any, kw: dict[str, Any], wf: str | None,
                    wt: str | None, parts: list[Part], times: list[int] | None) -> None:
    """A windowed history under the cut: the same from the rebuilt views; its last point the tally
    recomputed from the log (``parts``: the figures at (T, cut) whose incident's period at T meets
    the window); with ``times`` (every instant of the log, as of now), its points exactly the
    steps of the windowed tally cut as of each of them."""
    window = {"valid_from": wf, "valid_to": wt, "published_by": cut}
    windowed = live.tally_history(metric, **window, **kw)
    assert windowed == again.tally_history(metric, **window, **kw)
    want = tallies.tally(parts, None)["sum"]
    assert _reading(windowed["points"][-1] if windowed["points"] else None) == _reading(want), (metric, cut, wf, wt)
    if times is not None:
        sees = kw["include_protected"]
        assert [_reading(p) for p in windowed["points"]] == _steps(
            live.tally(metric, **window, as_of=at(x), include_protected=sees)["sum"] for x in times), (cut, wf, wt)


def _check_history(live: Reader, again: Reader, fid: str, cut: Any, kw: dict[str, Any],
                   expected: tuple[Any, ...]) -> None:
    """A figure's history under the cut, in both orders: the same from the rebuilt views; each
    version's value, status and grade the figure's by id cut as of its recording; in recording
    order the last one the figure recomputed from the log."""
    for order in ("recorded", "published"):
        versions, cursor = [], None
        while True:  # a page of two: the fold must carry on across pages
            page = live.figure_history(fid, published_by=cut, order=order, limit=2, cursor=cursor, **kw)
            assert page == again.figure_history(fid, published_by=cut, order=order, limit=2, cursor=cursor, **kw)
            versions += page["versions"]
            if (cursor := page["next_cursor"]) is None:
                break
        for v in versions:
            then = live.figure(fid, published_by=cut, as_of=datetime.fromisoformat(v["recorded_at"]),
                               include_protected=kw["include_protected"])
            assert _state(v) == _state(then), (order, v["version"], cut)
        if order == "recorded":
            last = versions[-1]
            assert (last["value"]["qualifier"], last["value"]["low"], last["value"]["high"], last["status"]) == (
                expected[4:]), (fid, cut)


def _state(figure: dict[str, Any]) -> tuple[Any, ...]:
    value = figure["value"]
    return value["qualifier"], value["low"], value["high"], value.get("number"), figure["status"], figure["grade"]


def _reading(tally: dict[str, Any] | None) -> tuple[Any, ...]:
    """How a tally or a history's point reads (nothing counted: zero)."""
    return (0, 0, 0, 0) if tally is None else (tally["low"], tally["high"], tally["figures"],
                                               tally["approximate_figures"])


def _steps(tallies_in_order: Any) -> list[tuple[Any, ...]]:
    """The readings at which a sequence of tallies changes: a history's points, had it none missing."""
    out, last = [], _reading(None)
    for t in tallies_in_order:
        if _reading(t) != last:
            out.append(last := _reading(t))
    return out


def publication_t(as_of: datetime | None) -> int:
    return 2**62 if as_of is None else micros(as_of)


@pytest.mark.parametrize("kind", KINDS)
def test_cut_views_rebuild_and_log_agree_for_every_as_of_and_published_by(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], **SETTINGS)
    @given(history=histories, data=st.data())
    @example(history=LATE_WORD, data=None)
    @example(history=PROTECTED_WORD, data=None)
    @example(history=REVISED_PERIOD, data=None)
    @example(history=DECIDED_LATE, data=None)
    def run(history: list[tuple], data: st.DataObject | None) -> None:
        _check(kind, history, data)

    run()


def test_the_property_fails_when_the_cut_is_loosened(monkeypatch: pytest.MonkeyPatch) -> None:
    # Late words no longer folded: the stored state before them stands, as if they were unpublished.
    monkeypatch.setattr(publication, "LATE", publication.LATE.replace("fv.late = 1", "fv.late = 2"))
    with pytest.raises(AssertionError):
        _check("sqlite", LATE_WORD, None)


def test_the_property_fails_when_the_fold_reads_only_each_figures_last_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # The deciding versions cut to the last counted one: the first word and the adopted value are lost.
    monkeypatch.setattr(publication, "DECIDING_JOIN", "fv.recorded_from = d.d_f0 AND fv.version = d.d_v0")
    with pytest.raises(AssertionError):
        _check("sqlite", DECIDED_LATE, None)


def test_the_property_fails_when_a_readers_cut_places_protected_words_by_their_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A reader's figures no longer folded afresh, nor its claims placed at their filing.
    monkeypatch.setattr(read_filters, "placed_otherwise", lambda **narrow: "? < 0" + " AND ? IS NOT NULL" * (
        bool(narrow.get("metric")) + bool(narrow.get("figure")) + narrow.get("figures", 0)
        + bool(narrow.get("incident")) + narrow.get("incidents", 0)))  # no figure: T is never negative
    monkeypatch.setattr(read_filters, "filing_placed", lambda rows, hidden: list(rows))
    with pytest.raises(AssertionError):
        _check("sqlite", PROTECTED_WORD, None)
