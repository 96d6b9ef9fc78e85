"""A tally worked out from the figures themselves: for a window of valid time or a place.

The counting rule (what an incident contributes, how bounds add) is the domain's, in
ledger/tally.py; this applies it to figures already filtered by the question. A tally is
built from figures, never from claims: the ledger's current value of each figure, retracted
figures left out. ``sum`` is always the metric's total: each incident's contribution, with
``from_parts`` listing the incidents counted from their parts. ``by`` a dimension adds the
groups, summed per value over the figures whose breakdown is exactly ``{dimension: value}``,
and their sum, ``groups_sum``: the part of the total that the sources broke down that way
(null without ``by``). The two differ where a source gave a total and no split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ledger.tally import ZERO, Part, Tally, incident_contribution


def _entry(tally: Tally, figure_ids: Iterable[str]) -> dict[str, Any]:
    return {**tally.as_dict(), "figure_ids": sorted(figure_ids)}


def tally(parts: Iterable[Part], by: str | None) -> dict[str, Any]:
    """The sums for already-filtered figures (depth 0 and 1): ``{"sum", "groups", "groups_sum", "from_parts"}``."""
    total, ids = ZERO, []
    per_incident: dict[str, list[Part]] = defaultdict(list)
    groups: dict[str, Tally] = defaultdict(Tally)
    group_ids: dict[str, list[str]] = defaultdict(list)
    for p in parts:
        per_incident[p.incident_id].append(p)
        if by is not None and p.dims == by and p.depth == 1:
            groups[p.dim_value] += Tally.of_part(p)  # type: ignore[index]
            group_ids[p.dim_value].append(p.figure_id)  # type: ignore[index]
    from_parts = []
    for incident_id in sorted(per_incident):
        c = incident_contribution(per_incident[incident_id])
        if c is None:
            continue
        total += c.tally
        ids += c.figure_ids
        if c.from_parts is not None:
            from_parts.append({"incident_id": incident_id, "dimension": c.from_parts, "low": c.tally.low,
                               "high": None, "figure_ids": list(c.figure_ids)})
    groups_sum = None
    if by is not None:
        groups_sum = _entry(sum(groups.values(), ZERO), [i for v in group_ids.values() for i in v])
    return {
        "sum": _entry(total, ids),
        "groups": [{"value": value, **_entry(groups[value], group_ids[value])} for value in sorted(groups)],
        "groups_sum": groups_sum,
        "from_parts": from_parts,
    }
