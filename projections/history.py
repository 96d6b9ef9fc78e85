"""How a tally moved: one point per moment of recording time at which its sum changed.

Without a window or a place the reader reads the points straight off the running tallies
(running.py). With one, this sweep works them out: it walks the versions of the metric's
figures and of their incidents in recording order, keeping each incident's contribution
(ledger/tally.py) and the running sum, and emits a point whenever the sum (or, with ``by``, a
group) reads differently from the last point.
It reads every version once, so its cost is that of the metric's history, not of the log;
a tally as of any point's time gives the same numbers as the point (tests check this).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ledger.tally import ZERO, Part, Tally, incident_contribution, is_approximate, reading
from projections.times import iso


@dataclass(frozen=True, slots=True)
class FigureStep:
    """One version of a figure as a tally's history steps through it, from ``at`` on."""

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
    qualifier: str = ""


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


Counted = dict[Any, Tally]  # what one incident adds: to the total (key None) and to each group


def _contribution(parts: dict[str, Part], by: str | None) -> Counted:
    # The total whatever ``by`` is (a tally's ``sum`` means one thing: tallies.py), and the groups.
    c = incident_contribution(parts.values())
    out: dict[Any, Tally] = {} if c is None else {None: c.tally}
    if by is not None:
        for p in parts.values():
            if p.depth == 1 and p.dims == by:
                out[p.dim_value] = out.get(p.dim_value, ZERO) + Tally.of_part(p)
    return out


def tally_points(
    figures: list[FigureStep], periods: list[PeriodChange], *, by: str | None,
    window_from: str | None, window_to: str | None,
) -> list[dict[str, Any]]:
    changes: list[tuple[int, int, int, Any]] = [(c.at, 0, c.version, c) for c in periods]
    changes += [(c.at, 1, c.version, c) for c in figures]
    # Periods first at a shared instant, then each entity's versions in order: the last one wins,
    # as it does for "recorded_from <= T < recorded_to".
    changes.sort(key=lambda x: (x[0], x[1], x[2]))

    period: dict[str, tuple[str, str | None]] = {}
    live: dict[str, dict[str, Part]] = defaultdict(dict)  # incident -> figure -> part
    counted: dict[str, Counted] = {}
    total = ZERO
    groups: dict[Any, Tally] = defaultdict(Tally)
    points: list[dict[str, Any]] = []
    last: Any = ((0, 0, 0, 0), ())  # nothing counted yet: no point until something is
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
                                               change.dim_value, change.low, change.high,
                                               is_approximate(change.qualifier))
            else:
                parts.pop(change.figure_id, None)
            moved.append({"figure_id": change.figure_id, "version": change.version,
                          "event": change.event, "actor": change.actor})
        # Only the incidents touched at this instant can contribute differently.
        for incident_id in touched:
            for key, tally in counted.pop(incident_id, {}).items():
                if key is None:
                    total -= tally
                else:
                    groups[key] -= tally
            # Without a window the period does not matter (as in a tally without one).
            unwindowed = window_from is None and window_to is None
            if unwindowed or (incident_id in period and in_window(*period[incident_id], window_from, window_to)):
                now = _contribution(live[incident_id], by)
                for key, tally in now.items():
                    if key is None:
                        total += tally
                    else:
                        groups[key] += tally
                counted[incident_id] = now
        state = (_view(total), tuple((k, *_view(g)) for k, g in sorted(groups.items()) if g.figures))
        if state != last:
            points.append({"recorded_at": iso(at), **render(state, by), "moved_by": sorted(moved, key=moved_order)})
            last = state
    return points


def moved_order(moved: dict[str, Any]) -> tuple[str, str, int]:
    return (moved.get("incident_id", ""), moved.get("figure_id", ""), moved["version"])


def _view(tally: Tally) -> tuple[int, int | None, int, int]:
    # How the sum reads: two tallies that read the same are the same point of the history.
    return tally.low, tally.high, tally.figures, tally.approximate


def render(state: Any, by: str | None) -> dict[str, Any]:
    (low, high, n, approximate), groups = state
    out: dict[str, Any] = reading(low, high, n, approximate)
    if by is not None:
        out["groups"] = [{"value": v, **reading(lo, hi, m, a)} for v, lo, hi, m, a in groups]
    return out
