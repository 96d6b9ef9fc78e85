"""The read side's questions, answered from the view tables only (never by replaying the log).

Every answer is plain JSON-ready data: dicts, lists, strings, integers, None. Times are ISO
8601 UTC text ('2019-05-01T10:00:00.000000Z'), dates 'YYYY-MM-DD'.

Common arguments:

- ``as_of``: a timezone-aware datetime in *recording* time: the answer the ledger would
  have given at that instant (None: now). Read with ``recorded_from <= T < recorded_to``
  on indexed version tables.
- ``valid_from`` / ``valid_to``: a window in *valid* time (dates). An incident counts where
  its period overlaps the window; an open-ended period reaches to infinity. The period used
  is the one recorded as of ``as_of``.
- ``place``: only incidents whose places include it (case-blind, as written).
- ``include_protected``: False hides protected sources (redaction.py); answers that name no
  source (tallies, checks) accept it for a uniform call and are the same either way.

Lists are pages: ``{"items": [...], "next_cursor": str | None}``; pass the cursor back to
get the next page (keyset pagination: stable while the views grow).

Bad input raises ledger.errors.InvalidInput (naming the field); an unknown or hidden record
raises ledger.errors.NotFound, the same way for both, so a hidden source cannot be told
from one that does not exist.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

import orjson

from ledger import vocabulary
from ledger.errors import InvalidInput, NotFound
from ledger.store import Store
from ledger.tally import ZERO, Part, Tally
from projections import breakdown_checks as checks, history, oneshot, tallies
from projections.db import OPEN, Db
from projections.by_id import RecordReads
from projections.figures import canonical
from projections.follower import UPSTREAM
from projections.redaction import PROTECTED, SourceCard, Sources
from projections.views_schema import DEFAULT_NAME
from projections.times import as_of_micros, day, iso, micros

MAX_LIMIT = 500

_FIGURE_COLUMNS = (
    "fv.figure_id, fv.version, fv.recorded_from, fv.recorded_to, fv.recorded_at, fv.actor, fv.kind, fv.reason,"
    " fv.source_id, fv.report_id, fv.evidence, fv.replaces, fv.value_changed, fv.incident_id, fv.metric,"
    " fv.breakdown, fv.value, fv.value_source_id, fv.status, fv.grade"
)
_CITATION_COLUMNS = (
    "citation_id, target_kind, target_id, source_id, url, quote, quote_en, page, accessed_on, sha256, cited_at,"
    " cited_by, withdrawn_at, withdrawn_by, withdrawn_reason"
)
_SOURCE_COLUMNS = "source_id, name, name_en, kind, url, language, protected, version, registered_at, registered_by"
_REPORT_COLUMNS = (
    "r.report_id, r.source_id, r.title, r.title_en, r.language, r.published_on, r.url, r.reference,"
    " r.period_from, r.period_to, r.places, r.figure_ids, r.filed_at, r.filed_by"
)
_INCIDENT_COLUMNS = (
    "i.incident_id, i.title, i.title_en, i.description, i.places, iv.valid_from, iv.valid_to, iv.version,"
    " i.recorded_at, i.recorded_by, iv.recorded_from, iv.kind, iv.reason"
)


#: The running tally of one (metric, dimension, value) as it stood at t.
_TOTAL_AT = ("SELECT recorded_to, low, high_sum, unbounded, figures FROM {tally_versions}"
             " WHERE metric = ? AND dimension = ? AND value = ? AND recorded_from <= ?"
             " ORDER BY recorded_from DESC LIMIT 1")


class Reader(RecordReads):
    """Queries over projection ``name`` (default: the live views) of ``store``."""

    def __init__(self, store: Store, *, name: str = DEFAULT_NAME, pool_size: int | None = None) -> None:
        self.db = Db(store, name, pool_size=pool_size)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def position(self) -> int:
        """The last notification id the views reflect."""
        return self.db.tracking.max_tracking_id(UPSTREAM) or 0

    # ---- tallies -------------------------------------------------------------------------

    def tally(
        self, metric: str, *, by: str | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        figure_ids: bool = False, include_protected: bool = False,
    ) -> dict[str, Any]:
        """A metric summed across incidents (ledger/tally.py says what each incident contributes).

        Returns ``{"metric", "by", "as_of", "valid_from", "valid_to", "place",
        "sum": {"low", "high", "kind", "figures", "figure_ids"},
        "groups": [{"value", "low", "high", "kind", "figures", "figure_ids"}]  (by a dimension; else []),
        "from_parts": [{"incident_id", "dimension", "low", "high": None, "figure_ids"}]}``.

        The lists of figure ids (and ``from_parts``) come only with ``figure_ids=True``. Without
        them, and with no window and no place, the sums come from the running tallies
        (running.py): one index lookup per group, now or as of any T, however long the ledger.
        With the lists, or with a window or place, the figures are read and summed (cost grows
        with the metric's figures).
        """
        metric, by = _metric(metric), _dimension(by, "by")
        t, (wf, wt), place_key = as_of_micros(_aware(as_of)), _window(valid_from, valid_to), _place(place)
        echo = self._echo(metric, by, as_of, wf, wt, place)
        if not figure_ids and wf is None and wt is None and place_key is None:
            if by is None:  # one statement: no transaction around it
                return {**echo, **self._running_tally(self._oneshot_row, t, metric, by), "from_parts": None}
            with self.db.snapshot() as c:
                return {**echo, **self._running_tally(partial(self.db.one, c), t, metric, by), "from_parts": None}
        with self.db.snapshot() as c:
            rows = self._live_figures(
                c, t, "fv.figure_id, fv.incident_id, fv.dims, fv.depth, fv.dim_value, fv.low, fv.high",
                metric=metric, status="active", max_depth=1 if by is None else None, dims=by,
                window=(wf, wt), place=place_key,
            )
        result = tallies.tally([Part(*row) for row in rows], by)
        if not figure_ids:
            result = _without_ids(result)
        return {**echo, **result}

    def _oneshot_row(self, text: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        rows = oneshot.read(self.db, text, params)
        return rows[0] if rows else None

    def _running_tally(self, one: Callable[[str, Sequence[Any]], Any], t: int, metric: str,
                       by: str | None) -> dict[str, Any]:
        """The sums as of t from the running tallies: one lookup per group (``one`` reads a row)."""
        dimension = by or ""
        values = [""]
        if by is not None:
            values = []
            # A skip scan over the primary key: one seek per group, however many rows each has.
            last = one("SELECT MIN(value) FROM {tally_versions} WHERE metric = ? AND dimension = ?",
                       (metric, dimension))
            while last is not None and last[0] is not None:
                values.append(last[0])
                last = one("SELECT MIN(value) FROM {tally_versions} WHERE metric = ? AND dimension = ? AND value > ?",
                           (metric, dimension, last[0]))
        total = ZERO
        groups = []
        for value in values:
            row = one(_TOTAL_AT, (metric, dimension, value, t))
            if row is None or row[0] <= t or row[4] == 0:
                continue
            group = Tally._make(row[1:5])
            total += group
            if by is not None:
                groups.append({"value": value, **group.as_dict()})
        return {"sum": total.as_dict(), "groups": groups}

    def tally_by_source(
        self, metric: str, *, breakdown: dict[str, str] | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        include_protected: bool = False,
    ) -> dict[str, Any]:
        """Each source's latest claims on the metric's figures of one breakdown (default: totals), summed.

        A source's latest claim on a figure counts whether or not the ledger later superseded it
        (``superseded`` says how many were); retracted figures are left out. Returns
        ``{"metric", "breakdown", "as_of", "valid_from", "valid_to", "place",
        "sources": [{"source", "low", "high", "kind", "figure_ids", "superseded"}]}``;
        public sources by name, then hidden ones (``"source": "protected"``).
        """
        metric = _metric(metric)
        breakdown = _breakdown(breakdown) or {}
        t, (wf, wt), place_key = as_of_micros(_aware(as_of)), _window(valid_from, valid_to), _place(place)
        with self.db.snapshot() as c:
            joins, params, where = self._figure_filters(
                t, metric=metric, status="active", breakdown=breakdown, window=(wf, wt), place=place_key)
            rows = self.db.all(
                c,
                "SELECT cv.source_id, cv.figure_id, cv.low, cv.high, cv.superseded FROM {figure_versions} fv"
                f" {joins} JOIN {{claim_versions}} cv ON cv.figure_id = fv.figure_id"
                " AND cv.recorded_from <= ? AND cv.recorded_to > ?"
                f" WHERE {where}",
                (*params[0], t, t, *params[1]),
            )
            sources = self._sources(c, {r[0] for r in rows}, include_protected)
        per_source: dict[str, Tally] = defaultdict(Tally)
        ids: dict[str, list[str]] = defaultdict(list)
        superseded: dict[str, int] = defaultdict(int)
        for source_id, figure_id, low, high, was_superseded in rows:
            per_source[source_id] += Tally.of(low, high)
            ids[source_id].append(figure_id)
            superseded[source_id] += was_superseded
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
        return {**self._echo(metric, None, as_of, wf, wt, place), "breakdown": breakdown, "sources": entries}

    def breakdown_checks(
        self, *, metric: str | None = None, incident_id: str | None = None, dimension: str | None = None,
        totals_only: bool = False, as_of: datetime | None = None, valid_from: date | None = None,
        valid_to: date | None = None, place: str | None = None, include_protected: bool = False,
    ) -> list[dict[str, Any]]:
        """Sum of parts against each total (see checks.py). One dict per (total, dimension):

        ``{"incident_id", "metric", "dimension", "total": {"figure_id", "breakdown", "low", "high"},
        "parts": [{"value", "figure_id", "low", "high"}], "parts_low", "parts_high",
        "status": "complete" | "remainder" | "parts_exceed_low" | "inconsistent",
        "remainder": {"low", "high"} | None, "excess": int | None}``.
        """
        metric = None if metric is None else _metric(metric)
        dimension = _dimension(dimension, "dimension")
        t, (wf, wt), place_key = as_of_micros(_aware(as_of)), _window(valid_from, valid_to), _place(place)
        with self.db.snapshot() as c:
            rows = self._live_figures(
                c, t, "fv.figure_id, fv.incident_id, fv.metric, fv.breakdown, fv.low, fv.high",
                metric=metric, incident_id=incident_id, status="active", window=(wf, wt), place=place_key,
            )
        readings = [checks.Reading(fid, iid, m, orjson.loads(b), low, high) for fid, iid, m, b, low, high in rows]
        return checks.breakdown_checks(readings, dimension=dimension, totals_only=totals_only)

    def tally_history(
        self, metric: str, *, by: str | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        include_protected: bool = False,
    ) -> dict[str, Any]:
        """How the tally moved in recording time: ``{"metric", "by", ..., "points": [...]}``.

        One point per instant at which the sum changed: ``{"recorded_at", "low", "high", "kind",
        "figures", "groups" (with by), "moved_by": [{"figure_id" | "incident_id", "version",
        "event", "actor"}]}``. ``tally(as_of=point's time)`` reads the same numbers.
        """
        metric, by = _metric(metric), _dimension(by, "by")
        t, (wf, wt), place_key = as_of_micros(_aware(as_of)), _window(valid_from, valid_to), _place(place)
        echo = self._echo(metric, by, as_of, wf, wt, place)
        windowed = wf is not None or wt is not None
        if not windowed and place_key is None:
            with self.db.snapshot() as c:
                return {**echo, "points": self._running_history(c, t, metric, by)}
        shape = ("fv.depth <= ?", 1) if by is None else ("fv.dims = ?", by)
        place_clause = ""
        params: list[Any] = [metric, shape[1], t]
        if place_key is not None:
            place_clause = " AND fv.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)"
            params.append(place_key)
        with self.db.snapshot() as c:
            figure_rows = self.db.all(
                c,
                "SELECT fv.recorded_from, fv.version, fv.figure_id, fv.incident_id, fv.dims, fv.depth, fv.dim_value,"
                " fv.low, fv.high, fv.status, fv.kind, fv.actor FROM {figure_versions} fv"
                f" WHERE fv.metric = ? AND {shape[0]} AND fv.recorded_from <= ?{place_clause}",
                params,
            )
            period_rows = [] if not windowed else self.db.all(
                c,
                "SELECT iv.recorded_from, iv.version, iv.incident_id, iv.valid_from, iv.valid_to, iv.kind, iv.actor"
                " FROM {incident_versions} iv WHERE iv.recorded_from <= ? AND iv.incident_id IN"
                " (SELECT DISTINCT incident_id FROM {figures} WHERE metric = ?)",
                (t, metric),
            )
        points = history.tally_points(
            [history.FigureChange(*r) for r in figure_rows], [history.PeriodChange(*r) for r in period_rows],
            by=by, window_from=wf, window_to=wt,
        )
        return {**echo, "points": points}

    def _running_history(self, c: Any, t: int, metric: str, by: str | None) -> list[dict[str, Any]]:
        """The points of a tally with no window or place, read off the running tallies."""
        rows = self.db.all(
            c,
            "SELECT value, recorded_from, low, high_sum, unbounded, figures FROM {tally_versions}"
            " WHERE metric = ? AND dimension = ? AND recorded_from <= ? ORDER BY recorded_from, value",
            (metric, by or "", t),
        )
        shape, shape_value = ("depth <= ?", 1) if by is None else ("dims = ?", by)
        groups: dict[str, Tally] = {}
        states: list[tuple[int, Any]] = []
        i = 0
        while i < len(rows):
            at = rows[i][1]
            while i < len(rows) and rows[i][1] == at:
                groups[rows[i][0]] = Tally._make(rows[i][2:6])
                i += 1
            states.append((at, _history_state(groups)))
        points: list[dict[str, Any]] = []
        last: Any = ((0, 0, 0), ())
        kept = []
        for at, state in states:
            if state != last:
                kept.append((at, state))
                last = state
        moved = self._moved_by(c, metric, shape, shape_value, [at for at, _ in kept])
        for at, state in kept:
            points.append({"recorded_at": iso(at), **history.render(state, by), "moved_by": sorted(moved.get(at, []), key=history.moved_order)})
        return points

    def _moved_by(self, c: Any, metric: str, shape: str, shape_value: Any, times: list[int]) -> dict[int, list]:
        moved: dict[int, list] = defaultdict(list)
        for start in range(0, len(times), 400):
            chunk = times[start:start + 400]
            for at, fid, version, event, actor in self.db.all(
                c,
                "SELECT recorded_from, figure_id, version, kind, actor FROM {figure_versions} WHERE metric = ?"
                f" AND {shape} AND recorded_from IN ({', '.join('?' * len(chunk))}) ORDER BY recorded_from, figure_id",
                (metric, shape_value, *chunk),
            ):
                moved[at].append({"figure_id": fid, "version": version, "event": event, "actor": actor})
        return moved

    # ---- figures ---------------------------------------------------------------------------

    def figure(self, figure_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """The figure as of T: ``{"figure_id", "incident_id", "metric", "breakdown", "version", "value",
        "status", "grade", "value_source", "recorded_at", "recorded_to"}``."""
        t = as_of_micros(_aware(as_of))
        with self.db.snapshot() as c:
            row = self._figure_at(c, t, str(figure_id))
            if row is None:
                raise NotFound("figure", figure_id)
            sources = self._sources(c, {row[17]}, include_protected)
        return _figure(row, sources, t)

    def _figure_at(self, c: Any, t: int, fid: str) -> tuple | None:
        # The latest start at or before t is the live version (one seek, however long the history);
        # of two versions starting at the same instant the later one stands.
        row = self.db.one(c, f"SELECT {_FIGURE_COLUMNS} FROM {{figure_versions}} fv WHERE fv.figure_id = ?"
                             " AND fv.recorded_from <= ? ORDER BY fv.recorded_from DESC, fv.version DESC LIMIT 1",
                          (fid, t))
        return row if row is not None and row[3] > t else None

    def figures(
        self, *, incident_id: str | None = None, metric: str | None = None, dimension: str | None = None,
        breakdown: dict[str, str] | None = None, status: str | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        cursor: str | None = None, limit: int = 50, include_protected: bool = False,
    ) -> dict[str, Any]:
        """A page of figures as of T, in figure-id order: ``{"items": [figure...], "next_cursor"}``.

        ``dimension``: figures broken down by it (among others); ``breakdown``: exactly this one
        (``{}`` for totals); ``status``: "active" or "retracted".
        """
        metric = None if metric is None else _metric(metric)
        dimension = _dimension(dimension, "dimension")
        breakdown = _breakdown(breakdown)
        if status not in (None, "active", "retracted"):
            raise InvalidInput(f"status {status!r} is not known; use active or retracted", field="status")
        limit = _limit(limit)
        after = _decode_cursor("figures", cursor)
        t, (wf, wt), place_key = as_of_micros(_aware(as_of)), _window(valid_from, valid_to), _place(place)
        with self.db.snapshot() as c:
            rows = self._live_figures(
                c, t, _FIGURE_COLUMNS, metric=metric, incident_id=incident_id, status=status, dimension=dimension,
                breakdown=breakdown, window=(wf, wt), place=place_key, after=after, limit=limit + 1,
            )
            sources = self._sources(c, {r[17] for r in rows}, include_protected)
        items = [_figure(r, sources, t) for r in rows[:limit]]
        return _page("figures", "figure_id", items, len(rows) > limit)

    def figure_history(
        self, figure_id: str, *, as_of: datetime | None = None, cursor: str | None = None, limit: int = 100,
        citation_index: bool = False, include_protected: bool = False,
    ) -> dict[str, Any]:
        """Every state the figure has been in, oldest first, a page at a time, with the citations live on each.

        ``{"figure_id", "incident_id", "metric", "breakdown",
        "versions": [{"version", "recorded_at", "recorded_to", "actor", "event", "reason", "value",
        "value_changed", "status", "grade", "value_source", "source", "report_id", "evidence",
        "replaces", "citations": [citation...]}],
        "next_cursor": str | None}``.

        ``event`` is stated, claimed, adopted, corrected, superseded, retracted or regraded. A
        version's citations are those live on the figure at any moment while it stood (cited
        before it was replaced, not withdrawn before it was recorded), each with its
        ``cited_at`` and ``withdrawn_at``. ``evidence`` lists a correction's citation ids, a
        hidden source's citation as ``"protected"``.

        ``citation_index=True`` gives each citation once, in a top-level ``"citations"`` list,
        and each version's ``"citations"`` as positions in it: for a figure cited hundreds of
        times over many versions the inline form repeats every citation in every version.
        """
        t = as_of_micros(_aware(as_of))
        fid = str(figure_id)
        limit = _limit(limit)
        after = _decode_cursor("figure_history", cursor)
        with self.db.snapshot() as c:
            params: list[Any] = [fid, t]
            keyset = ""
            if after is not None:
                start, version = _history_key(after)
                keyset = " AND (fv.recorded_from, fv.version) > (?, ?)"
                params += [start, version]
            rows = self.db.all(c, f"SELECT {_FIGURE_COLUMNS} FROM {{figure_versions}} fv WHERE fv.figure_id = ?"
                                  f" AND fv.recorded_from <= ?{keyset} ORDER BY fv.recorded_from, fv.version LIMIT ?",
                               (*params, limit + 1))
            if not rows:
                if after is None:
                    raise NotFound("figure", figure_id)
                # Past the last version: an empty last page; an unknown id is unknown whatever the cursor.
                first_row = self._figure_at(c, OPEN - 1, fid)
                if first_row is None:
                    raise NotFound("figure", figure_id)
                return {"figure_id": fid, "incident_id": first_row[13], "metric": first_row[14],
                        "breakdown": orjson.loads(first_row[15]), "versions": [], "next_cursor": None}
            page, more = rows[:limit], len(rows) > limit
            # Only the citations that overlap the page's span of recording time.
            span_from, span_to = page[0][2], min(page[-1][3], t + 1)
            cites = self.db.all(c, f"SELECT {_CITATION_COLUMNS} FROM {{citations}} WHERE target_id = ?"
                                   " AND cited_at < ? AND cited_at <= ? AND withdrawn_at > ?"
                                   " ORDER BY cited_at, citation_id", (fid, span_to, t, span_from))
            evidence = sorted({e for r in page if r[10] for e in orjson.loads(r[10])} - {ct[0] for ct in cites})
            if evidence:
                cites_by_id = self.db.all(c, "SELECT citation_id, source_id FROM {citations}"
                                             f" WHERE citation_id IN ({', '.join('?' * len(evidence))})", evidence)
            else:
                cites_by_id = []
            ids = {r[8] for r in page} | {r[17] for r in page} | {r[3] for r in cites} | {x[1] for x in cites_by_id}
            for r in page:
                ids.update(orjson.loads(r[11]) if r[11] else ())
            sources = self._sources(c, ids, include_protected)
        citations = [_citation(ct, sources, t) for ct in cites]
        hidden_citations = {ct[0] for ct in cites if sources.hidden(ct[3])} | {
            cid for cid, source_id in cites_by_id if sources.hidden(source_id)}
        versions = []
        for r in page:
            start, end = r[2], min(r[3], t + 1)
            hidden = sources.hidden(r[8])
            versions.append({
                "version": r[1], "recorded_at": iso(r[4]), "recorded_to": iso(r[3]) if r[3] <= t else None,
                "actor": r[5], "event": r[6], "reason": r[7],
                "value": sources.value(orjson.loads(r[16]), r[17]), "value_changed": bool(r[12]),
                "status": r[18], "grade": r[19], "value_source": sources.ref(r[17]),
                "source": sources.ref(r[8]), "report_id": None if hidden else r[9],
                "evidence": [PROTECTED if e in hidden_citations else e for e in orjson.loads(r[10])] if r[10] else None,
                "replaces": [sources.ref(x) for x in orjson.loads(r[11])] if r[11] else None,
                "citations": [n for n, ct in enumerate(cites) if ct[10] < end and min(ct[12], t + 1) > start],
            })
        if not citation_index:
            # The same dict objects, shared: the cost of the inline form is in its size, not in rendering.
            for v in versions:
                v["citations"] = [citations[n] for n in v["citations"]]
        last = page[-1]
        first = page[0]
        out = {"figure_id": fid, "incident_id": first[13], "metric": first[14], "breakdown": orjson.loads(first[15]),
               "versions": versions,
               "next_cursor": _encode_cursor("figure_history", f"{last[2]}:{last[1]}") if more else None}
        if citation_index:
            out["citations"] = citations
        return out

    def spread(self, figure_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """Each source's latest claim on the figure as of T, the range across them, and the ledger's value.

        ``{"figure_id", "as_of", "current": figure, "claims": [{"source", "report_id", "value",
        "qualifier", "low", "high", "superseded", "claimed_at", "version"}],
        "range": {"sources", "min_low", "max_low", "min_high", "max_high"},
        "live_range": same over claims not superseded}``. A high of None is unbounded, in the
        range too (``max_high`` None: some source put no ceiling on it).
        """
        t = as_of_micros(_aware(as_of))
        fid = str(figure_id)
        with self.db.snapshot() as c:
            current = self._figure_at(c, t, fid)
            if current is None:
                raise NotFound("figure", figure_id)
            rows = []
            # Each source's claim as of t: one seek per source that ever claimed on the figure.
            source = self.db.one(c, "SELECT MIN(source_id) FROM {claim_versions} WHERE figure_id = ?", (fid,))
            while source is not None and source[0] is not None:
                row = self.db.one(
                    c,
                    "SELECT source_id, report_id, value, qualifier, low, high, superseded, claimed_at, claim_version,"
                    " recorded_to FROM {claim_versions} WHERE figure_id = ? AND source_id = ? AND recorded_from <= ?"
                    " ORDER BY recorded_from DESC, figure_version DESC LIMIT 1",
                    (fid, source[0], t),
                )
                if row is not None and row[9] > t:
                    rows.append(row[:9])
                source = self.db.one(c, "SELECT MIN(source_id) FROM {claim_versions} WHERE figure_id = ?"
                                        " AND source_id > ?", (fid, source[0]))
            rows.sort(key=lambda r: (r[7], r[8]))
            sources = self._sources(c, {r[0] for r in rows} | {current[17]}, include_protected)
        claims = [
            {"source": sources.ref(s), "report_id": None if sources.hidden(s) else report_id,
             "value": sources.value(orjson.loads(value), s), "qualifier": qualifier, "low": low, "high": high,
             "superseded": bool(sup), "claimed_at": iso(at), "version": version}
            for s, report_id, value, qualifier, low, high, sup, at, version in rows
        ]
        return {
            "figure_id": fid, "as_of": _iso_as_of(as_of), "current": _figure(current, sources, t),
            "claims": claims, "range": _range(claims), "live_range": _range([x for x in claims if not x["superseded"]]),
        }

    # ---- records ---------------------------------------------------------------------------

    def incidents(
        self, *, as_of: datetime | None = None, valid_from: date | None = None, valid_to: date | None = None,
        place: str | None = None, cursor: str | None = None, limit: int = 50, include_protected: bool = False,
        titled: str | None = None,
    ) -> dict[str, Any]:
        """A page of incidents as of T (period as recorded then), in id order; ``titled`` keeps
        those whose title (or English title) contains the words, so a picker finds any of them."""
        limit = _limit(limit)
        after = _decode_cursor("incidents", cursor)
        t, (wf, wt), place_key = as_of_micros(_aware(as_of)), _window(valid_from, valid_to), _place(place)
        where, params = _window_clause("iv", wf, wt)
        if place_key is not None:
            where.append("i.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)")
            params.append(place_key)
        if titled:
            where.append("(lower(i.title) LIKE ? ESCAPE '!' OR lower(i.title_en) LIKE ? ESCAPE '!')")
            params.extend([_containing(titled)] * 2)
        if after is not None:
            where.append("i.incident_id > ?")
            params.append(after)
        with self.db.snapshot() as c:
            rows = self.db.all(
                c,
                f"SELECT {_INCIDENT_COLUMNS} FROM {{incidents}} i JOIN {{incident_versions}} iv"
                " ON iv.incident_id = i.incident_id AND iv.recorded_from <= ? AND iv.recorded_to > ?"
                f"{''.join(' AND ' + w for w in where)} ORDER BY i.incident_id LIMIT ?",
                (t, t, *params, limit + 1),
            )
        items = [_incident(r) for r in rows[:limit]]
        return _page("incidents", "incident_id", items, len(rows) > limit)

    def incident(self, incident_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """``{"incident_id", "title", "title_en", "description", "places", "valid_from", "valid_to",
        "version", "recorded_at", "recorded_by", "period_recorded_at", "period_reason"}``."""
        t = as_of_micros(_aware(as_of))
        with self.db.snapshot() as c:
            row = self.db.one(
                c,
                f"SELECT {_INCIDENT_COLUMNS} FROM {{incidents}} i JOIN {{incident_versions}} iv"
                " ON iv.incident_id = i.incident_id AND iv.recorded_from <= ? AND iv.recorded_to > ?"
                " WHERE i.incident_id = ?",
                (t, t, str(incident_id)),
            )
        if row is None:
            raise NotFound("incident", incident_id)
        return _incident(row)

    def sources(
        self, *, as_of: datetime | None = None, cursor: str | None = None, limit: int = 50,
        include_protected: bool = False, named: str | None = None,
    ) -> dict[str, Any]:
        """A page of sources registered by T, in id order; protected ones only with include_protected;
        ``named`` keeps those whose name (or English name) contains the words."""
        limit = _limit(limit)
        after = _decode_cursor("sources", cursor)
        t = as_of_micros(_aware(as_of))
        where, params = ["registered_at <= ?"], [t]
        if not include_protected:
            where.append("protected = 0")
        if named:
            where.append("(lower(name) LIKE ? ESCAPE '!' OR lower(name_en) LIKE ? ESCAPE '!')")
            params.extend([_containing(named)] * 2)
        if after is not None:
            where.append("source_id > ?")
            params.append(after)
        with self.db.snapshot() as c:
            rows = self.db.all(c, f"SELECT {_SOURCE_COLUMNS} FROM {{sources}} WHERE {' AND '.join(where)}"
                                  " ORDER BY source_id LIMIT ?", (*params, limit + 1))
        items = [_source(r) for r in rows[:limit]]
        return _page("sources", "source_id", items, len(rows) > limit)

    def source(self, source_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """``{"source_id", "name", "name_en", "kind", "url", "language", "protected", "version",
        "registered_at", "registered_by"}``; a protected source is NotFound without include_protected."""
        t = as_of_micros(_aware(as_of))
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_SOURCE_COLUMNS} FROM {{sources}} WHERE source_id = ? AND registered_at <= ?",
                              (str(source_id), t))
        if row is None or (row[6] and not include_protected):
            raise NotFound("source", source_id)
        return _source(row)

    def reports(
        self, *, source_id: str | None = None, as_of: datetime | None = None, cursor: str | None = None,
        limit: int = 50, include_protected: bool = False,
    ) -> dict[str, Any]:
        """A page of reports filed by T, in id order. A protected source's reports are left out
        without include_protected: a report's title and link name its source."""
        limit = _limit(limit)
        after = _decode_cursor("reports", cursor)
        t = as_of_micros(_aware(as_of))
        where, params = ["r.filed_at <= ?"], [t]
        if not include_protected:
            where.append("s.protected = 0")
        if source_id is not None:
            where.append("r.source_id = ?")
            params.append(str(source_id))
        if after is not None:
            where.append("r.report_id > ?")
            params.append(after)
        with self.db.snapshot() as c:
            rows = self.db.all(
                c,
                f"SELECT {_REPORT_COLUMNS} FROM {{reports}} r JOIN {{sources}} s ON s.source_id = r.source_id"
                f" WHERE {' AND '.join(where)} ORDER BY r.report_id LIMIT ?",
                (*params, limit + 1),
            )
            sources = self._sources(c, {r[1] for r in rows}, include_protected)
        items = [_report(r, sources) for r in rows[:limit]]
        return _page("reports", "report_id", items, len(rows) > limit)

    def report(self, report_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """``{"report_id", "source", "title", "title_en", "language", "published_on", "url", "reference",
        "period_from", "period_to", "places", "figure_ids", "filed_at", "filed_by"}``."""
        t = as_of_micros(_aware(as_of))
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_REPORT_COLUMNS} FROM {{reports}} r WHERE r.report_id = ? AND r.filed_at <= ?",
                              (str(report_id), t))
            sources = self._sources(c, {row[1]} if row else set(), include_protected)
        if row is None or sources.hidden(row[1]):
            raise NotFound("report", report_id)
        return _report(row, sources)

    def citations(
        self, target_id: str, *, as_of: datetime | None = None, include_withdrawn: bool = True,
        include_protected: bool = False,
    ) -> list[dict[str, Any]]:
        """The citations of a report or figure made by T, oldest first (withdrawn ones marked, as of T).

        ``{"citation_id", "target_kind", "target_id", "source", "url", "quote", "quote_en", "page",
        "accessed_on", "sha256", "cited_at", "cited_by", "withdrawn", "withdrawn_at", "withdrawn_by",
        "withdrawn_reason"}``; a hidden source's citation is ``{"source": "protected", "withdrawn",
        "cited_at"}``.
        """
        t = as_of_micros(_aware(as_of))
        with self.db.snapshot() as c:
            rows = self.db.all(c, f"SELECT {_CITATION_COLUMNS} FROM {{citations}}"
                                  " WHERE target_id = ? AND cited_at <= ? ORDER BY cited_at, citation_id",
                               (str(target_id), t))
            sources = self._sources(c, {r[3] for r in rows}, include_protected)
        out = [_citation(r, sources, t) for r in rows]
        return out if include_withdrawn else [x for x in out if not x["withdrawn"]]

    # ---- the SQL they share ----------------------------------------------------------------

    def _figure_filters(
        self, t: int, *, metric: str | None = None, incident_id: str | None = None, figure_id: str | None = None,
        status: str | None = None, max_depth: int | None = None, dims: str | None = None,
        breakdown: dict[str, str] | None = None, dimension: str | None = None,
        window: tuple[str | None, str | None] = (None, None), place: str | None = None, after: str | None = None,
    ) -> tuple[str, tuple[list[Any], list[Any]], str]:
        """Joins, their parameters and the WHERE of "figure versions live at t" under these filters.

        With a window, the incident's version at t is joined for its period as recorded then.
        """
        windowed = window[0] is not None or window[1] is not None
        join_params: list[Any] = [t, t] if windowed else []
        joins = ("JOIN {incident_versions} iv ON iv.incident_id = fv.incident_id"
                 " AND iv.recorded_from <= ? AND iv.recorded_to > ?") if windowed else ""
        if t >= OPEN - 1:
            # Now: the open versions, by equality (the planner then never prefers a history index).
            where, params = ["fv.recorded_to = ?"], [OPEN]
        else:
            # The unary plus keeps SQLite off the (metric, recorded_from) index, which would read
            # the metric's whole history before T; PostgreSQL reads it as a no-op and plans by statistics.
            where, params = ["+fv.recorded_from <= ?", "fv.recorded_to > ?"], [t, t]
        for clause, value in (
            ("fv.figure_id = ?", figure_id), ("fv.metric = ?", metric), ("fv.incident_id = ?", incident_id),
            ("fv.status = ?", status), ("fv.depth <= ?", max_depth), ("fv.dims = ?", dims),
            ("fv.breakdown = ?", None if breakdown is None else canonical(breakdown)),
            ("fv.figure_id IN (SELECT figure_id FROM {figure_dimensions} WHERE dimension = ?)", dimension),
            ("fv.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)", place),
            ("fv.figure_id > ?", after),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        window_where, window_params = _window_clause("iv", *window)
        where += window_where
        params += window_params
        return joins, (join_params, params), " AND ".join(where)

    def _live_figures(self, c: Any, t: int, columns: str, *, limit: int | None = None, **filters: Any) -> list[tuple]:
        joins, (join_params, params), where = self._figure_filters(t, **filters)
        tail = " ORDER BY fv.figure_id" + (" LIMIT ?" if limit is not None else "")
        return self.db.all(c, f"SELECT {columns} FROM {{figure_versions}} fv {joins} WHERE {where}{tail}",
                           (*join_params, *params, *(() if limit is None else (limit,))))

    def _sources(self, c: Any, ids: set[str | None], include_protected: bool) -> Sources:
        wanted = sorted(i for i in ids if i)
        cards = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self.db.all(c, "SELECT source_id, name, name_en, kind, protected FROM {sources}"
                                  f" WHERE source_id IN ({', '.join('?' * len(chunk))})", chunk)
            cards += [SourceCard(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]
        return Sources(cards, include_protected)

    @staticmethod
    def _echo(metric: str, by: str | None, as_of: datetime | None, wf: str | None, wt: str | None,
              place: str | None) -> dict[str, Any]:
        return {"metric": metric, "by": by, "as_of": _iso_as_of(as_of), "valid_from": wf, "valid_to": wt,
                "place": place}


def _history_state(groups: dict[str, Tally]) -> Any:
    total = sum(groups.values(), ZERO)
    return ((total.low, total.high, total.figures),
            tuple((v, g.low, g.high, g.figures) for v, g in sorted(groups.items()) if v != "" and g.figures))


def _without_ids(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "sum": {k: v for k, v in result["sum"].items() if k != "figure_ids"},
        "groups": [{k: v for k, v in g.items() if k != "figure_ids"} for g in result["groups"]],
        "from_parts": None,
    }


# ---- rendering -------------------------------------------------------------------------------


def _figure(r: tuple, sources: Sources, t: int) -> dict[str, Any]:
    return {
        "figure_id": r[0], "incident_id": r[13], "metric": r[14], "breakdown": orjson.loads(r[15]),
        "version": r[1], "value": sources.value(orjson.loads(r[16]), r[17]), "status": r[18], "grade": r[19],
        "value_source": sources.ref(r[17]), "recorded_at": iso(r[4]),
        "recorded_to": iso(r[3]) if r[3] <= t else None,
    }


def _citation(r: tuple, sources: Sources, t: int) -> dict[str, Any]:
    withdrawn = r[12] <= t
    if sources.hidden(r[3]):
        return {"source": PROTECTED, "withdrawn": withdrawn, "cited_at": iso(r[10])}
    return {
        "citation_id": r[0], "target_kind": r[1], "target_id": r[2], "source": sources.ref(r[3]), "url": r[4],
        "quote": r[5], "quote_en": r[6], "page": r[7], "accessed_on": r[8], "sha256": r[9],
        "cited_at": iso(r[10]), "cited_by": r[11], "withdrawn": withdrawn,
        "withdrawn_at": iso(r[12]) if withdrawn else None, "withdrawn_by": r[13] if withdrawn else None,
        "withdrawn_reason": r[14] if withdrawn else None,
    }


def _incident(r: tuple) -> dict[str, Any]:
    return {
        "incident_id": r[0], "title": r[1], "title_en": r[2], "description": r[3], "places": orjson.loads(r[4]),
        "valid_from": r[5], "valid_to": r[6], "version": r[7], "recorded_at": iso(r[8]), "recorded_by": r[9],
        "period_recorded_at": iso(r[10]), "period_reason": r[12],
    }


def _source(r: tuple) -> dict[str, Any]:
    return {"source_id": r[0], "name": r[1], "name_en": r[2], "kind": r[3], "url": r[4], "language": r[5],
            "protected": bool(r[6]), "version": r[7], "registered_at": iso(r[8]), "registered_by": r[9]}


def _report(r: tuple, sources: Sources) -> dict[str, Any]:
    return {"report_id": r[0], "source": sources.ref(r[1]), "title": r[2], "title_en": r[3], "language": r[4],
            "published_on": r[5], "url": r[6], "reference": r[7], "period_from": r[8], "period_to": r[9],
            "places": orjson.loads(r[10]), "figure_ids": orjson.loads(r[11]), "filed_at": iso(r[12]),
            "filed_by": r[13]}


def _range(claims: list[dict[str, Any]]) -> dict[str, Any]:
    if not claims:
        return {"sources": 0, "min_low": None, "max_low": None, "min_high": None, "max_high": None}
    lows = [x["low"] for x in claims]
    bounded = [x["high"] for x in claims if x["high"] is not None]
    return {
        "sources": len(claims), "min_low": min(lows), "max_low": max(lows),
        "min_high": min(bounded) if bounded else None,
        "max_high": max(bounded) if len(bounded) == len(claims) else None,
    }


# ---- arguments -------------------------------------------------------------------------------


def _aware(as_of: datetime | None) -> datetime | None:
    if as_of is None:
        return None
    if not isinstance(as_of, datetime):
        raise InvalidInput("as_of must be a date and time with a time zone", field="as_of")
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidInput("as_of must carry a time zone (UTC), e.g. 2019-05-01T10:00:00Z", field="as_of")
    return as_of


def _iso_as_of(as_of: datetime | None) -> str | None:
    return None if as_of is None else iso(micros(as_of))


def _metric(metric: object) -> str:
    return vocabulary.check_metric(metric)


def _dimension(dimension: object, field: str) -> str | None:
    if dimension is None:
        return None
    if not isinstance(dimension, str) or dimension not in vocabulary.DIMENSIONS:
        raise InvalidInput(f"dimension {dimension!r} is not known; use one of: {', '.join(vocabulary.DIMENSIONS)}",
                           field=field)
    return dimension


def _breakdown(breakdown: object) -> dict[str, str] | None:
    if breakdown is None:
        return None
    return vocabulary.check_breakdown(breakdown)


def _window(valid_from: date | str | None, valid_to: date | str | None) -> tuple[str | None, str | None]:
    try:
        wf, wt = day(valid_from, "valid_from"), day(valid_to, "valid_to")
    except ValueError as error:
        raise InvalidInput(str(error), field="valid_from" if "valid_from" in str(error) else "valid_to") from None
    if wf is not None and wt is not None and wf > wt:
        raise InvalidInput(f"valid_from {wf} is after valid_to {wt}", field="valid_from")
    return wf, wt


def _window_clause(alias: str, wf: str | None, wt: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if wt is not None:
        where.append(f"{alias}.valid_from <= ?")
        params.append(wt)
    if wf is not None:
        where.append(f"({alias}.valid_to IS NULL OR {alias}.valid_to >= ?)")
        params.append(wf)
    return where, params


def _place(place: str | None) -> str | None:
    if place is None:
        return None
    if not isinstance(place, str) or not place.strip():
        raise InvalidInput("place must be a place name", field="place")
    return place.strip().casefold()


def _containing(words: str) -> str:
    """A LIKE pattern matching text that contains ``words`` as typed (wildcards taken literally)."""
    escaped = words.strip().lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return limit


def _page(kind: str, key: str, items: list[dict[str, Any]], more: bool) -> dict[str, Any]:
    """A page of a listing, with the cursor of the next page when there is one (keyset on ``key``)."""
    return {"items": items, "next_cursor": _encode_cursor(kind, items[-1][key]) if more else None}


def _encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([kind, key])).rstrip(b"=").decode()


def _history_key(after: str) -> tuple[int, int]:
    """The (recorded_from, version) a figure-history cursor resumes after."""
    start, sep, version = after.partition(":")
    if not (sep and start.isdigit() and version.isdigit()):
        raise InvalidInput("cursor is not one this figure_history list gave out", field="cursor")
    return int(start), int(version)


def _decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError, AttributeError):
        decoded = None
    if not (isinstance(decoded, list) and len(decoded) == 2 and decoded[0] == kind and isinstance(decoded[1], str)):
        raise InvalidInput(f"cursor is not one this {kind} list gave out", field="cursor")
    return decoded[1]
