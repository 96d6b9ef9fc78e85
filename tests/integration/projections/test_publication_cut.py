"""The publication cut (projections/publication.py) for every (as_of, published_by) pair: the
views kept event by event, the views rebuilt, and a recomputation straight from the event log
agree; and the property has teeth: with the late words' fold switched off it fails."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from ledger.figure import Figure
from ledger.report import Report
from ledger.tally import Part, is_approximate
from projections import publication, tallies
from projections.follower import Follower
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.times import micros
from projections.views import Views
from tests.integration.projections.helpers import (
    DAYS, FIGURES, METRICS, SOURCE_NAMES, World, at, fresh_store, notifications, source_index, values,
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
)
histories = st.tuples(st.lists(filed, min_size=1, max_size=3), st.lists(acts, max_size=8)).map(lambda t: t[0] + t[1])
#: An undated report first (it counts from its filing, today), then an older dated one on the
#: same figure: a late word, which only the fold gets right.
LATE_WORD = [("file_on", 0, None, [(0, {"qualifier": "exact", "number": 10}, False)]),
             ("file_on", 1, "2019-02-15", [(0, {"qualifier": "exact", "number": 7}, False)])]


def _day_start(day: str) -> int:
    d = date.fromisoformat(day)
    return micros(datetime(d.year, d.month, d.day, tzinfo=timezone.utc))


def recomputed(events: list[Any], t: int, cut: int) -> dict[str, tuple[Any, ...]]:
    """Each figure as the log says it stood at (t, cut): folded afresh from the domain events,
    in log order, by docs/model.md's rule (written again here, not publication.fold)."""
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
        if (reports.get(str(e.report_id), ts) if word else ts) > cut:
            continue
        f = state.get(fid)
        if f is None:
            if not word:
                continue
            f = state[fid] = {"value": e.value, "status": "active"}
        elif isinstance(e, (Figure.Corrected, Figure.Superseded)) or (isinstance(e, Figure.Claimed) and e.adopted):
            f["value"] = e.value
        if isinstance(e, (Figure.Corrected, Figure.Superseded)):
            f["status"] = "active"
        elif isinstance(e, Figure.Retracted):
            f["status"] = "retracted"
    return {fid: (*identity[fid], f["value"]["qualifier"], f["value"]["low"], f["value"]["high"], f["status"])
            for fid, f in state.items()}


def _parts(figures: dict[str, tuple[Any, ...]], metric: str) -> list[Part]:
    parts = []
    for fid, (incident, m, breakdown, population, qualifier, low, high, status) in figures.items():
        if m != metric or status != "active" or population != "counted" or len(breakdown) > 1:
            continue
        dims = ",".join(sorted(breakdown))
        parts.append(Part(fid, incident, dims, len(breakdown), breakdown[dims] if breakdown else None, low, high,
                          is_approximate(qualifier)))
    return parts


def _listed(reader: Reader, as_of: Any, cut: Any) -> dict[str, tuple[Any, ...]]:
    items, cursor = [], None
    while True:
        page = reader.figures(as_of=as_of, published_by=cut, cursor=cursor, limit=2, include_protected=True)
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
        with Reader(store) as live, Reader(store, name="rebuilt") as again:
            for as_of in moments:
                t = publication_t(as_of)
                for cut in cuts:
                    p = publication.check_published_by(cut)
                    expected = recomputed(events, t, p)
                    for metric in METRICS:
                        parts = _parts(expected, metric)
                        for by in (None, "perpetrator"):
                            mine = live.tally(metric, by=by, as_of=as_of, published_by=cut, figure_ids=True)
                            assert mine == again.tally(metric, by=by, as_of=as_of, published_by=cut,
                                                       figure_ids=True), (metric, by, as_of, cut)
                            want = tallies.tally(parts, by)
                            assert (mine["sum"], mine["groups"]) == (want["sum"], want["groups"]), (metric, by,
                                                                                                   as_of, cut)
                        assert live.tally_by_source(metric, as_of=as_of, published_by=cut, include_protected=True) \
                            == again.tally_by_source(metric, as_of=as_of, published_by=cut, include_protected=True)
                        splits = live.tally_splits(metric, as_of=as_of, published_by=cut)
                        assert splits == again.tally_splits(metric, as_of=as_of, published_by=cut)
                        assert splits["sum"] == {k: v for k, v in tallies.tally(parts, None)["sum"].items()
                                                 if k != "figure_ids"}
                        months = {"valid_from": "2019-01-01", "valid_to": "2019-06-30", "as_of": as_of,
                                  "published_by": cut}
                        assert live.tally_months(metric, **months) == again.tally_months(metric, **months)
                        cut_history = live.tally_history(metric, as_of=as_of, published_by=cut, include_protected=True)
                        assert cut_history == again.tally_history(metric, as_of=as_of, published_by=cut,
                                                                  include_protected=True)
                        if cut_history["points"]:  # the last point is the cut tally itself
                            last = cut_history["points"][-1]
                            assert (last["low"], last["high"]) == (want["sum"]["low"], want["sum"]["high"])
                for metric in METRICS:
                    # In publication order, each point is the tally cut at its instant.
                    ordered = live.tally_history(metric, as_of=as_of, order="published", include_protected=True)
                    assert ordered == again.tally_history(metric, as_of=as_of, order="published",
                                                          include_protected=True)
                    for point in ordered["points"]:
                        then = live.tally(metric, as_of=as_of, published_by=point["published_at"])["sum"]
                        assert (then["low"], then["high"], then["figures"]) == (point["low"], point["high"],
                                                                                point["figures"]), point
                    listed = _listed(live, as_of, cut)
                    assert listed == _listed(again, as_of, cut)
                    assert listed == {fid: f[4:] for fid, f in expected.items()}, (as_of, cut)
                    assert live.breakdown_checks(as_of=as_of, published_by=cut) == \
                        again.breakdown_checks(as_of=as_of, published_by=cut)
        app.close()


def publication_t(as_of: datetime | None) -> int:
    return 2**62 if as_of is None else micros(as_of)


@pytest.mark.parametrize("kind", KINDS)
def test_cut_views_rebuild_and_log_agree_for_every_as_of_and_published_by(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], **SETTINGS)
    @given(history=histories, data=st.data())
    @example(history=LATE_WORD, data=None)
    def run(history: list[tuple], data: st.DataObject | None) -> None:
        _check(kind, history, data)

    run()


def test_the_property_fails_when_the_cut_is_loosened(monkeypatch: pytest.MonkeyPatch) -> None:
    # Late words no longer folded: the stored state before them stands, as if they were unpublished.
    monkeypatch.setattr(publication, "LATE", publication.LATE.replace("fv.late = 1", "fv.late = 2"))
    with pytest.raises(AssertionError):
        _check("sqlite", LATE_WORD, None)
