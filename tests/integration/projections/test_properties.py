"""Properties of the views, on both stores, over random histories of commands.

- kept up to date event by event, they equal a rebuild from the whole log (digest and answers);
- the running tallies give the same sums as adding the figures up;
- a tally by a dimension is exactly the sum of the figures it lists;
- the history of a tally agrees with the tally as of each of its points;
- as of T, they answer as a rebuild from only the events recorded up to T does;
- the order in which the log delivers events of different aggregates changes nothing;
- a protected source's identity never reaches an answer given without include_protected.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from projections.views_digest import digest
from projections.follower import Follower
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.views import Views
from ledger.errors import NotFound
from tests.integration.projections.helpers import (
    DIMENSIONS, FIGURES, METRICS, SOURCE_NAMES, World, at, answers, catch_up, copy_events, fresh_store, histories,
    notifications, timestamps,
)

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
EXAMPLES = {"sqlite": 25, "postgres": 8}


def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


def _as_of_comparable(out: dict[str, Any]) -> dict[str, Any]:
    # A source's card in a claim says whether it is protected now (redaction.py decides by that),
    # not as of T: leave it out when comparing with a log cut at T. The sources themselves, as of
    # T, are their versions then (source_versions), protection and version included.
    return {k: v if k.startswith("source") else _without(v, {"protected"}) for k, v in out.items()}


def _source_records(reader: Reader, source_ids: list[str], as_of: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for source_id in source_ids:
        try:
            out[f"source {source_id}"] = reader.source_record(source_id, as_of=as_of, include_protected=True)
        except NotFound:
            out[f"source {source_id}"] = "not found"
    return out


# ---- kept up to date = rebuilt; fast = scanned; parts = sums; history = as of ---------------------


def _check_history(kind: str, history: list[tuple], data: st.DataObject) -> None:
    with fresh_store(kind) as store:
        app = open_ledger(store)
        world = World(app)
        follower = Follower(store, Views(), ledger=app, batch_size=1)
        follower.catch_up()
        for command in history:
            world.run(command)
            follower.catch_up()  # event by event: batches of one
        assert follower.catch_up() == 0
        follower.close()

        batch = data.draw(st.integers(1, 40), label="rebuild batch size")
        rebuilt = rebuild(store, progress=False, name="rebuilt", ledger=app, batch_size=batch)
        live = digest(store)
        assert live["sha256"] == rebuilt["digest"], (live, rebuilt)
        assert live["rows"] == rebuilt["rows"]

        with Reader(store) as reader, Reader(store, name="rebuilt") as again:
            ids = world.figure_ids
            for protected in (True, False):
                mine = answers(reader, include_protected=protected, figure_ids=ids)
                assert mine == answers(again, include_protected=protected, figure_ids=ids)
                _check_fast_path(mine)
                _check_no_leak(app, world, mine, protected)
            _check_parts_sum(reader)
            _check_against_the_ledger(app, world, reader)
            times = sorted(set(timestamps(app)))
            for t in data.draw(st.lists(st.sampled_from(times), max_size=3), label="as-of times"):
                _check_fast_path(answers(reader, as_of=at(t), figure_ids=ids))
            _check_tally_history(reader)
        _check_as_of(kind, store, app, world, data)
        app.close()


def _check_fast_path(out: dict[str, Any]) -> None:
    """The running tallies (figure_ids=False) say what adding up the figures says."""
    for metric in METRICS:
        for by in (None, *DIMENSIONS):
            scanned, fast = out[f"tally {metric} {by}"], out[f"fast {metric} {by}"]
            strip = lambda d: {k: v for k, v in d.items() if k != "figure_ids"}  # noqa: E731
            assert fast["sum"] == strip(scanned["sum"]), (metric, by)
            assert fast["groups"] == [strip(g) for g in scanned["groups"]], (metric, by)
            assert fast["groups_sum"] == (None if by is None else strip(scanned["groups_sum"])), (metric, by)
            assert scanned["sum"]["figures"] == len(scanned["sum"]["figure_ids"])


def _check_parts_sum(reader: Reader) -> None:
    """A tally by a dimension is the sum of exactly the active figures broken down by it alone."""
    for metric in METRICS:
        for by in DIMENSIONS:
            tally = reader.tally(metric, by=by, figure_ids=True)
            listed: list[str] = []
            for group in tally["groups"]:
                figures = [reader.figure(f, include_protected=True) for f in group["figure_ids"]]
                assert all(f["status"] == "active" and f["breakdown"] == {by: group["value"]} for f in figures)
                assert group["low"] == sum(f["value"]["low"] for f in figures)
                highs = [f["value"]["high"] for f in figures]
                assert group["high"] == (None if None in highs else sum(highs))
                listed += group["figure_ids"]
            expected = set()
            for value in {g["value"] for g in tally["groups"]} | {"force-a", "force-b", "children"}:
                page = reader.figures(metric=metric, breakdown={by: value}, status="active", limit=500)
                expected |= {f["figure_id"] for f in page["items"]}
            assert sorted(listed) == sorted(expected)
            # The groups add up to groups_sum; sum is the metric's total, the same whatever by is.
            assert tally["groups_sum"]["low"] == sum(g["low"] for g in tally["groups"])
            assert tally["groups_sum"]["figures"] == len(listed)
            assert tally["sum"] == reader.tally(metric, figure_ids=True)["sum"]


def _model_tally(app, world: World, metric: str) -> tuple[int, int | None, int]:
    """The tally of a metric worked out from the ledger's own aggregates, independently of projections/."""
    low, high, n = 0, 0, 0
    for incident in world.incidents:
        figures = []
        for fid, (i, m, breakdown) in zip(world.figure_ids, FIGURES):
            if world.incidents[i] != incident or m != metric:
                continue
            try:
                figure = app.figure(fid)
            except NotFound:
                continue
            if figure.status == "active" and len(breakdown) <= 1:
                figures.append((breakdown, figure.value))
        totals = [v for b, v in figures if not b]
        if totals:
            chosen, bounded = totals, True
        else:
            by_dimension: dict[str, list] = {}
            for b, v in figures:
                by_dimension.setdefault(next(iter(b)), []).append(v)
            if not by_dimension:
                continue
            # The dimension documenting most; ties to the first by name.
            best = sorted(by_dimension, key=lambda d: (-sum(v.low for v in by_dimension[d]), d))[0]
            chosen, bounded = by_dimension[best], False
        low += sum(v.low for v in chosen)
        n += len(chosen)
        if high is not None:
            high = None if not bounded or any(v.high is None for v in chosen) else high + sum(v.high for v in chosen)
    return low, high, n


