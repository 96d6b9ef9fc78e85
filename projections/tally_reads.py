"""Tallies: a metric summed across incidents, each source's sum, and parts against their totals."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, datetime
from typing import Any

import orjson

from ledger.tally import ZERO, Part, Tally, is_approximate
from ledger.value import Qualifier
from projections import breakdown_checks as checks, oneshot, published_running, tallies
from projections.db import Db
from projections.named_rows import columns_of, shape
from projections.read_arguments import (
    check_breakdown, check_dimension, check_metric, check_place, check_population, check_population_filter,
    check_window, echo_of, iso_as_of, read_time,
)
from projections.read_filters import claims_published_by, figure_filters, live_figures, source_cards
from projections.paging import check_limit, decode_cursor, encode_cursor
from projections.publication import check_published_by, published_echo
from projections.redaction import PROTECTED
from projections.running import row_sum, tally_metric

#: A running tally's row (running.py): its end in recording time and its sum.
_Standing = shape("Standing", "recorded_to, low, high_sum, unbounded, figures, approximate")
#: The running tally of one (metric, dimension, value) as it stood at t.
_TOTAL_AT = (f"SELECT {_Standing.columns} FROM {{tally_versions}}"
             " WHERE metric = ? AND dimension = ? AND value = ? AND recorded_from <= ?"
             " ORDER BY recorded_from DESC LIMIT 1")
#: Each group of a running tally's split, as it stood at t.
_Group = shape("Group", "dimension, value, recorded_to, low, high_sum, unbounded, figures, approximate")
#: The metric's total is the running tally of no dimension; no split has this dimension.
_TOTAL_DIMENSION = ""
_SUMS = "recorded_to, low, high_sum, unbounded, figures, approximate"
#: The metric's total as it stood at t, as one more row of a split's statement.
_TOTAL_ROW = (f" UNION ALL SELECT * FROM (SELECT '' AS dimension, '' AS value, {_SUMS}"
              " FROM {tally_versions} WHERE metric = ? AND dimension = '' AND value = '' AND recorded_from <= ?"
              " ORDER BY recorded_from DESC LIMIT 1) total ORDER BY dimension, value")


def _values(name: str) -> str:
    """One split's group values: a skip scan over the key, one seek per group however many rows each has."""
    return (f"{name}(value) AS (SELECT MIN(value) FROM {{tally_versions}} WHERE metric = ? AND dimension = ?"
            f" UNION ALL SELECT (SELECT MIN(g.value) FROM {{tally_versions}} g"
            f" WHERE g.metric = ? AND g.dimension = ? AND g.value > {name}.value) FROM {name}"
            f" WHERE {name}.value IS NOT NULL)")


def _groups(kind: str, name: str) -> str:
    """One split's groups as of t, each row one more seek. PostgreSQL seeks per group only in a
    LATERAL subquery (it plans a join on the key as a hash join over all of the split's rows).
    SQLite, which has no LATERAL, finds each group's start as of t (a seek), then its row by the
    whole key. The LIMIT keeps that subquery from being flattened into the join: flattened,
    SQLite first built a Bloom filter over every row of the split (thousands at 100k events:
    6.6 ms a split, against 0.014 ms so)."""
    if kind == "postgres":
        return (f"SELECT s.dimension, {name}.value, s.{_SUMS.replace(', ', ', s.')} FROM {name}"
                f" CROSS JOIN LATERAL (SELECT dimension, {_SUMS} FROM {{tally_versions}}"
                f" WHERE metric = ? AND dimension = ? AND value = {name}.value AND recorded_from <= ?"
                " ORDER BY recorded_from DESC LIMIT 1) s")
    return (f"SELECT tv.dimension, tv.value, tv.{_SUMS.replace(', ', ', tv.')} FROM (SELECT {name}.value,"
            " (SELECT MAX(a.recorded_from) FROM {tally_versions} a WHERE a.metric = ? AND a.dimension = ?"
            f" AND a.value = {name}.value AND a.recorded_from <= ?) AS best FROM {name}"
            f" WHERE {name}.value IS NOT NULL LIMIT -1) g"
            " CROSS JOIN {tally_versions} tv WHERE tv.metric = ? AND tv.dimension = ? AND tv.value = g.value"
            " AND tv.recorded_from = g.best")


