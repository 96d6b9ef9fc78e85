"""Adding counts honestly: lows add to lows, highs to highs, and one unbounded high makes the sum unbounded.

A tally is built from figures, never from claims: the ledger's current value of each
figure, retracted figures left out. What each incident contributes to a tally of a metric:

- its **total** figure (breakdown ``{}``), when it has one;
- otherwise the **sum of its parts along one dimension** (figures broken down by exactly one
  dimension, e.g. by perpetrator), taken as a *lower bound only*: the parts may leave out a
  remainder nobody counted, so the high is unbounded. Of several dimensions the one with
  the largest documented low is used (ties: the first dimension by name), and the answer
  lists the incident under ``from_parts`` to say so;
- otherwise nothing (figures broken down by two or more dimensions are not summed up into a
  total: they would be counted once per dimension).

A tally ``by`` a dimension sums, per value, the figures whose breakdown is exactly
``{dimension: value}``.

The answer's ``kind``: ``exact`` (low = high), ``range`` (both bounded, low < high),
``lower_bound`` (high unbounded) or ``no_data`` (no figure at all: not the same as zero).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Part:
    """One figure's current reading, as far as a tally needs it."""

    figure_id: str
    incident_id: str
    dims: str
    depth: int
    dim_value: str | None
    low: int
    high: int | None


def kind(low: int, high: int | None, count: int) -> str:
    if count == 0:
        return "no_data"
    if high is None:
        return "lower_bound"
    return "exact" if low == high else "range"


@dataclass
class Sum:
    low: int = 0
    high: int | None = 0
    count: int = 0
    figure_ids: list[str] = field(default_factory=list)

    def add(self, low: int, high: int | None, figure_ids: Iterable[str]) -> None:
        ids = list(figure_ids)
        self.add_count(low, high, len(ids))
        self.figure_ids.extend(ids)

    def add_count(self, low: int, high: int | None, count: int) -> None:
        self.low += low
        self.high = None if high is None or self.high is None else self.high + high
        self.count += count

    def as_dict(self, *, with_ids: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high, "kind": kind(self.low, self.high, self.count),
                               "figures": self.count}
        if with_ids:
            out["figure_ids"] = sorted(self.figure_ids)
        return out


@dataclass(frozen=True)
class Contribution:
    low: int
    high: int | None
    figure_ids: tuple[str, ...]
    from_parts: str | None  # the dimension the parts were summed along, when there was no total


def incident_contribution(parts: Iterable[Part]) -> Contribution | None:
    """What one incident adds to a tally with no breakdown (see the module docstring)."""
    by_dimension: dict[str, list[Part]] = defaultdict(list)
    for p in parts:
        if p.depth == 0:
            return Contribution(p.low, p.high, (p.figure_id,), None)
        if p.depth == 1:
            by_dimension[p.dims].append(p)
    if not by_dimension:
        return None
    best = max(sorted(by_dimension), key=lambda d: sum(p.low for p in by_dimension[d]))
    chosen = by_dimension[best]
    return Contribution(sum(p.low for p in chosen), None, tuple(sorted(p.figure_id for p in chosen)), best)


def tally(parts: Iterable[Part], by: str | None) -> dict[str, Any]:
    """The sums for already-filtered figures: ``{"sum", "groups", "from_parts"}``."""
    total = Sum()
    if by is None:
        per_incident: dict[str, list[Part]] = defaultdict(list)
        for p in parts:
            per_incident[p.incident_id].append(p)
        from_parts = []
        for incident_id in sorted(per_incident):
            c = incident_contribution(per_incident[incident_id])
            if c is None:
                continue
            total.add(c.low, c.high, c.figure_ids)
            if c.from_parts is not None:
                from_parts.append({"incident_id": incident_id, "dimension": c.from_parts, "low": c.low,
                                   "high": None, "figure_ids": list(c.figure_ids)})
        return {"sum": total.as_dict(), "groups": [], "from_parts": from_parts}
    groups: dict[str, Sum] = defaultdict(Sum)
    for p in parts:
        if p.dims == by and p.depth == 1:
            groups[p.dim_value].add(p.low, p.high, (p.figure_id,))  # type: ignore[index]
            total.add(p.low, p.high, (p.figure_id,))
    return {
        "sum": total.as_dict(),
        "groups": [{"value": value, **groups[value].as_dict()} for value in sorted(groups)],
        "from_parts": [],
    }