def _check_against_the_ledger(app, world: World, reader: Reader) -> None:
    """The views say what the ledger's aggregates say: values, statuses, grades, claims, tallies."""
    for fid in world.figure_ids:
        try:
            figure = app.figure(fid)
        except NotFound:
            with pytest.raises(NotFound):
                reader.figure(fid)
            continue
        mine = reader.figure(fid, include_protected=True)
        assert (mine["value"], mine["status"], mine["grade"], mine["version"]) == (
            figure.current, figure.status, figure.grade, figure.version)
        claims = {c["source"]["source_id"]: (c["value"], c["superseded"], c["report_id"])
                  for c in reader.spread(fid, include_protected=True)["claims"]}
        assert claims == {s: (c["value"], c["superseded"], c["report_id"]) for s, c in figure.claims.items()}
    for metric in METRICS:
        for figure_ids in (False, True):  # the running tally and the sum over the figures
            tally = reader.tally(metric, figure_ids=figure_ids)
            assert (tally["sum"]["low"], tally["sum"]["high"], tally["sum"]["figures"]) == \
                _model_tally(app, world, metric)


def _check_tally_history(reader: Reader) -> None:
    for metric in METRICS:
        for by in (None, "perpetrator"):
            for window in ({}, {"valid_from": "2019-02-20"}):
                points = reader.tally_history(metric, by=by, **window)["points"]
                now = reader.tally(metric, by=by, figure_ids=False, **window)
                if not points:
                    assert now["sum"]["kind"] == "no_data"
                    continue
                assert (points[-1]["low"], points[-1]["high"], points[-1]["kind"]) == (
                    now["sum"]["low"], now["sum"]["high"], now["sum"]["kind"])
                for point in points:
                    when = datetime.fromisoformat(point["recorded_at"].replace("Z", "+00:00"))
                    then = reader.tally(metric, by=by, as_of=when, figure_ids=False, **window)
                    assert (point["low"], point["high"], point["kind"], point["figures"]) == (
                        then["sum"]["low"], then["sum"]["high"], then["sum"]["kind"], then["sum"]["figures"])
                    if by is not None:
                        assert point["groups"] == then["groups"]
                    assert point["moved_by"], point
                if by is None and not window:
                    _check_latest_points(reader, metric, points)
                    _check_cut_latest(reader, metric)


