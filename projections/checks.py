"""Breakdown checks: do the parts of a figure add up to it?

For every figure (the "total": the incident's total, or itself a part such as "killed by
the regime") and every dimension along which the same incident and metric has parts
(figures whose breakdown is the total's plus exactly that dimension), the sum of the parts'
documented counts (their lows) is set against the total:

- ``inconsistent``: the parts document more than the total's high allows (``excess`` says by
  how much). One of the figures is wrong.
- ``remainder``: the parts document less than the total's low. The difference is an
  unspecified remainder, at least ``total.low - parts.low`` (e.g. 82 attacks on vital
  facilities, of which 28 + 11 + 18 + 9 = 66 by type: 16 of no stated type), at most
  ``total.high - parts.low`` (unbounded when the total is).
- ``complete``: the parts document exactly the total's low (71 + 37 = 108).
- ``parts_exceed_low``: the parts document more than the total's low but no more than its
  high, e.g. an "at least 100" total whose parts add to 120: not a contradiction, but the
  total's low is behind its parts.

Lows are compared as documented counts, which is how casualty recorders read "at least 82,
including 28 on schools...": the remainder is counted from what was documented, not from
the widest interval arithmetic would allow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reading:
    figure_id: str
    incident_id: str
    metric: str
    breakdown: dict[str, str]
    low: int
    high: int | None


def _key(breakdown: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(breakdown.items()))


def check(total: Reading, dimension: str, parts: list[Reading]) -> dict[str, Any]:
    parts = sorted(parts, key=lambda p: p.breakdown[dimension])
    parts_low = sum(p.low for p in parts)
    parts_high = None if any(p.high is None for p in parts) else sum(p.high for p in parts)  # type: ignore[misc]
    excess = None
    remainder = None
    if total.high is not None and parts_low > total.high:
        status, excess = "inconsistent", parts_low - total.high
    else:
        remainder = {
            "low": max(0, total.low - parts_low),
            "high": None if total.high is None else total.high - parts_low,
        }
        if parts_low < total.low:
            status = "remainder"
        elif parts_low == total.low:
            status = "complete"
        else:
            status = "parts_exceed_low"
    return {
        "incident_id": total.incident_id,
        "metric": total.metric,
        "dimension": dimension,
        "total": {"figure_id": total.figure_id, "breakdown": total.breakdown, "low": total.low, "high": total.high},
        "parts": [{"value": p.breakdown[dimension], "figure_id": p.figure_id, "low": p.low, "high": p.high}
                  for p in parts],
        "parts_low": parts_low,
        "parts_high": parts_high,
        "status": status,
        "remainder": remainder,
        "excess": excess,
    }


def breakdown_checks(readings: Iterable[Reading], *, dimension: str | None = None,
                     totals_only: bool = False) -> list[dict[str, Any]]:
    """Every (total, dimension) pair that has parts, in a stable order."""
    groups: dict[tuple[str, str], dict[tuple[tuple[str, str], ...], Reading]] = defaultdict(dict)
    for r in readings:
        groups[(r.incident_id, r.metric)][_key(r.breakdown)] = r
    results = []
    for group_key in sorted(groups):
        by_breakdown = groups[group_key]
        for total_key in sorted(by_breakdown):
            total = by_breakdown[total_key]
            if totals_only and total.breakdown:
                continue
            parts_by_dimension: dict[str, list[Reading]] = defaultdict(list)
            for key, r in by_breakdown.items():
                if len(key) != len(total_key) + 1 or not set(total_key) <= set(key):
                    continue
                (extra,) = {d for d, _ in key} - {d for d, _ in total_key}
                parts_by_dimension[extra].append(r)
            for d in sorted(parts_by_dimension):
                if dimension is None or d == dimension:
                    results.append(check(total, d, parts_by_dimension[d]))
    return results
