"""Figures as of T: one, a page of them under filters, and the spread of the sources' claims on one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from ledger.errors import InvalidInput, NotFound
from ledger.tally import is_approximate
from projections.db import OPEN, Db
from projections.named_rows import shape
from projections.paging import check_limit, decode_cursor, listing_page
from projections.read_arguments import (
    check_breakdown, check_dimension, check_metric, check_place, check_population_filter, check_window, iso_as_of,
    read_time,
)
from projections.publication import check_published_by, published_echo
from projections.read_filters import claims_published_by, live_figures, source_cards
from projections.times import iso
from projections.view_rows import FigureVersion, render_figure

#: A source's claim on a figure, in one of its versions.
_Claim = shape("Claim", "source_id, report_id, value, qualifier, low, high, superseded, claimed_at, claim_version,"
                        " recorded_to")


class FigureReads:
    """Figures as of T, one or a page, and the spread of sources' claims, for Reader (which provides ``db``)."""

    db: Db

    def figure(self, figure_id: str, *, as_of: datetime | None = None, include_protected: bool = False,
               published_by: Any = None) -> dict[str, Any]:
        """The figure as of T (cut at ``published_by``): ``{"figure_id", "incident_id", "metric", "breakdown",
        "population", "version", "value", "status", "grade", "value_source", "recorded_at", "recorded_to"}``."""
        t, cut = read_time(as_of), check_published_by(published_by)
        with self.db.snapshot() as c:
            row = figure_at(self.db, c, t, str(figure_id), cut, include_protected)
            if row is None:
                raise NotFound("figure", figure_id)
            sources = source_cards(self.db, c, {row.value_source_id}, include_protected)
        return render_figure(row, sources, t, self.terms)

    def figures_of(self, figure_ids: list[str], *, as_of: datetime | None = None,
                   include_protected: bool = False, published_by: Any = None) -> list[dict[str, Any]]:
        """These figures as of T, in the order given, as ``figure`` gives each, in one statement
        (and one for their sources' cards): a report's figures. NotFound for one not recorded by T;
        cut at ``published_by``, a figure none of whose words was out yet is left out (nothing to show)."""
        t, cut, wanted = read_time(as_of), check_published_by(published_by), [str(f) for f in figure_ids]
        with self.db.snapshot() as c:
            rows = live_figures(self.db, c, t, FigureVersion, figure_ids=wanted, published_by=cut,
                                include_protected=include_protected)
            sources = source_cards(self.db, c, {r.value_source_id for r in rows}, include_protected)
        found = {r.figure_id: r for r in rows}
        if cut is None:
            for fid in wanted:
                if fid not in found:
                    raise NotFound("figure", fid)
        return [render_figure(found[fid], sources, t, self.terms) for fid in wanted if fid in found]

    def figures(
        self, *, incident_id: str | None = None, metric: str | None = None, dimension: str | None = None,
        breakdown: dict[str, str] | None = None, status: str | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        cursor: str | None = None, limit: int = 50, include_protected: bool = False, population: str | None = None,
        published_by: Any = None,
    ) -> dict[str, Any]:
        """A page of figures as of T (cut at ``published_by``), in figure-id order: ``{"items": [figure...], "next_cursor"}``.

        ``dimension``: figures broken down by it (among others); ``breakdown``: exactly this one
        (``{}`` for totals); ``status``: "active" or "retracted"; ``population``: the figures counting
        it (None: every population).
        """
        metric = None if metric is None else check_metric(self.terms, metric)
        dimension = check_dimension(self.terms, dimension, "dimension")
        breakdown = check_breakdown(self.terms, breakdown)
        population = check_population_filter(self.terms, population)
        if status not in (None, "active", "retracted"):
            raise InvalidInput(f"status {status!r} is not known; use active or retracted", field="status")
        limit = check_limit(limit)
        after = decode_cursor("figures", cursor)
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        cut = check_published_by(published_by)
        with self.db.snapshot() as c:
            rows = live_figures(
                self.db, c, t, FigureVersion, metric=metric, incident_id=incident_id, status=status,
                dimension=dimension, breakdown=breakdown, population=population, window=(wf, wt), place=place_key,
                after=after, limit=limit + 1, published_by=cut, include_protected=include_protected,
            )
            sources = source_cards(self.db, c, {r.value_source_id for r in rows}, include_protected)
        items = [render_figure(r, sources, t, self.terms) for r in rows[:limit]]
        return listing_page("figures", "figure_id", items, len(rows) > limit)

    def spread(self, figure_id: str, *, as_of: datetime | None = None, include_protected: bool = False,
               published_by: Any = None) -> dict[str, Any]:
        """Each source's latest claim on the figure as of T, the range across them, and the ledger's value.

        ``{"figure_id", "as_of", "current": figure, "claims": [{"source", "report_id", "value",
        "qualifier", "low", "high", "superseded", "claimed_at", "version"}],
        "range": {"sources", "min_low", "max_low", "min_high", "max_high", "approximate"},
        "live_range": same over claims not superseded, "state": "recorded" | "not_yet_recorded"}``.
        A high of None is unbounded, in the range too (``max_high`` None: some source put no
        ceiling on it). As of a time before the figure was recorded: ``current`` None, no
        claims, ``state`` "not_yet_recorded"; NotFound only for an id never recorded. With
        ``published_by``, each source's latest claim published by then (projections/publication.py).
        """
        t, cut = read_time(as_of), check_published_by(published_by)
        fid = str(figure_id)
        echo = {"figure_id": fid, "as_of": iso_as_of(as_of), **published_echo(cut)}
        with self.db.snapshot() as c:
            current = figure_at(self.db, c, t, fid, cut, include_protected)
            if current is None:
                if figure_at(self.db, c, OPEN - 1, fid) is None:
                    raise NotFound("figure", figure_id)
                return {**echo, "current": None, "claims": [],
                        "range": _range([]), "live_range": _range([]), "state": "not_yet_recorded"}
            rows = [] if cut is None else claims_published_by(self.db, c, t, cut, [fid], include_protected)
            # Each source's claim as of t: one seek per source that ever claimed on the figure.
            source = None if cut is not None else self.db.value(
                c, "SELECT MIN(source_id) FROM {claim_versions} WHERE figure_id = ?", (fid,))
            while source is not None:
                row = self.db.one(
                    c,
                    f"SELECT {_Claim.columns} FROM {{claim_versions}} WHERE figure_id = ? AND source_id = ?"
                    " AND recorded_from <= ? ORDER BY recorded_from DESC, figure_version DESC LIMIT 1",
                    (fid, source, t), shape=_Claim,
                )
                if row is not None and row.recorded_to > t:
                    rows.append(row)
                source = self.db.value(c, "SELECT MIN(source_id) FROM {claim_versions} WHERE figure_id = ?"
                                          " AND source_id > ?", (fid, source))
            rows.sort(key=lambda r: (r.claimed_at, r.claim_version))
            sources = source_cards(self.db, c, {r.source_id for r in rows} | {current.value_source_id},
                                   include_protected)
        claims = [
            {"source": sources.ref(r.source_id), "report_id": None if sources.hidden(r.source_id) else r.report_id,
             "value": sources.value(orjson.loads(r.value), r.source_id), "qualifier": r.qualifier, "low": r.low,
             "high": r.high, "superseded": bool(r.superseded), "claimed_at": iso(r.claimed_at),
             "version": r.claim_version}
            for r in rows
        ]
        return {
            **echo, "current": render_figure(current, sources, t, self.terms),
            "claims": claims, "range": _range(claims), "live_range": _range([x for x in claims if not x["superseded"]]),
            "state": "recorded",
        }


