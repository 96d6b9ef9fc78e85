"""The SQL the reads share: figure versions live at T under filters, windows in valid time,
title and name search, and the cards of the sources an answer names."""

from __future__ import annotations

from typing import Any

from projections.db import OPEN, Db
from projections.named_rows import shape
from projections.figure_views import canonical
from projections.redaction import SourceCard, Sources

#: A source's card (redaction.SourceCard) as a statement reads it.
CARD = shape("Card", "source_id, name, name_en, kind, protected")


def card(row: Any) -> SourceCard:
    return SourceCard(row.source_id, row.name, row.name_en, row.kind, bool(row.protected))


def figure_filters(
    t: int, *, metric: str | None = None, incident_id: str | None = None, figure_id: str | None = None,
    status: str | None = None, max_depth: int | None = None, dims: str | None = None,
    breakdown: dict[str, str] | None = None, dimension: str | None = None, population: str | None = None,
    window: tuple[str | None, str | None] = (None, None), place: str | None = None, after: str | None = None,
) -> tuple[str, tuple[list[Any], list[Any]], str]:
    """Joins, their parameters and the WHERE of "figure versions live at t" under these filters.

    With a window, the incident's version at t is joined for its period as recorded then.
    """
    windowed = window[0] is not None or window[1] is not None
    join_params: list[Any] = [t, t] if windowed else []
    joins = ("JOIN {incident_versions} iv ON iv.incident_id = fv.incident_id"
             " AND iv.recorded_from <= ? AND iv.recorded_to > ?") if windowed else ""
    if t >= OPEN - 1:
        # Now: the open versions, by equality (the planner then never prefers a history index).
        where, params = ["fv.recorded_to = ?"], [OPEN]
    else:
        # The unary plus keeps SQLite off the (metric, recorded_from) index, which would read
        # the metric's whole history before T; PostgreSQL reads it as a no-op and plans by statistics.
        where, params = ["+fv.recorded_from <= ?", "fv.recorded_to > ?"], [t, t]
    for clause, value in (
        ("fv.figure_id = ?", figure_id), ("fv.metric = ?", metric), ("fv.incident_id = ?", incident_id),
        ("fv.status = ?", status), ("fv.depth <= ?", max_depth), ("fv.dims = ?", dims),
        ("fv.breakdown = ?", None if breakdown is None else canonical(breakdown)), ("fv.population = ?", population),
        ("fv.figure_id IN (SELECT figure_id FROM {figure_dimensions} WHERE dimension = ?)", dimension),
        ("fv.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)", place),
        ("fv.figure_id > ?", after),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    window_where, window_params = window_clause("iv", *window)
    where += window_where
    params += window_params
    return joins, (join_params, params), " AND ".join(where)


def live_figures(db: Db, c: Any, t: int, shape: type[Any], *, columns: str | None = None, limit: int | None = None,
                 **filters: Any) -> list[Any]:
    """The figure versions live at t under ``filters``, in id order, as ``shape`` (its own
    ``columns``, unless given)."""
    joins, (join_params, params), where = figure_filters(t, **filters)
    tail = " ORDER BY fv.figure_id" + (" LIMIT ?" if limit is not None else "")
    return db.all(c, f"SELECT {columns or shape.columns} FROM {{figure_versions}} fv {joins} WHERE {where}{tail}",
                  (*join_params, *params, *(() if limit is None else (limit,))), shape=shape)


#: Sources (``s``) with their version (``v``) live at T, the one ``?``: the latest recorded by then
#: (OPEN: the current one). A source not registered by T has none, and is not among them.
SOURCE_AT = ("{sources} s JOIN {source_versions} v ON v.source_id = s.source_id AND v.version ="
             " (SELECT MAX(w.version) FROM {source_versions} w WHERE w.source_id = s.source_id AND w.recorded_at <= ?)")


def source_cards(db: Db, c: Any, ids: set[str | None], include_protected: bool) -> Sources:
    """The cards of these sources (None and unknown ids skipped), for redaction.py to judge."""
    wanted = sorted(i for i in ids if i)
    cards = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = db.all(c, f"SELECT {CARD.columns} FROM {{sources}} WHERE source_id IN ({', '.join('?' * len(chunk))})",
                      chunk, shape=CARD)
        cards += [card(r) for r in rows]
    return Sources(cards, include_protected)



#: A citation's source, with that source's card (NULLs for a source the views do not hold).
_CitedCard = shape("CitedCard", "c.citation_id, c.source_id, s.source_id AS card_id, s.name, s.name_en, s.kind,"
                                " s.protected")


def cited_source_cards(db: Db, c: Any, ids: set[str | None], citation_ids: list[str], include_protected: bool,
                       ) -> tuple[Sources, list[tuple[str, str]]]:
    """The cards of these sources and of the sources of these citations, with each citation's
    source: ``(Sources, [(citation_id, source_id)])``, in one statement where source_cards and a
    look-up of the citations would make two (a round trip each)."""
    wanted = sorted(i for i in ids if i)
    if not citation_ids or len(wanted) > 500 or len(citation_ids) > 500:
        cited = []
        if citation_ids:
            cited = db.all(c, f"SELECT citation_id, source_id FROM {{citations}}"
                              f" WHERE citation_id IN ({', '.join('?' * len(citation_ids))})", citation_ids)
        more = {source_id for _, source_id in cited}
        return source_cards(db, c, set(wanted) | more, include_protected), [tuple(r) for r in cited]
    cards_of = (f"SELECT NULL AS citation_id, source_id, source_id AS card_id, name, name_en, kind, protected"
                f" FROM {{sources}} WHERE source_id IN ({', '.join('?' * len(wanted))}) UNION ALL ") if wanted else ""
    rows = db.all(c, f"{cards_of}SELECT {_CitedCard.columns} FROM {{citations}} c LEFT JOIN {{sources}} s"
                     f" ON s.source_id = c.source_id WHERE c.citation_id IN ({', '.join('?' * len(citation_ids))})",
                  (*wanted, *citation_ids), shape=_CitedCard)
    cards = {r.card_id: SourceCard(r.card_id, r.name, r.name_en, r.kind, bool(r.protected))
             for r in rows if r.card_id is not None}
    return (Sources(list(cards.values()), include_protected),
            [(r.citation_id, r.source_id) for r in rows if r.citation_id is not None])


def window_clause(alias: str, wf: str | None, wt: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if wt is not None:
        where.append(f"{alias}.valid_from <= ?")
        params.append(wt)
    if wf is not None:
        where.append(f"({alias}.valid_to IS NULL OR {alias}.valid_to >= ?)")
        params.append(wf)
    return where, params


def containing(words: str) -> str:
    """A LIKE pattern matching text that contains ``words`` as typed (wildcards taken literally)."""
    escaped = words.strip().lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"
