"""How a tally moved: one point per moment of recording time at which its sum changed.

Without a window or a place the reader reads the points straight off the running tallies
(running.py). With one, this sweep works them out: it walks the versions of the metric's
figures and of their incidents in recording order, keeping each incident's contribution
(tallies.py) and the running sum, and emits a point whenever the sum (or, with ``by``, a
group) reads differently from the last point.
It reads every version once, so its cost is that of the metric's history, not of the log;
a tally as of any point's time gives the same numbers as the point (tests check this).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from projections.tallies import Part, Sum, incident_contribution, kind
from projections.times import iso


@dataclass(frozen=True, slots=True)
class FigureChange:
    at: int
    version: int
    figure_id: str
    incident_id: str
    dims: str
    depth: int
    dim_value: str | None
    low: int
    high: int | None
    status: str
    event: str
    actor: str


@dataclass(frozen=True, slots=True)
class PeriodChange:
    at: int
    version: int
    incident_id: str
    valid_from: str
    valid_to: str | None
    event: str
    actor: str


def in_window(valid_from: str, valid_to: str | None, window_from: str | None, window_to: str | None) -> bool:
    """Whether an incident's period overlaps the window; open ends reach to infinity."""
    if window_to is not None and valid_from > window_to:
        return False
    if window_from is not None and valid_to is not None and valid_to < window_from:
        return False
    return True


class _Acc:
    """A running sum that can also take a contribution back out."""

    __slots__ = ("low", "high", "unbounded", "n")

    def __init__(self) -> None:
        self.low = self.high = self.unbounded = self.n = 0

    def add(self, low: int, high: int | None, n: int, sign: int) -> None:
        self.low += sign * low
        if high is None:
            self.unbounded += sign
        else:
            self.high += sign * high
        self.n += sign * n

    def view(self) -> tuple[int, int | None, int]:
        return self.low, (None if self.unbounded else self.high), self.n


Contribution = dict[Any, tuple[int, int | None, int]]


def _contribution(parts: dict[str, Part], by: str | None) -> Contribution:
    if by is None:
        c = incident_contribution(parts.values())
        return {} if c is None else {None: (c.low, c.high, len(c.figure_ids))}
    out: dict[Any, Sum] = defaultdict(Sum)
    for p in parts.values():
        if p.depth == 1 and p.dims == by:
            out[p.dim_value].add(p.low, p.high, (p.figure_id,))
    return {k: (v.low, v.high, len(v.figure_ids)) for k, v in out.items()}


def tally_points(
    figures: list[FigureChange], periods: list[PeriodChange], *, by: str | None,
    window_from: str | None, window_to: str | None,
) -> list[dict[str, Any]]:
    changes: list[tuple[int, int, int, Any]] = [(c.at, 0, c.version, c) for c in periods]
    changes += [(c.at, 1, c.version, c) for c in figures]
    # Periods first at a shared instant, then each entity's versions in order: the last one wins,
    # as it does for "recorded_from <= T < recorded_to".
    changes.sort(key=lambda x: (x[0], x[1], x[2]))

    period: dict[str, tuple[str, str | None]] = {}
    live: dict[str, dict[str, Part]] = defaultdict(dict)  # incident -> figure -> part
    counted: dict[str, Contribution] = {}
    total = _Acc()
    groups: dict[Any, _Acc] = defaultdict(_Acc)
    points: list[dict[str, Any]] = []
    last: Any = ((0, 0, 0), ())  # nothing counted yet: no point until something is
    i = 0
    while i < len(changes):
        at = changes[i][0]
        moved = []
        touched: set[str] = set()
        while i < len(changes) and changes[i][0] == at:
            change = changes[i][3]
            i += 1
            touched.add(change.incident_id)
            if isinstance(change, PeriodChange):
                period[change.incident_id] = (change.valid_from, change.valid_to)
                moved.append({"incident_id": change.incident_id, "version": change.version,
                              "event": change.event, "actor": change.actor})
                continue
            parts = live[change.incident_id]
            if change.status == "active":
                parts[change.figure_id] = Part(change.figure_id, change.incident_id, change.dims, change.depth,
                                               change.dim_value, change.low, change.high)
            else:
                parts.pop(change.figure_id, None)
            moved.append({"figure_id": change.figure_id, "version": change.version,
                          "event": change.event, "actor": change.actor})
        # Only the incidents touched at this instant can contribute differently.
        for incident_id in touched:
            for key, (low, high, n) in counted.pop(incident_id, {}).items():
                total.add(low, high, n, -1)
                groups[key].add(low, high, n, -1)
            # Without a window the period does not matter (as in a tally without one).
            unwindowed = window_from is None and window_to is None
            if unwindowed or (incident_id in period and in_window(*period[incident_id], window_from, window_to)):
                now = _contribution(live[incident_id], by)
                for key, (low, high, n) in now.items():
                    total.add(low, high, n, 1)
                    groups[key].add(low, high, n, 1)
                counted[incident_id] = now
        state = (total.view(), tuple((k, *g.view()) for k, g in sorted(groups.items()) if k is not None and g.n))
        if state != last:
            points.append({"recorded_at": iso(at), **render(state, by), "moved_by": sorted(moved, key=moved_order)})
            last = state
    return points


def moved_order(moved: dict[str, Any]) -> tuple[str, str, int]:
    return (moved.get("incident_id", ""), moved.get("figure_id", ""), moved["version"])


def render(state: Any, by: str | None) -> dict[str, Any]:
    (low, high, n), groups = state
    out: dict[str, Any] = {"low": low, "high": high, "kind": kind(low, high, n), "figures": n}
    if by is not None:
        out["groups"] = [{"value": v, "low": lo, "high": hi, "kind": kind(lo, hi, m), "figures": m}
                         for v, lo, hi, m in groups]
    return out
