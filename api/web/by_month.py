"""The bar chart of a count by month of valid time, as casualty recorders publish it (the months
and their counts are chosen in api/months.py): an incident counts in every month its period
overlaps, so the months of a long incident do not add up to its total, and a month with no
figure is "no data", never zero.
"""

from __future__ import annotations

from typing import Any


def bars(rows: list[dict[str, Any]], *, width: int = 960, height: int = 260) -> dict[str, Any]:
    """The geometry of the bar chart (an SVG drawn by the template, so it needs no script): a bar
    up to the low bound, a band up to the high one, an open top marked as open, and a "no data"
    mark, not a bar, where a month has no figure; inside the bar, a darker one up to the low
    bound of the incidents dated within the month alone (``within_month``)."""
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
            within = (r.get("within_month") or {}).get("low") or 0
            if within:  # the incidents dated within the month alone: what it holds for certain
                within_y = plot - plot * within / ceiling
                bar["within_y"], bar["within_h"] = round(within_y, 1), round(plot - within_y, 1)
        out.append(bar)
    return {"width": width, "height": height, "plot": plot, "ceiling": ceiling, "bars": out,
            "label_every": max(1, -(-len(rows) // 12))}  # at most 12 months named: "Sep 2019" is wide
