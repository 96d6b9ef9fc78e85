"""How a tally moved under a publication cut, in recording order or in publication order.

Each figure's state under the cut (projections/publication.py's fold) is made into the changes
projections/history.py sweeps into points: in recording order, one at each version the cut
counts (the state carried on through it); in publication order (``order="published"``), one at
each instant a word of the figure was published (the state of the words published by then,
as ``tally(published_by=that instant)`` reads it). Every version of the metric recorded by T is
read, as the windowed history reads them; the publication-order fold is worked out afresh at
each instant (quadratic in a figure's versions: a history, not a tally).

A window in valid time means what it means uncut: an incident counts while its period overlaps
the window. Periods are the ledger's own record, read by recording time alone: in recording
order each revision of a period is a change at its recording, as in the uncut history; in
publication order every point is the tally as of T, so each incident's period is the one it
had at T, set before the first word.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any, NamedTuple

from projections import history, publication
from projections.db import Db
from projections.named_rows import columns_of, shape
from projections.read_filters import CLAIM_OF_VERSION, source_cards
from projections.redaction import filing_placed

#: A figure version as the fold and a history's change need it.
_Version = shape("Version", (
    "fv.figure_id, fv.incident_id, fv.dims, fv.depth, fv.dim_value, fv.actor, fv.recorded_from, fv.kind,"
    " fv.published_at, fv.recorded_at, fv.version, fv.qualifier, fv.low, fv.high, fv.value, fv.source_id, fv.value_source_id,"
    " fv.status, fv.grade, cv.qualifier AS said_qualifier, cv.low AS said_low, cv.high AS said_high,"
    " cv.value AS said_value"))
_VERSIONS = (f"SELECT {_Version.columns} FROM {{figure_versions}} fv LEFT JOIN {{claim_versions}} cv"
             f" ON {CLAIM_OF_VERSION} WHERE fv.metric = ? AND fv.population = ? AND fv.depth <= 1"
             " AND fv.recorded_from <= ?")
_PERIODS = (f"SELECT {columns_of(history.PeriodChange, 'iv', at='iv.recorded_from', event='iv.kind')}"
            " FROM {incident_versions} iv WHERE iv.recorded_from <= ?"
            " AND iv.incident_id IN (SELECT DISTINCT incident_id FROM {figures} WHERE metric = ?)")
#: In publication order each incident's period is the one it had at T (parameters: T, metric, T).
_PERIODS_AT_T = _PERIODS + " AND iv.recorded_to > ?"
#: Before every instant of publication: where the periods as of T are set in publication order
#: (no point is made there, nothing being counted yet).
_BEFORE_ALL = -(2**62)


class CutVersions(NamedTuple):
    """The metric's versions recorded by T, as the histories under a cut replay them."""

    #: Each figure's versions in version order, a hidden source's words placed at their filing.
    per_figure: dict[str, list[Any]]
    #: Each version's start in recording time (for the words of those that moved a point).
    starts: dict[tuple[str, int], int]


def cut_versions(db: Db, c: Any, t: int, metric: str, population: str, place_key: str | None,
                 include_protected: bool, figure_ids: set[str] | None = None) -> CutVersions:
    """Every version of the metric recorded by t (of the incidents at ``place_key``, if given),
    in one statement, for any number of cut_points in either order. A hidden source's words are
    placed at their filing (redaction.py: their dates are withheld)."""
    sql, params = _VERSIONS, [metric, population, t]
    if place_key is not None:
        sql += " AND fv.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)"
        params.append(place_key)
    if figure_ids is not None:  # only these figures' (each a seek on its key)
        if not figure_ids:
            return CutVersions({}, {})
        ids = sorted(figure_ids)
        sql += f" AND fv.figure_id IN ({', '.join('?' * len(ids))})"
        params += ids
    rows = db.all(c, sql, params, shape=_Version)
    sources = source_cards(db, c, {r.source_id for r in rows}, include_protected)
    per_figure: dict[str, list[Any]] = defaultdict(list)
    for r in filing_placed(rows, sources.hidden):
        per_figure[r.figure_id].append(r)
    for versions in per_figure.values():
        versions.sort(key=lambda r: r.version)
    return CutVersions(per_figure, {(r.figure_id, r.version): r.recorded_from for r in rows})


def cut_points(db: Db, c: Any, t: int, metric: str, read: CutVersions, by: str | None, cut: int | None,
               published_order: bool, window: tuple[str | None, str | None] = (None, None)) -> list[dict[str, Any]]:
    """The points of the tally's history as of t under the cut, oldest first, from the metric's
    versions (``read``): history.tally_points' shape, keyed by ``published_at`` instead of
    ``recorded_at`` in publication order."""
    changes: list[history.FigureStep] = []
    for versions in read.per_figure.values():
        changes += _published(versions, cut) if published_order else _recorded(versions, cut)
    points = history.tally_points(changes, _periods(db, c, t, metric, published_order, window), by=by,
                                  window_from=window[0], window_to=window[1])
    if published_order:
        for p in points:
            p["published_at"] = p.pop("recorded_at")
    return points


def under_cut(versions: list[Any], cut: int | None) -> dict[int, publication.Folded]:
    """The figure's state under the cut after each version it counts (``versions`` in version
    order): the value a figure's history under the cut gives each version (publication.states)."""
    return {r.version: folded for r, folded in publication.states(versions, cut)}


def _periods(db: Db, c: Any, t: int, metric: str, published_order: bool,
             window: tuple[str | None, str | None]) -> list[history.PeriodChange]:
    """The incidents' periods a window needs (none without one): each revision in recording
    order; in publication order the period at t, set before the first word."""
    if window == (None, None):
        return []
    rows = db.all(c, _PERIODS_AT_T, (t, metric, t)) if published_order else db.all(c, _PERIODS, (t, metric))
    changes = [history.PeriodChange(*r) for r in rows]
    return [dataclasses.replace(p, at=_BEFORE_ALL) for p in changes] if published_order else changes


def _change(at: int, row: Any, state: publication.Folded) -> history.FigureStep:
    return history.FigureStep(at, state.version, row.figure_id, row.incident_id, row.dims, row.depth,
                                row.dim_value, state.low, state.high, state.status, row.kind, row.actor,
                                state.qualifier)


def _recorded(rows: list[Any], cut: int | None) -> list[history.FigureStep]:
    """One change at each version the cut counts, in the order recorded."""
    return [_change(r.recorded_from, r, folded) for r, folded in publication.states(rows, cut)]


def _published(rows: list[Any], cut: int | None) -> list[history.FigureStep]:
    """One change at each instant a word of the figure was published (by the cut)."""
    out, state = [], None
    by_version = {r.version: r for r in rows}
    for at in sorted({r.published_at for r in rows if publication.counts(r.published_at, cut)}):
        folded = publication.fold(rows, at)
        if folded is not None and folded != state:
            out.append(_change(at, by_version[folded.version], folded))
        state = folded
    return out
