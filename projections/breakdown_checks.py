"""Breakdown checks: do the parts of a figure add up to it?

For every figure (the "total": the incident's total, or itself a part such as "killed by
the regime") and every dimension along which the same incident and metric has parts
(figures whose breakdown is the total's plus exactly that dimension), the parts' documented
counts are set against the total by the domain's rule (ledger/tally.py ``compare``):
``inconsistent`` (with the ``excess``), ``remainder`` (e.g. 82 attacks on vital facilities,
of which 28 + 11 + 18 + 9 = 66 by type: 16 of no stated type), ``complete`` (71 + 37 = 108)
or ``parts_exceed_low``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.tally import Tally, compare


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
    documented = Tally.total((p.low, p.high) for p in parts)
    c = compare(total.low, total.high, documented)
    remainder = None if c.status == "inconsistent" else {"low": c.remainder_low, "high": c.remainder_high}
    return {
        "incident_id": total.incident_id,
        "metric": total.metric,
        "dimension": dimension,
        "total": {"figure_id": total.figure_id, "breakdown": total.breakdown, "low": total.low, "high": total.high},
        "parts": [{"value": p.breakdown[dimension], "figure_id": p.figure_id, "low": p.low, "high": p.high}
                  for p in parts],
        "parts_low": documented.low,
        "parts_high": documented.high,
        "status": c.status,
        "remainder": remainder,
        "excess": c.excess,
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