def figure_at(db: Db, c: Any, t: int, fid: str, cut: int | None = None, include_protected: bool = False) -> Any:
    """The figure's version live at t (cut at publication time ``cut``, as live_figures places
    the words for this caller), or None."""
    if cut is not None:
        rows = live_figures(db, c, t, FigureVersion, figure_id=fid, published_by=cut,
                            include_protected=include_protected)
        return rows[0] if rows else None
    # The latest start at or before t is the live version (one seek, however long the history);
    # of two versions starting at the same instant the later one stands.
    row = db.one(c, f"SELECT {FigureVersion.columns} FROM {{figure_versions}} fv WHERE fv.figure_id = ?"
                    " AND fv.recorded_from <= ? ORDER BY fv.recorded_from DESC, fv.version DESC LIMIT 1",
                 (fid, t), shape=FigureVersion)
    return row if row is not None and row.recorded_to > t else None


def _range(claims: list[dict[str, Any]]) -> dict[str, Any]:
    if not claims:
        return {"sources": 0, "min_low": None, "max_low": None, "min_high": None, "max_high": None,
                "approximate": False}
    lows = [x["low"] for x in claims]
    bounded = [x["high"] for x in claims if x["high"] is not None]
    return {
        "sources": len(claims), "min_low": min(lows), "max_low": max(lows),
        "min_high": min(bounded) if bounded else None,
        "max_high": max(bounded) if len(bounded) == len(claims) else None,
        # A bound that is the ledger's reading of "about" says so, as a tally containing one does.
        "approximate": any(is_approximate(x["qualifier"]) for x in claims),
    }
