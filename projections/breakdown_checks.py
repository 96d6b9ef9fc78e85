"""Breakdown checks: do the parts of a figure add up to it, and does a subset fit its whole?

For every figure (the "total": the incident's total, or itself a part such as "killed by
the regime") and every dimension along which the same incident, metric and population has
parts (figures whose breakdown is the total's plus exactly that dimension), the parts'
documented counts are set against the total by the domain's rule (ledger/tally.py
``compare``): ``inconsistent`` (with the ``excess``), ``remainder`` (e.g. 82 attacks on vital
facilities, of which 28 + 11 + 18 + 9 = 66 by type: 16 of no stated type), ``complete``
(71 + 37 = 108) or ``parts_exceed_low``. These are ``"check": "parts"``.

A figure of a subset population (those identified, say) is also set against the whole
population's figure of the same incident, metric and breakdown (``"check": "subset"``, by
``compare_subset``): its one part is the subset (``value``: the population), its remainder the
people counted but not in the subset, and a subset above its whole is ``inconsistent``. The
subset's own parts are checked against the subset, never against the whole.

A total or part whose value is approximate ("about 35,173": ledger/tally.py ``is_approximate``)
says so (``approximate``): a remainder or an ``inconsistent`` found against it comes from the
ledger's reading of "about", not from bounds a source gave.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.tally import Comparison, Tally, compare, compare_subset
from ledger.vocabulary import WHOLE_POPULATION


@dataclass(frozen=True, slots=True)
class Reading:
    figure_id: str
    incident_id: str
    metric: str
    breakdown: dict[str, str]
    low: int
    high: int | None
    population: str = WHOLE_POPULATION
    #: ledger/tally.py's is_approximate of the figure's qualifier ("about 35,173"): 1 or 0.
    approximate: int = 0


def _key(breakdown: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(breakdown.items()))


def _figure(r: Reading) -> dict[str, Any]:
    return {"figure_id": r.figure_id, "breakdown": r.breakdown, "population": r.population, "low": r.low,
            "high": r.high, "approximate": bool(r.approximate)}


def _part(value: str, r: Reading) -> dict[str, Any]:
    return {"value": value, "figure_id": r.figure_id, "low": r.low, "high": r.high, "approximate": bool(r.approximate)}


def _answer(total: Reading, population: str, check: str, dimension: str | None, parts: list[dict[str, Any]],
            documented: Tally, c: Comparison) -> dict[str, Any]:
    remainder = None if c.status == "inconsistent" else {"low": c.remainder_low, "high": c.remainder_high}
    return {
        "incident_id": total.incident_id,
        "metric": total.metric,
        "population": population,
        "check": check,
        "dimension": dimension,
        "total": _figure(total),
        "parts": parts,
        "parts_low": documented.low,
        "parts_high": documented.high,
        "status": c.status,
        "remainder": remainder,
        "excess": c.excess,
    }


def check(total: Reading, dimension: str, parts: list[Reading]) -> dict[str, Any]:
    parts = sorted(parts, key=lambda p: p.breakdown[dimension])
    documented = Tally.total((p.low, p.high, p.approximate) for p in parts)
    return _answer(total, total.population, "parts", dimension,
                   [_part(p.breakdown[dimension], p) for p in parts], documented,
                   compare(total.low, total.high, documented))


def split_check(total: dict[str, Any], groups_sum: dict[str, Any]) -> dict[str, Any]:
    """A tally's split set against the tally by the same rule (``compare``): of 108 killed, 12 + 18
    broken down by age leave 78 of no stated age. ``total`` and ``groups_sum`` as a tally answers
    them (``low``, ``high``, ``approximate``)."""
    c = compare(total["low"], total["high"], Tally.of(groups_sum["low"], groups_sum["high"]))
    return {"status": c.status, "excess": c.excess,
            "remainder": None if c.status == "inconsistent" else {"low": c.remainder_low, "high": c.remainder_high},
            "approximate": bool(total.get("approximate") or groups_sum.get("approximate"))}


def subset_check(whole: Reading, subset: Reading) -> dict[str, Any]:
    return _answer(whole, subset.population, "subset", None,
                   [_part(subset.population, subset)], Tally.of(subset.low, subset.high),
                   compare_subset(whole.low, whole.high, subset.low, subset.high))


def part_of_check(whole: Reading, part: Reading) -> dict[str, Any]:
    return _answer(whole, whole.population, "part_of", None,
                   [_part(part.metric, part)], Tally.of(part.low, part.high),
                   compare_subset(whole.low, whole.high, part.low, part.high))


def breakdown_checks(readings: Iterable[Reading], *, dimension: str | None = None, totals_only: bool = False,
                     population: str | None = None, part_of: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every (total, dimension) pair that has parts, every subset with its whole, and (``part_of``: each
    metric that is part of another, and that other) every figure with the figure of the metric it is
    part of, in a stable order (the whole population's checks first); ``population``: only the checks
    of that one."""
    groups: dict[tuple[str, str, str], dict[tuple[tuple[str, str], ...], Reading]] = defaultdict(dict)
    for r in readings:
        groups[(r.incident_id, r.metric, r.population)][_key(r.breakdown)] = r
    results = _checks_within(groups, dimension, totals_only, population)
    if dimension is None:
        for (incident_id, metric, kind), by_breakdown in sorted(groups.items()):
            whole_metric = (part_of or {}).get(metric)
            wholes = groups.get((incident_id, whole_metric, kind)) if whole_metric else None
            if not wholes or (population is not None and kind != population):
                continue
            for key in sorted(by_breakdown):
                if key in wholes and not (totals_only and key):
                    results.append(part_of_check(wholes[key], by_breakdown[key]))
    return results


def _checks_within(groups: dict[tuple[str, str, str], dict[tuple[tuple[str, str], ...], Reading]],
                   dimension: str | None, totals_only: bool, population: str | None) -> list[dict[str, Any]]:
    results = []
    for group_key in sorted(groups, key=lambda k: (k[0], k[1], k[2] != WHOLE_POPULATION, k[2])):
        incident_id, metric, kind = group_key
        if population is not None and kind != population:
            continue
        by_breakdown = groups[group_key]
        whole = groups.get((incident_id, metric, WHOLE_POPULATION), {}) if kind != WHOLE_POPULATION else {}
        # Each figure is a part of the breakdowns one of its pairs short of its own, along that
        # pair's dimension: found once per figure (a total scanning every figure of its group was
        # quadratic in the group, a hot incident's hundreds of breakdowns).
        parts: dict[tuple[tuple[str, str], ...], dict[str, list[Reading]]] = defaultdict(lambda: defaultdict(list))
        for key, r in by_breakdown.items():
            for n, (d, _) in enumerate(key):
                parts[key[:n] + key[n + 1:]][d].append(r)
        for total_key in sorted(by_breakdown):
            total = by_breakdown[total_key]
            if totals_only and total.breakdown:
                continue
            if dimension is None and total_key in whole:
                results.append(subset_check(whole[total_key], total))
            parts_by_dimension = parts.get(total_key, {})
            for d in sorted(parts_by_dimension):
                if dimension is None or d == dimension:
                    results.append(check(total, d, parts_by_dimension[d]))
    return results
