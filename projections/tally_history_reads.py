"""A tally's history: one point per instant its sum changed, with what moved it."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from datetime import date, datetime
from typing import Any

import orjson

from ledger.errors import InvalidInput
from ledger.tally import ZERO, Tally, reading
from projections import history, published_running
from projections.db import Db
from projections.named_rows import columns_of, shape
from projections.paging import check_limit, decode_cursor, encode_cursor
from projections.read_arguments import (
    check_dimension, check_metric, check_order, check_place, check_population, check_window, echo_of, read_time,
)
from projections.publication import check_published_by, published_echo
from projections.read_filters import cited_source_cards, source_cards
from projections.redaction import shown_evidence
from projections.tally_history_cut import cut_points, cut_versions, under_cut
from projections.running import WHOLE_POPULATION, row_sum, tally_metric
from projections.times import iso

#: The versions of figures and of incidents' periods a windowed history sweeps (history.py's
#: types, field for field).
_FIGURE_CHANGE = columns_of(history.FigureStep, "fv", at="fv.recorded_from", event="fv.kind")
_CHANGE_FIELDS = len(dataclasses.fields(history.FigureStep))
_PERIOD_CHANGE = columns_of(history.PeriodChange, "iv", at="iv.recorded_from", event="iv.kind")
#: A running tally's row: one group's sum from its start in recording time.
_Step = shape("Step", "dimension, value, recorded_from, low, high_sum, unbounded, figures, approximate")
_Moved = shape("Moved", "fv.recorded_from, fv.figure_id, fv.version, fv.kind, fv.actor, fv.source_id, fv.report_id,"
                         " r.published_on")
#: A running tally's total row, as tally_history_latest reads it (plain tuples, in this order).
_TOTAL_ROW = "recorded_from, low, high_sum, unbounded, figures, approximate"
#: A figure version as a count's page tells it (figure_history's fields of the same names).
_Told = shape("Told", "fv.figure_id, fv.version, fv.reason, fv.value, fv.value_source_id, fv.source_id, fv.evidence")
#: Whose word a figure version that moved a tally was: its source, report and the report's date.
_Word = shape("Word", "fv.figure_id, fv.version, fv.source_id, fv.report_id, r.published_on")
#: Both at once, for the steps a count's page tells under a cut.
_Said = shape("Said", "fv.figure_id, fv.version, fv.source_id, fv.report_id, r.published_on, fv.reason, fv.value,"
                      " fv.value_source_id, fv.evidence")

class TallyHistoryReads:
    """How a tally moved in recording time, for Reader (which provides ``db``)."""

    db: Db

    def tally_history(
        self, metric: str, *, by: str | None = None, as_of: datetime | None = None,
        valid_from: date | None = None, valid_to: date | None = None, place: str | None = None,
        cursor: str | None = None, limit: int | None = None, include_protected: bool = False,
        population: str | None = None, published_by: Any = None, order: str = "recorded",
    ) -> dict[str, Any]:
        """How the tally of one ``population`` (default the whole) moved in recording time:
        ``{"metric", "population", "by", ..., "points": [...], "next_cursor"}``.

        One point per instant at which the sum changed: ``{"recorded_at", "low", "high", "kind",
        "figures", "approximate", "approximate_figures", "groups" (with by), "moved_by":
        [{"figure_id" | "incident_id", "version", "event", "actor"}]}``, a figure's also with the
        ``source``, ``report_id`` and ``published_on`` of its change where that was a source's claim
        (a protected source as ``"protected"``, its report and date withheld); the point's sum is the
        metric's total whatever ``by`` is, as in ``tally``. ``tally(as_of=point's time)`` reads
        the same numbers.

        ``limit`` points a page (None: all of them), from after ``cursor`` (a page's
        ``next_cursor``, None on the last page): the points are keyed by their time, so a page
        stays put while the tally moves on.

        With ``published_by``, or ``order="published"`` (points keyed by ``published_at``), the
        history under the publication cut: projections/tally_history_cut.py (a window as above).
        """
        metric, by, population = check_metric(self.terms, metric), check_dimension(self.terms, by, "by"), check_population(self.terms, population)
        page = _page(cursor, limit)
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        echo = echo_of(metric, by, as_of, wf, wt, place, population)
        windowed = wf is not None or wt is not None
        if published_by is not None or order != "recorded":
            return self._cut_history(echo, t, metric, population, by, published_by, order, place_key, (wf, wt),
                                     page, include_protected)
        if not windowed and place_key is None:
            with self.db.snapshot() as c:
                answer, words = self._running_history(c, t, metric, population, by, page)
                self._whose_word(c, answer["points"], include_protected, words)
                return {**echo, **answer}
        # The total needs every figure it could count, the groups their own (depth 1): both have depth <= 1.
        kept_clause, kept_value = ("fv.depth <= ?", 1)
        place_clause = ""
        params: list[Any] = [metric, population, kept_value, t]
        if place_key is not None:
            place_clause = " AND fv.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)"
            params.append(place_key)
        with self.db.snapshot() as c:
            # Whose word each version was comes in the same statement (it is told for the page's points).
            figure_rows = self.db.all(
                c,
                f"SELECT {_FIGURE_CHANGE}, fv.source_id, fv.report_id, r.published_on FROM {{figure_versions}} fv"
                " LEFT JOIN {reports} r ON r.report_id = fv.report_id"
                f" WHERE fv.metric = ? AND fv.population = ? AND {kept_clause} AND fv.recorded_from <= ?{place_clause}",
                params,
            )
            period_rows = [] if not windowed else self.db.all(
                c,
                f"SELECT {_PERIOD_CHANGE} FROM {{incident_versions}} iv WHERE iv.recorded_from <= ?"
                " AND iv.incident_id IN"
                " (SELECT DISTINCT incident_id FROM {figures} WHERE metric = ?)",
                (t, metric),
            )
        changes = [history.FigureStep(*r[:_CHANGE_FIELDS]) for r in figure_rows]
        words = {(f.figure_id, f.version): _Word(f.figure_id, f.version, *r[_CHANGE_FIELDS:])
                 for f, r in zip(changes, figure_rows)}
        points = history.tally_points(changes, [history.PeriodChange(*r) for r in period_rows],
                                      by=by, window_from=wf, window_to=wt)
        points, next_cursor = _paged(points, lambda p: p["recorded_at"], page)
        with self.db.snapshot() as c:
            self._whose_word(c, points, include_protected, words)
        return {**echo, "points": points, "next_cursor": next_cursor}

    def _cut_history(self, echo: dict[str, Any], t: int, metric: str, population: str, by: str | None,
                     published_by: Any, order: str, place_key: str | None, window: tuple[str | None, str | None],
                     page: tuple[str | None, int | None], include_protected: bool) -> dict[str, Any]:
        cut = check_published_by(published_by)
        by_publication = check_order(order)
        key = "published_at" if by_publication else "recorded_at"
        with self.db.snapshot() as c:
            if by_publication and by is None and place_key is None and window == (None, None) \
                    and self._reads_as_now(c, metric, t):
                points, next_cursor = _paged(self._kept_published(c, metric, population, cut, include_protected,
                                                                  None), lambda p: p[key], page)
                self._whose_word(c, points, include_protected, self._words_at(c, points, _starts(points)))
                for p in points:
                    for m in p["moved_by"]:
                        m.pop("_from", None)
                return {**echo, **published_echo(cut), "order": order, "points": points, "next_cursor": next_cursor}
            read = cut_versions(self.db, c, t, metric, population, place_key, include_protected)
            points, next_cursor = _paged(cut_points(self.db, c, t, metric, read, by, cut, by_publication, window),
                                         lambda p: p[key], page)
            self._whose_word(c, points, include_protected, self._words_at(c, points, read.starts))
        return {**echo, **published_echo(cut), "order": order, "points": points, "next_cursor": next_cursor}

    def tally_history_latest(self, metric: str, *, points: int, told: int, as_of: datetime | None = None,
                             include_protected: bool = False, population: str | None = None,
                             versions: int = 0) -> list[dict[str, Any]]:
        """The latest ``points`` points of ``tally_history(metric, population=)`` (no split, window or
        place), the last ``told`` of them with their ``moved_by`` as there and the others with none (``[]``);
        in the last ``versions`` of them each figure's entry also has ``"told"``: the version as
        ``figure_history`` gives it, as far as a step tells it (``{"value", "reason", "source",
        "evidence"}``, a hidden source's quoted words and citations withheld as there).

        For a count's page, which charts the latest points and tells the last few: it reads the
        running tally's rows from the end, as many as those points need, where tally_history reads
        every row of the metric's history and what moved each point (its cost grew with the log);
        the told versions in one statement, where a history read each cost ~1-4 ms at 1M events.
        """
        metric, population, t = check_metric(self.terms, metric), check_population(self.terms, population), read_time(as_of)
        key = tally_metric(metric, population)
        wanted = max(points, told)
        with self.db.snapshot() as c:
            rows: list[Any] = []
            limit = wanted + 1
            while True:
                # One row more than the points kept: the state before the earliest says whether it moved.
                rows = self.db.all(
                    c, f"SELECT {_TOTAL_ROW} FROM {{tally_versions}} WHERE metric = ? AND dimension = ''"
                       " AND value = '' AND recorded_from <= ? ORDER BY recorded_from DESC LIMIT ?",
                    (key, t, limit))
                whole = len(rows) < limit
                # The total's state from the row's columns: a Tally a row (and its reading,
                # history.render) cost as much as all the rest of a point (~10 us each).
                states = [(at, _state((low, None if unbounded else high_sum, figures, approximate)))
                          for at, low, high_sum, unbounded, figures, approximate in reversed(rows)]
                kept = _moves(states) if whole else _moves(states[1:], states[0][1])
                if len(kept) >= wanted or whole:
                    break
                limit *= 2  # runs of rows that read the same: read further back
            kept = kept[-wanted:]
            told_times = [at for at, _ in kept[-told:]] if told else []
            moved, words = self._moved_by(c, metric, "fv.depth <= ? AND fv.population = ?", (1, population), told_times)
            out = [{"recorded_at": iso(at), **reading(*total),
                    "moved_by": sorted(moved[at], key=history.moved_order) if at in moved else []}
                   for at, (total, _) in kept]
            self._whose_word(c, out[len(out) - len(told_times):], include_protected, words)
            if versions:
                shown = self._told_versions(c, metric, population, [at for at, _ in kept[-versions:]],
                                            include_protected)
                for point in out[-versions:]:
                    for m in point["moved_by"]:
                        m["told"] = shown.get((m["figure_id"], m["version"]))
        return out[-points:] if points else []

    def tally_history_cut_latest(self, metric: str, *, points: int, told: int, orders: tuple[str, ...],
                                 published_by: Any = None, as_of: datetime | None = None,
                                 include_protected: bool = False, population: str | None = None,
                                 ) -> dict[str, list[dict[str, Any]]]:
        """``tally_history_latest`` under a publication cut or in publication order: for each of
        ``orders`` the latest ``points`` points of ``tally_history(metric, population=,
        published_by=, order=)``, the last ``told`` of them with their ``moved_by`` as there, each
        figure's entry also with ``"told"`` as ``figure_history(published_by=)`` gives the version
        (None for one the cut does not count), and the others with none (``[]``).

        The running tallies know no cut, so each history replays every version of the metric
        (projections/tally_history_cut.py): they are read once here for every order asked for.
        """
        metric, population, t = check_metric(self.terms, metric), check_population(self.terms, population), read_time(as_of)
        cut = check_published_by(published_by)
        out: dict[str, list[dict[str, Any]]] = {}
        under: dict[tuple[str, int], Any] = {}
        with self.db.snapshot() as c:
            stored = self._reads_as_now(c, metric, t)
            if stored and all(check_order(o) for o in orders):
                # In publication order as of now: the kept steps (published_running.py), only the
                # told figures' versions read (their values under the cut).
                kept = self._kept_published(c, metric, population, cut, include_protected, max(points, told), told)
                kept = kept[len(kept) - min(points, len(kept)):]
                shown = kept[len(kept) - min(told, len(kept)):]
                for point in kept[:len(kept) - len(shown)]:
                    point["moved_by"] = []
                said = self._words_at(c, shown, _starts(shown), _Said)
                self._whose_word(c, shown, include_protected, said)
                if cut is None:  # uncut, the state after each version is the version's own
                    versions = self._told(c, list(said.values()), include_protected)
                else:  # under a cut, folded from the told figures' versions
                    fresh = cut_versions(self.db, c, t, metric, population, None, include_protected,
                                         figure_ids={fid for fid, _ in said})
                    for fid, versions in fresh.per_figure.items():
                        under.update({(fid, n): state for n, state in under_cut(versions, cut).items()})
                    versions = self._told(c, list(said.values()), include_protected, under)
                for point in kept:
                    for m in point["moved_by"]:
                        m.pop("_from", None)
                        if "figure_id" in m:
                            m["told"] = versions.get((m["figure_id"], m["version"]))
                return {order: kept for order in orders}
            read = cut_versions(self.db, c, t, metric, population, None, include_protected)
            for order in orders:
                kept = cut_points(self.db, c, t, metric, read, None, cut, check_order(order))
                kept = kept[len(kept) - min(points, len(kept)):]
                shown = kept[len(kept) - min(told, len(kept)):]
                for point in kept[:len(kept) - len(shown)]:
                    point["moved_by"] = []
                said = self._words_at(c, shown, read.starts, _Said)
                self._whose_word(c, shown, include_protected, said)
                for fid in {fid for fid, _ in said} - {fid for fid, _ in under}:
                    under.update({(fid, n): state for n, state in under_cut(read.per_figure[fid], cut).items()})
                versions = self._told(c, list(said.values()), include_protected, under)
                for point in shown:
                    for m in point["moved_by"]:
                        if "figure_id" in m:
                            m["told"] = versions.get((m["figure_id"], m["version"]))
                out[order] = kept
        return out

    def _reads_as_now(self, c: Any, metric: str, t: int) -> bool:
        """Whether as of ``t`` the metric's every version is counted: the kept steps answer then."""
        last = published_running.head(self.db, c, metric)
        return last is None or t >= last

    def _kept_published(self, c: Any, metric: str, population: str, cut: int | None, include_protected: bool,
                        latest: int | None, told: int | None = None) -> list[dict[str, Any]]:
        """The points of the history in publication order as of now (by ``cut``), read off the kept
        deltas and steps (published_running.py): every one, or the ``latest`` ones; what moved them
        for the last ``told`` (None: all; the others' ``moved_by`` empty)."""
        key = tally_metric(metric, population)
        kept: list[tuple[int, Any]] = []
        limit = None if latest is None else latest + 1
        while True:
            totals = published_running.totals(self.db, c, key, include_protected, cut, limit)
            states = [(at, _state((s.low, s.high, s.figures, s.approximate))) for at, s in totals]
            whole = limit is None or len(totals) < limit
            # One row more than the points kept: the state before the earliest says whether it moved.
            kept = _moves(states) if whole else _moves(states[1:], states[0][1])
            if whole or len(kept) >= latest:  # type: ignore[operator]
                break
            limit *= 2  # runs of instants that read the same: read further back
        if latest is not None:
            kept = kept[-latest:]
        moved: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for at, fid, version, kind, actor, recorded_from in published_running.moved_at(
                self.db, c, key, include_protected, [at for at, _ in kept[0 if told is None else max(0, len(kept) - told):]]):
            moved[at].append({"figure_id": fid, "version": version, "event": kind, "actor": actor,
                              "_from": recorded_from})
        return [{"published_at": iso(at), **reading(*total), "moved_by": sorted(moved[at], key=history.moved_order)}
                for at, (total, _) in kept]

    def _told_versions(self, c: Any, metric: str, population: str, times: list[int], include_protected: bool,
                       ) -> dict[tuple[str, int], dict[str, Any]]:
        """The figure versions that began at ``times`` as a step tells them, by (figure, version)."""
        rows = self.db.all(
            c, f"SELECT {_Told.columns} FROM {{figure_versions}} fv WHERE fv.metric = ? AND fv.depth <= 1"
               f" AND fv.population = ? AND fv.recorded_from IN ({', '.join('?' * len(times))})",
            (metric, population, *times), shape=_Told) if times else []
        return self._told(c, rows, include_protected)

    def _told(self, c: Any, rows: list[Any], include_protected: bool,
              under: dict[tuple[str, int], Any] | None = None) -> dict[tuple[str, int], dict[str, Any]]:
        """Figure versions (rows with _Told's fields) as a step tells them, by (figure, version): as
        ``figure_history`` gives them, or under a cut (``under``: the figure's state under it after
        each version counted, publication.Folded) as ``figure_history(published_by=)`` does."""
        if under is not None:
            rows = [r._replace(value=under[(r.figure_id, r.version)].value,
                               value_source_id=under[(r.figure_id, r.version)].value_source_id)
                    for r in rows if (r.figure_id, r.version) in under]
        cited = sorted({e for r in rows if r.evidence for e in orjson.loads(r.evidence)})
        sources, cited_by = cited_source_cards(self.db, c, {r.source_id for r in rows} | {r.value_source_id for r in rows},
                                               cited, include_protected)
        hidden = sources.citations_withheld(cited_by)
        return {(r.figure_id, r.version): {
            "value": sources.value(orjson.loads(r.value), r.value_source_id), "reason": r.reason,
            "source": sources.ref(r.source_id),
            "evidence": None if not r.evidence else shown_evidence(orjson.loads(r.evidence), hidden),
        } for r in rows}

    def _running_history(self, c: Any, t: int, metric: str, population: str, by: str | None,
                         page: tuple[str | None, int | None]) -> tuple[dict[str, Any], dict[tuple[str, int], Any]]:
        """The points of a tally with no window or place, read off the running tallies, and whose
        word each figure version that moved them was (for _whose_word)."""
        # The total's rows ('' / '') and, with by, the groups' rows, in recording order.
        rows = self.db.all(
            c,
            f"SELECT {_Step.columns} FROM {{tally_versions}}"
            " WHERE metric = ? AND dimension IN ('', ?) AND recorded_from <= ? ORDER BY recorded_from, dimension, value",
            (tally_metric(metric, population), by or "", t), shape=_Step,
        )
        kept_clause, kept_value = "fv.depth <= ? AND fv.population = ?", (1, population)
        groups: dict[tuple[str, str], Tally] = {}
        states: list[tuple[int, Any]] = []
        i = 0
        while i < len(rows):
            at = rows[i].recorded_from
            while i < len(rows) and rows[i].recorded_from == at:
                r = rows[i]
                groups[(r.dimension, r.value)] = row_sum(r)
                i += 1
            states.append((at, _history_state(groups)))
        points: list[dict[str, Any]] = []
        # Only the page's points are told in full (what moved them is one more read per point).
        kept, next_cursor = _paged(_moves(states), lambda k: iso(k[0]), page)
        moved, words = self._moved_by(c, metric, kept_clause, kept_value, [at for at, _ in kept])
        for at, state in kept:
            points.append({"recorded_at": iso(at), **history.render(state, by),
                           "moved_by": sorted(moved.get(at, []), key=history.moved_order)})
        return {"points": points, "next_cursor": next_cursor}, words

    def _moved_by(self, c: Any, metric: str, kept_clause: str, kept_value: Any, times: list[int],
                  ) -> tuple[dict[int, list], dict[tuple[str, int], Any]]:
        """Which figure versions began at each of ``times`` (what moved the tally then), and whose
        word each was, read in the same statement (_whose_word's rows)."""
        moved: dict[int, list] = defaultdict(list)
        words: dict[tuple[str, int], Any] = {}
        for start in range(0, len(times), 400):
            chunk = times[start:start + 400]
            for r in self.db.all(
                c,
                f"SELECT {_Moved.columns} FROM {{figure_versions}} fv LEFT JOIN {{reports}} r"
                f" ON r.report_id = fv.report_id WHERE fv.metric = ? AND {kept_clause}"
                f" AND fv.recorded_from IN ({', '.join('?' * len(chunk))}) ORDER BY fv.recorded_from, fv.figure_id",
                (metric, *kept_value, *chunk), shape=_Moved,
            ):
                moved[r.recorded_from].append({"figure_id": r.figure_id, "version": r.version, "event": r.kind,
                                               "actor": r.actor})
                words[(r.figure_id, r.version)] = _Word(r.figure_id, r.version, r.source_id, r.report_id,
                                                        r.published_on)
        return moved, words

    def _whose_word(self, c: Any, points: list[dict[str, Any]], include_protected: bool,
                    words: dict[tuple[str, int], Any]) -> None:
        """Give each figure version in the page's ``moved_by`` its source, report and the report's
        publication date (None where the change was no source's claim), a hidden source's withheld;
        ``words``: each version's (_Word), read with the versions themselves."""
        told = [(m, words.get((m["figure_id"], m["version"]))) for p in points for m in p["moved_by"] if "figure_id" in m]
        sources = source_cards(self.db, c, {w.source_id for _, w in told if w is not None}, include_protected)
        for m, w in told:
            source_id = w.source_id if w is not None else None
            hidden = sources.hidden(source_id)
            m["source"] = sources.ref(source_id)
            m["report_id"] = None if hidden or w is None else w.report_id
            m["published_on"] = None if hidden or w is None else w.published_on


    def _words_at(self, c: Any, points: list[dict[str, Any]], starts: dict[tuple[str, int], int],
                  said: Any = None) -> dict[tuple[str, int], Any]:
        """The words (_Word) of the versions that moved these points, each sought on its whole key
        with its start (``starts``: where a point's instant is not the version's own, as in a history
        in publication order): (figure, version) alone would read every earlier version of the figure.
        ``said``: the shape read (default _Word; _Said for a step told in full)."""
        said = said or _Word
        keys = sorted({(m["figure_id"], starts[(m["figure_id"], m["version"])], m["version"])
                       for p in points for m in p["moved_by"] if "figure_id" in m})
        words: dict[tuple[str, int], Any] = {}
        for start in range(0, len(keys), 200):
            chunk = keys[start:start + 200]
            where = " OR ".join(["(fv.figure_id = ? AND fv.recorded_from = ? AND fv.version = ?)"] * len(chunk))
            for r in self.db.all(c, f"SELECT {said.columns} FROM {{figure_versions}} fv LEFT JOIN {{reports}} r"
                                    f" ON r.report_id = fv.report_id WHERE {where}",
                                 [x for key in chunk for x in key], shape=said):
                words[(r.figure_id, r.version)] = r
        return words

def _starts(points: list[dict[str, Any]]) -> dict[tuple[str, int], int]:
    """Each moved version's start in recording time, as the kept steps give it (for _words_at)."""
    return {(m["figure_id"], m["version"]): m["_from"] for p in points for m in p["moved_by"] if "_from" in m}


_POINT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def _page(cursor: str | None, limit: int | None) -> tuple[str | None, int | None]:
    """The time a page starts after (a point's canonical time, projections/times.py) and its size."""
    after = decode_cursor("tally_history", cursor)
    if after is not None and not _POINT_TIME.fullmatch(after):
        raise InvalidInput("cursor is not one this tally_history list gave out", field="cursor")
    return after, None if limit is None else check_limit(limit)


def _paged(items: list[Any], time_of: Any, page: tuple[str | None, int | None]) -> tuple[list[Any], str | None]:
    # Canonical UTC times sort as text in time order, so the cursor compares as it is.
    after, limit = page
    if after is not None:
        items = [i for i in items if time_of(i) > after]
    if limit is None or len(items) <= limit:
        return items, None
    return items[:limit], encode_cursor("tally_history", time_of(items[limit - 1]))


def _state(total: tuple[int, int | None, int, int], groups: tuple[Any, ...] = ()) -> Any:
    """How the tally reads, as its history compares it (history.render's shape): the total's
    (low, high, figures, approximate), then each group of ``by``'s (value, low, high, figures, approximate)."""
    return (total, groups)


#: How the tally read before its first row: nothing.
_NOTHING: Any = _state((0, 0, 0, 0))


def _moves(states: list[tuple[int, Any]], last: Any = _NOTHING) -> list[tuple[int, Any]]:
    """The states (``(time, _history_state)``, in time order) at which the tally read otherwise
    than just before (``last``: how it read before the first), i.e. its history's points."""
    kept = []
    for at, state in states:
        if state != last:
            kept.append((at, state))
            last = state
    return kept


def _history_state(groups: dict[tuple[str, str], Tally]) -> Any:
    """How the tally reads (history.render's shape): the total, then the groups of ``by``."""
    total = groups.get(("", ""), ZERO)
    return _state((total.low, total.high, total.figures, total.approximate),
                  tuple((v, g.low, g.high, g.figures, g.approximate) for (d, v), g in sorted(groups.items())
                        if d != "" and g.figures))
