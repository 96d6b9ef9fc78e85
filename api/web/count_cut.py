"""A count's page under a publication cut, and its chart over publication time.

The page's chart over recording time reads the latest points off the running tally
(``tally_history_latest``), which knows no cut: under one, its steps are read from the history
cut there instead (projections/tally_history_cut.py). The chart over publication time is the
history in publication order (``order="published"``: each point the tally cut at the instant a
word was published), under the page's cut when one is chosen. It replays every version of the
metric (projections/tally_history_cut.py), as the history under a cut does, where the page's
chart over recording time reads the running tally's last rows: so it is drawn when asked
(``?order=published``, a link on the page) or when the page is under a cut anyway. A step tells
its versions as the figure's history under the same cut tells them (the value the cut gives the
figure after each).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Callable, Literal

from fastapi import Query

#: The page's ``?order=``: "published" adds the chart over publication time.
Order = Annotated[Literal["recorded", "published"] | None, Query()]

#: A figure's versions by number, as the figure's history under the page's cut gives them.
Lookup = Callable[[str, set[int]], dict[int, dict[str, Any]]]
#: How many of the latest points are charted, listed and told in full (the page's own numbers).
Shown = tuple[int, int, int]


def recorded_under_cut(reader: Any, metric: str, at: Any, sees: bool, population: str, cut: str,
                       lookup: Lookup, shown: Shown) -> dict[str, Any]:
    """The recording chart's context (``steps``, ``chart``, ``earlier``, ``first``) under the cut."""
    points = reader.tally_history(metric, as_of=at, published_by=cut, population=population,
                                  include_protected=sees)["points"]
    out = _charted(points, "recorded_at", lookup, shown)
    out["earlier"] = out["steps"][0]["point"]["recorded_at"] if len(points) > len(out["steps"]) else None
    return out


def published_chart(reader: Any, metric: str, at: Any, sees: bool, population: str, cut: str | None,
                    lookup: Lookup, shown: Shown, order: str | None) -> dict[str, Any]:
    """The publication chart's context: ``published`` with its ``steps``, ``chart`` and ``first``
    (None when neither asked for nor under a cut: the page links to it)."""
    if cut is None and order != "published":
        return {"published": None}
    points = reader.tally_history(metric, as_of=at, published_by=cut, population=population, order="published",
                                  include_protected=sees)["points"]
    return {"published": _charted(points, "published_at", lookup, shown)}


def _charted(points: list[dict[str, Any]], key: str, lookup: Lookup, shown: Shown) -> dict[str, Any]:
    charted, listed_steps, told_steps = shown
    listed = points[-listed_steps:]
    told = _told(listed[-told_steps:], lookup)
    steps = [{"point": p, "changes": [{"moved": m, "version": told.get((m.get("figure_id"), m["version"]))}
                                      for m in p["moved_by"]]} for p in listed]
    chart = [{"t": p[key], "low": p["low"], "high": p["high"], "kind": p["kind"]} for p in points[-charted:]]
    return {"steps": steps, "chart": chart, "first": len(chart) - len(listed)}


def _told(points: list[dict[str, Any]], lookup: Lookup) -> dict[tuple[str, int], dict[str, Any]]:
    """The versions that moved these points as the figure's history under the cut gives them."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for p in points:
        for m in p["moved_by"]:
            if "figure_id" in m:
                wanted[m["figure_id"]].add(m["version"])
    return {(fid, n): v for fid, versions in wanted.items()
            for n, v in lookup(fid, versions).items()}
