"""A tally's history: one point per instant its sum changed, with what moved it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from ledger.tally import ZERO, Tally
from projections import history
from projections.db import Db
from projections.named_rows import columns_of, shape
from projections.read_arguments import check_dimension, check_metric, check_place, check_window, echo_of, read_time
from projections.running import row_sum
from projections.times import iso

#: The versions of figures and of incidents' periods a windowed history sweeps (history.py's
#: types, field for field).
_FIGURE_CHANGE = columns_of(history.FigureChange, "fv", at="fv.recorded_from", event="fv.kind")
_PERIOD_CHANGE = columns_of(history.PeriodChange, "iv", at="iv.recorded_from", event="iv.kind")
#: A running tally's row: one group's sum from its start in recording time.
_Step = shape("Step", "value, recorded_from, low, high_sum, unbounded, figures")
_Moved = shape("Moved", "recorded_from, figure_id, version, kind, actor")

class TallyHistoryReads:
    """How a tally moved in recording time, for Reader (which provides ``db``)."""

    db: Db

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
        metric, by = check_metric(metric), check_dimension(by, "by")
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        echo = echo_of(metric, by, as_of, wf, wt, place)
        windowed = wf is not None or wt is not None
        if not windowed and place_key is None:
            with self.db.snapshot() as c:
                return {**echo, "points": self._running_history(c, t, metric, by)}
        kept_clause, kept_value = ("fv.depth <= ?", 1) if by is None else ("fv.dims = ?", by)
        place_clause = ""
        params: list[Any] = [metric, kept_value, t]
        if place_key is not None:
            place_clause = " AND fv.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)"
            params.append(place_key)
        with self.db.snapshot() as c:
            figure_rows = self.db.all(
                c,
                f"SELECT {_FIGURE_CHANGE} FROM {{figure_versions}} fv"
                f" WHERE fv.metric = ? AND {kept_clause} AND fv.recorded_from <= ?{place_clause}",
                params,
            )
            period_rows = [] if not windowed else self.db.all(
                c,
                f"SELECT {_PERIOD_CHANGE} FROM {{incident_versions}} iv WHERE iv.recorded_from <= ?"
                " AND iv.incident_id IN"
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
            f"SELECT {_Step.columns} FROM {{tally_versions}}"
            " WHERE metric = ? AND dimension = ? AND recorded_from <= ? ORDER BY recorded_from, value",
            (metric, by or "", t), shape=_Step,
        )
        kept_clause, kept_value = ("depth <= ?", 1) if by is None else ("dims = ?", by)
        groups: dict[str, Tally] = {}
        states: list[tuple[int, Any]] = []
        i = 0
        while i < len(rows):
            at = rows[i].recorded_from
            while i < len(rows) and rows[i].recorded_from == at:
                r = rows[i]
                groups[r.value] = row_sum(r)
                i += 1
            states.append((at, _history_state(groups)))
        points: list[dict[str, Any]] = []
        last: Any = ((0, 0, 0), ())
        kept = []
        for at, state in states:
            if state != last:
                kept.append((at, state))
                last = state
        moved = self._moved_by(c, metric, kept_clause, kept_value, [at for at, _ in kept])
        for at, state in kept:
            points.append({"recorded_at": iso(at), **history.render(state, by),
                           "moved_by": sorted(moved.get(at, []), key=history.moved_order)})
        return points

    def _moved_by(self, c: Any, metric: str, kept_clause: str, kept_value: Any, times: list[int]) -> dict[int, list]:
        """Which figure versions began at each of ``times``: what moved the tally then."""
        moved: dict[int, list] = defaultdict(list)
        for start in range(0, len(times), 400):
            chunk = times[start:start + 400]
            for r in self.db.all(
                c,
                f"SELECT {_Moved.columns} FROM {{figure_versions}} WHERE metric = ? AND {kept_clause}"
                f" AND recorded_from IN ({', '.join('?' * len(chunk))}) ORDER BY recorded_from, figure_id",
                (metric, kept_value, *chunk), shape=_Moved,
            ):
                moved[r.recorded_from].append({"figure_id": r.figure_id, "version": r.version, "event": r.kind,
                                               "actor": r.actor})
        return moved


def _history_state(groups: dict[str, Tally]) -> Any:
    total = sum(groups.values(), ZERO)
    return ((total.low, total.high, total.figures),
            tuple((v, g.low, g.high, g.figures) for v, g in sorted(groups.items()) if v != "" and g.figures))