def _check_latest_points(reader: Reader, metric: str, points: list[dict[str, Any]]) -> None:
    """The latest points (the count's page) are tally_history's last ones; only the told ones say what moved them."""
    for wanted, told in ((1, 1), (2, 1), (3, 0), (len(points), 2), (len(points) + 5, len(points) + 5)):
        tail = points[-wanted:]
        silent = len(tail) - min(told, len(tail))
        expected = [dict(p, moved_by=[]) if i < silent else p for i, p in enumerate(tail)]
        assert reader.tally_history_latest(metric, points=wanted, told=told) == expected
    # The versions told with the last steps are the figure's history's, as far as a step tells them.
    for protected in (False, True):
        latest = reader.tally_history_latest(metric, points=len(points), told=len(points), versions=len(points),
                                             include_protected=protected)
        for point in latest:
            for moved in point["moved_by"]:
                if "figure_id" in moved:
                    history = reader.figure_history(moved["figure_id"], limit=500, include_protected=protected)
                    version = next(v for v in history["versions"] if v["version"] == moved["version"])
                    assert moved.pop("told") == {k: version[k] for k in ("value", "reason", "source", "evidence")}
        if not protected:
            assert latest == points


def _check_cut_latest(reader: Reader, metric: str) -> None:
    """The latest points under a cut or in publication order (the count's page) are the cut
    history's last ones; the told ones say what moved them, each version as the figure's
    history under the same cut gives it."""
    published = reader.tally_history(metric, order="published")["points"]
    for cut in (None, *([published[len(published) // 2]["published_at"]] if published else [])):
        orders = ("published",) if cut is None else ("recorded", "published")
        for protected in (False, True):
            for wanted, told in ((1, 1), (3, 2), (len(published) + 5, len(published) + 5)):
                latest = reader.tally_history_cut_latest(metric, points=wanted, told=told, orders=orders,
                                                         published_by=cut, include_protected=protected)
                assert set(latest) == set(orders)
                for order in orders:
                    whole = reader.tally_history(metric, published_by=cut, order=order,
                                                 include_protected=protected)["points"]
                    tail = whole[len(whole) - min(wanted, len(whole)):]
                    silent = len(tail) - min(told, len(tail))
                    for point in latest[order]:
                        for moved in point["moved_by"]:
                            if "figure_id" in moved:
                                history = reader.figure_history(moved["figure_id"], limit=500, published_by=cut,
                                                                include_protected=protected)
                                version = next((v for v in history["versions"] if v["version"] == moved["version"]), None)
                                assert moved.pop("told") == (None if version is None else {
                                    k: version[k] for k in ("value", "reason", "source", "evidence")})
                    assert latest[order] == [dict(p, moved_by=[]) if i < silent else p for i, p in enumerate(tail)]


def _check_no_leak(app, world: World, out: dict[str, Any], include_protected: bool) -> None:
    """Nothing that names a protected source appears in any answer given without include_protected."""
    text = json.dumps(out, ensure_ascii=False)
    for n, source_id in enumerate(world.sources):
        secrets = [source_id, SOURCE_NAMES[n], *world.reports[n]]
        if app.source(source_id).protected and not include_protected:
            for secret in secrets:
                assert secret not in text, (SOURCE_NAMES[n], secret)
    if include_protected:
        assert all(s in text for s in world.sources)


def _check_as_of(kind: str, store, app, world: World, data: st.DataObject) -> None:
    """As of T, the views answer as views built from only the events recorded up to T."""
    log = notifications(app)
    times = [app.mapper.to_domain_event(n).timestamp for n in log]
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(log) - 1), min_size=1, max_size=3), label="cuts")))
    with fresh_store(kind) as other:
        copy = open_ledger(other)
        copied = 0
        for cut in cuts:
            t = times[cut]
            # Every event recorded at or before t, in log order (per aggregate that is a prefix).
            wanted = [n for n, when in zip(log, times) if when <= t]
            copy_events(app, copy, wanted[copied:])
            copied = len(wanted)
            catch_up(other, copy, batch_size=7)
            with Reader(store) as full, Reader(other) as cut_reader:
                _check_figures_of(full, world.figure_ids, t)
                mine = answers(full, as_of=t, figure_ids=world.figure_ids) | _source_records(full, world.sources, t)
                theirs = answers(cut_reader, figure_ids=world.figure_ids) | _source_records(cut_reader, world.sources)
                for source_id in world.sources:  # and as the ledger cut at t says of each source
                    record = mine[f"source {source_id}"]
                    if record != "not found" and record["state"] == "recorded":  # not "nothing yet" as of t
                        said = copy.source(source_id)
                        assert (record["version"], record["protected"]) == (said.version, said.protected), source_id
                mine, theirs = _as_of_comparable(mine), _as_of_comparable(theirs)
                for key in mine:
                    if isinstance(mine[key], dict) and mine[key].get("state") == "not_yet_recorded":
                        # As of t the ledger had said nothing of it yet; the copy never recorded it at all.
                        assert theirs[key] == "not found", key
                        continue
                    if key.startswith(("tally", "fast", "history", "by source")):
                        _drop_as_of(mine[key])
                        _drop_as_of(theirs[key])
                    if key.startswith("spread"):
                        for d in (mine[key], theirs[key]):
                            if isinstance(d, dict):
                                d.pop("as_of", None)
                    assert mine[key] == theirs[key], key
        copy.close()


