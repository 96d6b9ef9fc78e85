"""The feed of changes: which figures' current faces changed after a log position, in log order.

A newsroom's copy of the current figures (and so of the tallies it sums from them) stays in
step by asking for what changed since the position it last reached, instead of downloading
everything again. What counts as a change is what a reader of ``/figures`` would see move:
a figure stated, its current value (or whose value it is), its grade or its status. A claim
the ledger did not adopt changes nothing a reader sees, so it is not in the feed. A
retraction is a removal. A source's protection changing is a change of every figure whose
current value came from that source: its words and name now read differently to a reader
(projections/redaction.py decides how), and a copy made before must be told.

Positions are the log's notification ids (the ``Ledger-Position`` every answer states). The
views record, for each figure event and protection change, the position it came at
(``figure_changes``, written in the follower's transaction with the views it matches), so a
page and "the position to ask from next" are read in one snapshot of one consistent state.
Views made before the table existed hold no rows for the events they had applied: rebuilding
the views (``ledger rebuild``) fills it. The views' digest leaves the table out
(views_schema.Table.digested): it is keyed by notification ids, which another copy of the same
log may number otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from eventsourcing.utils import get_topic

from ledger.figure import RETRACTED, Figure
from ledger.source import Source
from projections.db import Db
from projections.follower import UPSTREAM
from projections.named_rows import shape
from projections.read_filters import source_cards
from projections.redaction import Sources
from projections.times import iso

_FIGURE_TOPICS = frozenset(get_topic(t) for t in (
    Figure.Stated, Figure.Claimed, Figure.Corrected, Figure.Superseded, Figure.Retracted, Figure.Regraded))
_PROTECTION = get_topic(Source.ProtectionChanged)

_INSERT = "INSERT INTO {figure_changes} (position, figure_id, version, cause) VALUES (?, ?, ?, ?)"
#: Every figure whose current value a source gave, filed under the position its protection changed at.
_BY_SOURCE = ("INSERT INTO {figure_changes} (position, figure_id, version, cause)"
              " SELECT ?, figure_id, version, 'protection' FROM {figures} WHERE value_source_id = ?")

#: A figure event shows in the feed when it made the figure, or moved what a reader of the
#: figure sees: its value, whose value it is, its status or its grade (the previous version is
#: the figure's version before, as every figure event makes one).
#: A change as the feed reads it: the position and cause, and the figure's version after it.
Change = shape("Change", "fc.position, fc.cause, fv.figure_id, fv.version, fv.recorded_at, fv.kind, fv.incident_id,"
                         " fv.metric, fv.breakdown, fv.value, fv.value_source_id, fv.status, fv.grade, fv.population")

_SELECT = (
    f"SELECT {Change.columns}"
    " FROM {figure_changes} fc"
    " JOIN {figure_versions} fv ON fv.figure_id = fc.figure_id AND fv.version = fc.version"
    " LEFT JOIN {figure_versions} pv ON pv.figure_id = fc.figure_id AND pv.version = fc.version - 1"
    " WHERE fc.position > ? AND fc.position <= ?"
    " AND (fc.cause = 'protection' OR pv.figure_id IS NULL OR fv.value_changed = 1 OR fv.status <> pv.status"
    " OR fv.grade <> pv.grade OR COALESCE(fv.value_source_id, '') <> COALESCE(pv.value_source_id, ''))"
)
_PAGE = _SELECT + " ORDER BY fc.position, fc.figure_id LIMIT ?"
_AT = _SELECT + " AND fc.position = ? ORDER BY fc.figure_id"


def cuts_batch(notification: Any) -> bool:
    """Whether the views must be written up to this event before the next is applied: a
    protection change reads which figures stand on the source's value at that position."""
    return notification.topic == _PROTECTION


def record(db: Db, cursor: Any, items: Iterable[tuple[Any, Any]]) -> None:
    """File a batch's figure events and protection changes under their positions (after the
    figures are written; a protection change only ever last in its batch, see ``cuts_batch``,
    so the figures it reads are those as they stood at it)."""
    rows, protections = [], []
    for notification, event in items:
        if notification.topic in _FIGURE_TOPICS:
            rows.append((notification.id, event.originator_id, notification.originator_version, "event"))
        elif notification.topic == _PROTECTION:
            protections.append((notification.id, event.originator_id))
    if rows:
        db.run_many(cursor, _INSERT, rows)
    for position, source_id in protections:
        db.run(cursor, _BY_SOURCE, (position, source_id))


def feed(db: Db, *, since: int, limit: int, include_protected: bool = False) -> dict[str, Any]:
    """The figures changed after position ``since``, oldest first, at most ``limit`` positions' worth.

    ``{"since", "items": [change...], "next_since", "more"}``: ask again with ``next_since``;
    ``more`` says a further page is already there. A change is ``{"position", "change":
    "changed" | "removed", "event", "figure_id", "version", "incident_id", "metric", "breakdown",
    "population", "recorded_at", "value", "value_source", "status", "grade"}`` with the figure as it stood
    after that position; a removal carries no value. The figures changed at one position are
    never split across pages (one protection change can touch more than ``limit``).
    """
    with db.snapshot() as c:
        reached = db.one(c, "SELECT notification_id FROM {tracking} WHERE application_name = ?", (UPSTREAM,))
        reached = (reached[0] if reached else 0) or 0
        rows = db.all(c, _PAGE, (since, reached, limit + 1), shape=Change)
        more = len(rows) > limit
        if more:
            cut = rows[limit].position
            rows = [r for r in rows[:limit] if r.position != cut]
            if not rows:  # one position touched more figures than a page holds: give all of them
                rows = db.all(c, _AT, (since, reached, cut), shape=Change)
        shown = source_cards(db, c, {r.value_source_id for r in rows if r.status != RETRACTED}, include_protected)
    items = [_change(r, shown) for r in rows]
    next_since = rows[-1].position if more else max(since, reached)
    return {"since": since, "items": items, "next_since": next_since, "more": more}


def _change(r: Any, sources: Sources) -> dict[str, Any]:
    removed = r.status == RETRACTED
    return {
        "position": r.position, "change": "removed" if removed else "changed",
        "event": "protection" if r.cause == "protection" else r.kind, "figure_id": r.figure_id, "version": r.version,
        "incident_id": r.incident_id, "metric": r.metric, "breakdown": orjson.loads(r.breakdown),
        "population": r.population, "recorded_at": iso(r.recorded_at),
        "value": None if removed else sources.value(orjson.loads(r.value), r.value_source_id),
        "value_source": None if removed else sources.ref(r.value_source_id), "status": r.status, "grade": r.grade,
    }