@functools.cache
def _splits_at(kind: str, splits: int) -> str:
    """Every group of ``splits`` splits and the metric's total as of t, in one statement (one
    round trip, however many groups and splits)."""
    names = [f"vals{i}" for i in range(splits)]
    return ("WITH RECURSIVE " + ", ".join(_values(n) for n in names) + " "
            + " UNION ALL ".join(_groups(kind, n) for n in names) + _TOTAL_ROW)


def _splits_params(kind: str, metric: str, dimensions: tuple[str, ...], t: int) -> tuple[Any, ...]:
    group = (lambda d: (metric, d, t)) if kind == "postgres" else (lambda d: (metric, d, t, metric, d))
    return (*(p for d in dimensions for p in (metric, d, metric, d)), *(p for d in dimensions for p in group(d)),
            metric, t)


#: What a tally from the figures reads of each (ledger/tally.py's Part, field for field).
#: A Part's approximate flag is ledger/tally.py's is_approximate, worked out in the query.
PART_COLUMNS = columns_of(Part, "fv", approximate=f"CASE WHEN fv.qualifier = '{Qualifier.APPROXIMATE}' THEN 1 ELSE 0 END")
_Reading = shape("Reading", "fv.figure_id, fv.incident_id, fv.metric, fv.breakdown, fv.low, fv.high, fv.population,"
                            " fv.qualifier")
_Id = shape("Id", "fv.figure_id")
_Claim = shape("Claim", "cv.source_id, cv.figure_id, cv.low, cv.high, cv.superseded, cv.qualifier")