def _check_figures_of(reader: Reader, figure_ids: list[str], as_of: Any) -> None:
    """Reader.figures_of (a report's figures, one statement) answers as each figure read alone, in the order asked."""
    for sees in (False, True):
        alone: dict[str, Any] = {}
        for fid in figure_ids:
            try:
                alone[fid] = reader.figure(fid, as_of=as_of, include_protected=sees)
            except NotFound:
                pass
        asked = list(alone)[::-1]
        assert reader.figures_of(asked, as_of=as_of, include_protected=sees) == [alone[f] for f in asked]
        missing = [f for f in figure_ids if f not in alone]
        if missing:
            with pytest.raises(NotFound):
                reader.figures_of([*asked, missing[0]], as_of=as_of, include_protected=sees)


def _drop_as_of(d: Any) -> None:
    if isinstance(d, dict):
        d.pop("as_of", None)


@pytest.mark.parametrize("kind", KINDS)
def test_views_agree_with_rebuild_running_tallies_parts_history_and_as_of(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], **SETTINGS)
    @given(history=histories, data=st.data())
    def run(history: list[tuple], data: st.DataObject) -> None:
        _check_history(kind, history, data)

    run()


# ---- order ----------------------------------------------------------------------------------------


def _interleave(log: list[Any], rng: random.Random, reports: dict[int, str] | None = None) -> list[Any]:
    """The same events in another order that keeps each aggregate's own order, and a figure's
    word after the report it is in (``reports``: notification id -> the report it names), as
    one transaction saves them: the views date a word by its report (projections/publication.py)."""
    reports = reports or {}
    queues: dict[Any, list[Any]] = {}
    for n in log:
        queues.setdefault(n.originator_id, []).append(n)
    out: list[Any] = []
    filed: set[str] = set()
    while queues:
        ready = [k for k in sorted(queues, key=str)
                 if reports.get(queues[k][0].id) is None or reports[queues[k][0].id] in filed]
        key = rng.choice(ready)
        n = queues[key].pop(0)
        out.append(n)
        filed.add(str(n.originator_id))
        if not queues[key]:
            del queues[key]
    return out


def _reports_named(app: Any, log: list[Any]) -> dict[int, str]:
    """Each figure word's notification id -> the report it names."""
    named = {}
    for n in log:
        report_id = getattr(app.mapper.to_domain_event(n), "report_id", None)
        if report_id:
            named[n.id] = str(report_id)
    return named


@pytest.mark.parametrize("kind", KINDS)
def test_order_of_independent_events_changes_nothing(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], **SETTINGS)
    @given(history=histories, seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 30))
    def run(history: list[tuple], seed: int, batch: int) -> None:
        with fresh_store(kind) as store, fresh_store(kind) as shuffled:
            app = open_ledger(store)
            world = World(app)
            for command in history:
                world.run(command)
            catch_up(store, app)
            other = open_ledger(shuffled)
            log = notifications(app)
            copy_events(app, other, _interleave(log, random.Random(seed), _reports_named(app, log)))
            catch_up(shuffled, other, batch_size=batch)
            assert digest(store)["sha256"] == digest(shuffled)["sha256"]
            times = sorted(set(timestamps(app)))
            with Reader(store) as a, Reader(shuffled) as b:
                for t in [None, *random.Random(seed).sample(times, min(3, len(times)))]:
                    when = None if t is None else at(t)
                    for metric in METRICS:
                        for by in (None, "perpetrator"):
                            assert a.tally(metric, by=by, as_of=when, figure_ids=True) == \
                                b.tally(metric, by=by, as_of=when, figure_ids=True)
                            assert a.tally(metric, by=by, as_of=when, figure_ids=False) == \
                                b.tally(metric, by=by, as_of=when, figure_ids=False)
            app.close()
            other.close()

    run()
