"""A count's two charts, over recording time and over publication time, with their steps.

The chart over publication time is the history in publication order (``order="published"``:
each point the tally cut at the instant a word was published), under the page's cut when one is
chosen: as of now it is read off the running tallies over publication time
(projections/published_running.py), a cut being their prefix; as of a past time it replays every
version of the metric. It is drawn when asked (``?order=published``, a link on the page) or
under a cut.

The chart over recording time reads the latest points off the running tally
(``tally_history_latest``), which knows no cut. Under a cut it is the history cut there, which
only a replay of every version answers: it is drawn when asked (``?order=recorded``, a link on
the page), so that the page under a cut costs what the kept steps cost. Every listed step tells
its versions as the figure's history under the same cut tells them (the value the cut gives the
figure after each), read with the steps.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query

#: The page's ``?order=``: "published" adds the chart over publication time; under a cut,
#: "recorded" adds the chart over recording time cut there.
Order = Annotated[Literal["recorded", "published"] | None, Query()]


def charts(reader: Any, metric: str, at: Any, sees: bool, population: str, cut: str | None,
           order: str | None, charted: int, listed: int) -> dict[str, Any]:
    """The page's context: the recording chart's ``steps``, ``chart``, ``earlier`` and ``first``
    (None under a cut unless asked for: the page links to it), and ``published`` with its own
    (None when neither asked for nor under a cut: the page links to it); ``charted`` latest points
    charted, the last ``listed`` of them listed and told in full."""
    if cut is None:
        orders: tuple[str, ...] = ("published",) if order == "published" else ()
    else:
        orders = ("recorded", "published") if order == "recorded" else ("published",)
    cut_points = reader.tally_history_cut_latest(
        metric, points=charted, told=listed, orders=orders, published_by=cut, as_of=at, include_protected=sees,
        population=population) if orders else {}
    recorded = cut_points.get("recorded")
    if recorded is None and cut is None:  # no cut: the running tally's latest rows
        recorded = reader.tally_history_latest(metric, points=charted, told=listed, versions=listed, as_of=at,
                                               include_protected=sees, population=population)
    published = cut_points.get("published")
    shown = ({"steps": None, "chart": None, "first": 0, "earlier": None} if recorded is None
             else _charted(recorded, "recorded_at", listed))
    return {**shown, "published": None if published is None else _charted(published, "published_at", listed)}


def _charted(points: list[dict[str, Any]], key: str, listed_steps: int) -> dict[str, Any]:
    """A chart's context from its latest points (their last ``listed_steps`` told, ``"told"`` on
    each figure's entry); ``earlier``: where a page of the steps before these would end."""
    listed = points[-listed_steps:]
    steps = [{"point": p, "changes": [{"moved": m, "version": m.get("told")} for m in p["moved_by"]]}
             for p in listed]
    chart = [{"t": p[key], "low": p["low"], "high": p["high"], "kind": p["kind"]} for p in points]
    return {"steps": steps, "chart": chart, "first": len(chart) - len(listed),
            "earlier": listed[0][key] if len(points) > len(listed) else None}
