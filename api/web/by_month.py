"""A count by valid time, month by month, as casualty recorders publish it.

Each month is the tally with that month as its window (as ``GET /tallies/{metric}?valid_from=&valid_to=``
answers it), all months in one read (``Reader.tally_months``, projections/tally_months.py): an
incident counts in every month its period overlaps, so the months of a long incident do not
add up to its total, and a month with no figure is "no data", never zero. The latest
DEFAULT_MONTHS the incidents cover unless others are asked for, at most MONTHS.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ledger.errors import InvalidInput

#: Months one chart shows at most, and by default: the latest year the incidents cover.
MONTHS, DEFAULT_MONTHS = 120, 12
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(value: str | None, field: str) -> tuple[int, int] | None:
    if not value:
        return None
    found = _MONTH.fullmatch(value.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise InvalidInput(f"{field} must be a month, YYYY-MM, e.g. 2019-05", field=field)
    return int(found.group(1)), int(found.group(2))


def span(reader: Any, at: Any) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The months the incidents' periods cover (``Reader.incidents_span``); None for none."""
    found = reader.incidents_span(as_of=at)
    if found is None:
        return None
    first, last = found
    return (int(first[:4]), int(first[5:7])), (int(last[:4]), int(last[5:7]))


def latest(start: tuple[int, int], end: tuple[int, int], count: int = DEFAULT_MONTHS) -> tuple[int, int]:
    """The first of the latest ``count`` months up to ``end``, not before ``start``."""
    serial = max(start[0] * 12 + start[1] - 1, end[0] * 12 + end[1] - count)
    return serial // 12, serial % 12 + 1


def months(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    if start > end:
        raise InvalidInput("months_from is after months_to", field="months_from")
    out, (y, m) = [], start
    while (y, m) <= end and len(out) < MONTHS:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def by_month(reader: Any, metric: str, chosen: list[tuple[int, int]], at: Any, sees: bool,
             population: str | None = None, published_by: str | None = None) -> list[dict[str, Any]]:
    """``[{"month": "YYYY-MM", "valid_from", "valid_to", "low", "high", "kind", "figures"}]`` of one
    population (None: the whole), in one read (``Reader.tally_months``: each month as the tally with
    that month as its window), cut at ``published_by`` if given."""
    (y0, m0), (y1, m1) = chosen[0], chosen[-1]
    return reader.tally_months(metric, valid_from=date(y0, m0, 1), valid_to=date(y1, m1, 1), as_of=at,
                               include_protected=sees, population=population,
                               published_by=published_by)


def bars(rows: list[dict[str, Any]], *, width: int = 960, height: int = 260) -> dict[str, Any]:
    """The geometry of the bar chart (an SVG drawn by the template, so it needs no script): a bar
    up to the low bound, a band up to the high one, an open top marked as open, and a "no data"
    mark, not a bar, where a month has no figure."""
    top = max([r["high"] if r["high"] is not None else r["low"] or 0 for r in rows if r["kind"] != "no_data"] or [0])
    ceiling = max(1, int(top * 1.15) + 1)
    plot = height - 30
    slot = width / max(1, len(rows))
    out = []
    for i, r in enumerate(rows):
        w = min(slot * 0.7, 48)  # a few months are still bars, not walls
        x = i * slot + (slot - w) / 2
        bar: dict[str, Any] = {"x": round(x, 1), "w": round(w, 1), "row": r, "label_x": round(x + w / 2, 1)}
        if r["kind"] != "no_data":
            low_y = plot - plot * (r["low"] or 0) / ceiling
            bar["low_y"], bar["low_h"] = round(low_y, 1), round(plot - low_y, 1)
            if r["high"] is not None and r["high"] != r["low"]:
                high_y = plot - plot * r["high"] / ceiling
                bar["high_y"], bar["high_h"] = round(high_y, 1), round(low_y - high_y, 1)
            bar["open"] = r["high"] is None
        out.append(bar)
    return {"width": width, "height": height, "plot": plot, "ceiling": ceiling, "bars": out,
            "label_every": max(1, len(rows) // 12)}