class TallyReads:
    """Tallies, tallies by source and breakdown checks, for Reader (which provides ``db``)."""

    db: Db

    def tally(
        self, metric: str, *, by: str | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        figure_ids: bool = False, include_protected: bool = False, population: str | None = None,
        published_by: Any = None,
    ) -> dict[str, Any]:
        """A metric summed across incidents (ledger/tally.py says what each incident contributes),
        of one ``population`` (default the whole counted one; never a sum of populations).

        Returns ``{"metric", "population", "by", "as_of", "valid_from", "valid_to", "place",
        "sum": {"low", "high", "kind", "figures", "approximate", "approximate_figures", "figure_ids"},
        "groups": [{"value", ...as sum}]  (by a dimension; else []),
        "groups_sum": {...as sum} (the groups added up; None without by),
        "from_parts": [{"incident_id", "dimension", "low", "high": None, "figure_ids"}]}``.
        ``sum`` is the metric's total whatever ``by`` is (projections/tallies.py).

        The lists of figure ids (and ``from_parts``) come only with ``figure_ids=True``. Without
        them, and with no window and no place, the sums come from the running tallies
        (running.py): one index lookup per group, now or as of any T, however long the ledger.
        With the lists, or with a window or place, the figures are read and summed (cost grows
        with the metric's figures). So are they with ``published_by`` (projections/publication.py):
        two index ranges over the metric's versions and a fold of the few figures with late words
        (for a reader, and of those with a protected source's word: read_filters.live_figures).
        """
        metric, by, population = check_metric(self.terms, metric), check_dimension(self.terms, by, "by"), check_population(self.terms, population)
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        cut = check_published_by(published_by)
        echo = {**echo_of(metric, by, as_of, wf, wt, place, population), **published_echo(cut)}
        if not figure_ids and wf is None and wt is None and place_key is None and cut is None:
            return {**echo, **self._running_tally(t, tally_metric(metric, population), by), "from_parts": None}
        with self.db.snapshot() as c:
            parts = live_figures(
                self.db, c, t, Part, columns=PART_COLUMNS, metric=metric, status="active", max_depth=1,
                population=population, window=(wf, wt), place=place_key, published_by=cut,
                include_protected=include_protected,
            )
        result = tallies.tally(parts, by)
        if not figure_ids:
            result = _without_ids(result)
        return {**echo, **result}

    def _running_tally(self, t: int, metric: str, by: str | None) -> dict[str, Any]:
        """The sums as of t from the running tallies (running.py), in one statement and so with
        no transaction around it: the metric's total, and with ``by`` each group of that split
        and the groups' own sum (which leaves out what no group holds)."""
        if by is None:
            rows = oneshot.read(self.db, _TOTAL_AT, (metric, "", "", t), shape=_Standing)
            return {"sum": _standing(rows[0] if rows else None, t).as_dict(), "groups": [], "groups_sum": None}
        total, splits = self._running_splits(t, metric, (by,))
        return {"sum": total.as_dict(), **splits.get(by, {"groups": [], "groups_sum": ZERO.as_dict()})}

    def tally_splits(
        self, metric: str, *, dimensions: list[str] | None = None, as_of: datetime | None = None,
        include_protected: bool = False, population: str | None = None, published_by: Any = None,
    ) -> dict[str, Any]:
        """The metric's total and its split by each of ``dimensions`` (default: every dimension) at
        once, from the running tallies in one statement: what ``tally(metric, by=d)`` says for each d.

        Returns ``{"metric", "population", "as_of", "sum": {...}, "splits": {dimension: {"groups", "groups_sum"}}}``,
        a split only where it has a group; under a publication cut as of now the kept total alone, with
        ``"splits_kept": False``.
        """
        metric, population = check_metric(self.terms, metric), check_population(self.terms, population)
        # Every dimension the vocabulary holds, the defined ones too, unless some are named.
        asked = self.terms.of_kind("dimension") if dimensions is None else dimensions
        chosen = tuple(check_dimension(self.terms, d, "dimensions") for d in asked)
        t, cut = read_time(as_of), check_published_by(published_by)
        echo = {"metric": metric, "population": population, "as_of": iso_as_of(as_of), **published_echo(cut)}
        if cut is not None:
            with self.db.snapshot() as c:
                last = published_running.head(self.db, c, metric)
                if last is None or t >= last:
                    # As of now the total under the cut is kept (published_running.py: the deltas by
                    # the cut added up); the splits are not, and folding every figure of the metric
                    # cost 11-18 s at 1M events: none is given (``splits_kept`` False).
                    kept = published_running.totals(self.db, c, tally_metric(metric, population), include_protected,
                                                    cut, 1)
                    return {**echo, "sum": (kept[-1][1] if kept else ZERO).as_dict(), "splits": {},
                            "splits_kept": False}
            # Cut at publication time: the figures read once and split in memory, as the tally does.
            with self.db.snapshot() as c:
                parts = live_figures(self.db, c, t, Part, columns=PART_COLUMNS, metric=metric, status="active",
                                     max_depth=1, population=population, published_by=cut,
                                     include_protected=include_protected)
            each = {d: _without_ids(tallies.tally(parts, d)) for d in chosen}
            total_sum = _without_ids(tallies.tally(parts, None))["sum"]
            return {**echo, "sum": total_sum,
                    "splits": {d: {"groups": r["groups"], "groups_sum": r["groups_sum"]}
                               for d, r in each.items() if r["groups"]}}
        total, splits = self._running_splits(t, tally_metric(metric, population), chosen)  # type: ignore[arg-type]
        return {**echo, "sum": total.as_dict(), "splits": {d: splits[d] for d in chosen if d in splits}}

    def _running_splits(self, t: int, metric: str, dimensions: tuple[str, ...]) -> tuple[Tally, dict[str, Any]]:
        """The metric's total as of t, and each split that has a group: ``{dimension: {"groups", "groups_sum"}}``."""
        rows = running_groups(self.db, t, metric, dimensions)
        total = ZERO
        splits: dict[str, Any] = {}
        sums: dict[str, Tally] = defaultdict(Tally)
        for row in rows:
            group = _standing(row, t)
            if row.dimension == _TOTAL_DIMENSION:
                total = group
            elif group.figures:
                sums[row.dimension] += group
                splits.setdefault(row.dimension, {"groups": []})["groups"].append({"value": row.value, **group.as_dict()})
        for dimension, split in splits.items():
            split["groups_sum"] = sums[dimension].as_dict()
        return total, splits

    def tally_by_source(
        self, metric: str, *, breakdown: dict[str, str] | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        include_protected: bool = False, population: str | None = None, published_by: Any = None,
    ) -> dict[str, Any]:
        """Each source's latest claims on the metric's figures of one breakdown (default: totals), summed.

        A source's latest claim on a figure counts whether or not the ledger later superseded it
        (``superseded`` says how many were); retracted figures are left out. Returns
        ``{"metric", "population", "breakdown", "as_of", "valid_from", "valid_to", "place",
        "sources": [{"source", "low", "high", "kind", "figure_ids", "superseded"}]}``;
        public sources by name, then hidden ones (``"source": "protected"``).
        """
        metric, population = check_metric(self.terms, metric), check_population(self.terms, population)
        breakdown = check_breakdown(self.terms, breakdown) or {}
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        cut = check_published_by(published_by)
        with self.db.snapshot() as c:
            if cut is not None:
                active = live_figures(self.db, c, t, _Id, metric=metric, status="active", breakdown=breakdown,
                                      population=population, window=(wf, wt), place=place_key, published_by=cut,
                                      include_protected=include_protected)
                rows = claims_published_by(self.db, c, t, cut, [r.figure_id for r in active], include_protected)
                sources = source_cards(self.db, c, {r.source_id for r in rows}, include_protected)
                return self._by_source(rows, sources, metric, as_of, wf, wt, place, population, breakdown, cut)
            joins, params, where = figure_filters(
                t, metric=metric, status="active", breakdown=breakdown, population=population, window=(wf, wt),
                place=place_key)
            join_params, where_params = params
            rows = self.db.all(
                c,
                f"SELECT {_Claim.columns} FROM {{figure_versions}} fv"
                f" {joins} JOIN {{claim_versions}} cv ON cv.figure_id = fv.figure_id"
                " AND cv.recorded_from <= ? AND cv.recorded_to > ?"
                f" WHERE {where}",
                (*join_params, t, t, *where_params), shape=_Claim,
            )
            sources = source_cards(self.db, c, {r.source_id for r in rows}, include_protected)
        return self._by_source(rows, sources, metric, as_of, wf, wt, place, population, breakdown, None)

    @staticmethod
    def _by_source(rows: list[Any], sources: Any, metric: str, as_of: Any, wf: Any, wt: Any, place: Any,
                   population: str, breakdown: dict[str, str], cut: int | None) -> dict[str, Any]:
        per_source: dict[str, Tally] = defaultdict(Tally)
        ids: dict[str, list[str]] = defaultdict(list)
        superseded: dict[str, int] = defaultdict(int)
        for r in rows:
            per_source[r.source_id] += Tally.of(r.low, r.high, 1, is_approximate(r.qualifier))
            ids[r.source_id].append(r.figure_id)
            superseded[r.source_id] += r.superseded
        entries = []
        for source_id, s in per_source.items():
            ref = sources.ref(source_id)
            entries.append({"source": ref, **s.as_dict(), "figure_ids": sorted(ids[source_id]),
                            "superseded": superseded[source_id]})

        def order(entry: dict[str, Any]) -> tuple[Any, ...]:
            ref = entry["source"]
            if ref == PROTECTED:
                return (1, "", -entry["low"], entry["high"] is None, entry["high"] or 0)
            return (0, ref.get("name_en") or ref.get("name") or "", ref["source_id"])

        entries.sort(key=order)
        return {**echo_of(metric, None, as_of, wf, wt, place, population), **published_echo(cut),
                "breakdown": breakdown, "sources": entries}

    def breakdown_checks_page(self, *, cursor: str | None = None, limit: int = 50, place: str | None = None,
                              incident_id: str | None = None, **filters: Any) -> dict[str, Any]:
        """The checks of a page of ``limit`` incidents (id order, as the incidents listing pages
        them), each incident's in breakdown_checks' order: ``{"items", "next_cursor"}``. One
        statement finds the page's incidents, and the figures read are theirs alone; a page
        may hold no check (its incidents have none), and still a next one."""
        limit, after = check_limit(limit), decode_cursor("checks", cursor)
        place_key = check_place(place)
        where, params = ["incident_id > ?"] if after is not None else [], [] if after is None else [after]
        for clause, value in (("incident_id = ?", incident_id), (
                "incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)", place_key)):
            if value is not None:
                where.append(clause)
                params.append(value)
        with self.db.snapshot() as c:
            ids = [r[0] for r in self.db.all(
                c, "SELECT incident_id FROM {incidents}" + "".join(
                    (" WHERE " if i == 0 else " AND ") + w for i, w in enumerate(where))
                + " ORDER BY incident_id LIMIT ?", (*params, limit + 1))]
        page_ids = ids[:limit]
        items = [] if not page_ids else self.breakdown_checks(
            place=place, incident_id=incident_id, incident_ids=page_ids, **filters)
        return {"items": items, "next_cursor": encode_cursor("checks", page_ids[-1]) if len(ids) > limit else None}

    def breakdown_checks(
        self, *, metric: str | None = None, incident_id: str | None = None, dimension: str | None = None,
        totals_only: bool = False, as_of: datetime | None = None, valid_from: date | None = None,
        valid_to: date | None = None, place: str | None = None, include_protected: bool = False,
        population: str | None = None, published_by: Any = None, incident_ids: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Sum of parts against each total, and each subset population against its whole (see
        checks.py). One dict per (total, dimension) or (whole, subset):

        ``{"incident_id", "metric", "population", "check": "parts" | "subset" | "part_of", "dimension" (None for
        a subset or a part-of check), "total": {"figure_id", "breakdown", "population", "low", "high", "approximate"},
        "parts": [{"value", "figure_id", "low", "high", "approximate"}], "parts_low", "parts_high",
        "status": "complete" | "remainder" | "parts_exceed_low" | "inconsistent",
        "remainder": {"low", "high"} | None, "excess": int | None}``.
        """
        metric = None if metric is None else check_metric(self.terms, metric)
        dimension = check_dimension(self.terms, dimension, "dimension")
        population = check_population_filter(self.terms, population)
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        part_of = self.terms.part_of()
        # A metric's part-of checks need the figures of the metric it is part of, and of its parts.
        related = None if metric is None else {m for m in (metric, part_of.get(metric)) if m} | {
            p for p, w in part_of.items() if w == metric}
        with self.db.snapshot() as c:
            rows = live_figures(
                self.db, c, t, _Reading, metric=metric if related == {metric} else None,
                incident_id=incident_id, status="active", window=(wf, wt), place=place_key,
                published_by=check_published_by(published_by), include_protected=include_protected,
                incident_ids=incident_ids,
            )
        readings = [checks.Reading(r.figure_id, r.incident_id, r.metric, orjson.loads(r.breakdown), r.low, r.high,
                                   r.population, is_approximate(r.qualifier))
                    for r in rows if related is None or r.metric in related]
        found = checks.breakdown_checks(readings, dimension=dimension, totals_only=totals_only, population=population,
                                        part_of=part_of)
        if metric is None:
            return found
        return [f for f in found if f["metric"] == metric or (f["check"] == "part_of" and f["parts"][0]["value"] == metric)]


def _without_ids(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "sum": {k: v for k, v in result["sum"].items() if k != "figure_ids"},
        "groups": [{k: v for k, v in g.items() if k != "figure_ids"} for g in result["groups"]],
        "groups_sum": None if result["groups_sum"] is None else {
            k: v for k, v in result["groups_sum"].items() if k != "figure_ids"},
        "from_parts": None,
    }


def running_groups(db: Db, t: int, metric: str, dimensions: tuple[str, ...]) -> list[Any]:
    """The rows of a running tally's key (``tally_metric``) standing at t: its total's (dimension
    '') and every group's of each of ``dimensions``, in one statement; a row that had ended by t
    comes too (``recorded_to <= t``: it says nothing then)."""
    return oneshot.read(db, _splits_at(db.kind, len(dimensions)), _splits_params(db.kind, metric, dimensions, t),
                        shape=_Group)


def _standing(row: Any, t: int) -> Tally:
    """What a running tally's row says at t: nothing where it had ended or held no figure."""
    return ZERO if row is None or row.recorded_to <= t or row.figures == 0 else row_sum(row)
