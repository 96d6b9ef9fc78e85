"""The SQL the reads share: figure versions live at T under filters, windows in valid time,
title and name search, and the cards of the sources an answer names."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from projections import publication
from projections.db import OPEN, Db
from projections.named_rows import shape
from projections.figure_views import canonical
from projections.redaction import (
    PLACED_JOIN, SourceCard, Sources, filing_placed, placed_otherwise, publication_placed,
)

#: A source's card (redaction.SourceCard) as a statement reads it.
CARD = shape("Card", "source_id, name, name_en, kind, protected")


def card(row: Any) -> SourceCard:
    return SourceCard(row.source_id, row.name, row.name_en, row.kind, bool(row.protected))


def figure_filters(
    t: int, *, metric: str | None = None, incident_id: str | None = None, figure_id: str | None = None,
    status: str | None = None, max_depth: int | None = None, dims: str | None = None,
    breakdown: dict[str, str] | None = None, dimension: str | None = None, population: str | None = None,
    window: tuple[str | None, str | None] = (None, None), place: str | None = None, after: str | None = None,
    at: tuple[str, list[Any]] | None = None,
    figure_ids: list[str] | None = None, incident_ids: list[str] | None = None,
) -> tuple[str, tuple[list[Any], list[Any]], str]:
    """Joins, their parameters and the WHERE of "figure versions live at t" under these filters
    (``at``: another condition on the versions' times than "live at t", with its parameters).

    With a window, the incident's version at t is joined for its period as recorded then.
    """
    windowed = window[0] is not None or window[1] is not None
    join_params: list[Any] = [t, t] if windowed else []
    joins = ("JOIN {incident_versions} iv ON iv.incident_id = fv.incident_id"
             " AND iv.recorded_from <= ? AND iv.recorded_to > ?") if windowed else ""
    if at is not None:
        where, params = [at[0]], list(at[1])
    elif t >= OPEN - 1:
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
    if figure_ids is not None:  # these figures (a report's: at most limits.MAX_STATEMENTS)
        # Each figure's version live at t is the last of its key starting by then: one seek from
        # the figure's row. "fv.figure_id IN" let SQLite read every version of each figure for
        # the one live (40,749 of the hottest at 1M events: 10-25 ms a report page).
        if at is None:
            joins += (" JOIN {figures} f ON f.figure_id = fv.figure_id AND fv.recorded_from ="
                      " (SELECT MAX(w.recorded_from) FROM {figure_versions} w WHERE w.figure_id = f.figure_id"
                      " AND w.recorded_from <= ?)")
            join_params.append(t)
        column = "fv.figure_id" if at is not None else "f.figure_id"
        where.append(f"{column} IN ({', '.join('?' * len(figure_ids))})" if figure_ids else "1 = 0")
        params += figure_ids
    if incident_ids is not None:  # a page of incidents (at most paging.MAX_LIMIT): a seek each, by live_by_incident
        where.append(f"fv.incident_id IN ({', '.join('?' * len(incident_ids))})" if incident_ids else "1 = 0")
        params += incident_ids
    window_where, window_params = window_clause("iv", *window)
    where += window_where
    params += window_params
    return joins, (join_params, params), " AND ".join(where)


def live_figures(db: Db, c: Any, t: int, shape: type[Any], *, columns: str | None = None, limit: int | None = None,
                 published_by: int | None = None, include_protected: bool = False, **filters: Any) -> list[Any]:
    """The figure versions live at t under ``filters``, in id order, as ``shape`` (its own
    ``columns``, unless given); with ``published_by``, each figure as its words published by
    then made it (projections/publication.py), a protected source's placed at their filing
    unless the caller sees protected sources (redaction.filing_placed)."""
    if published_by is not None:
        return _cut_figures(db, c, t, published_by, shape, columns, limit, filters, include_protected)
    return _select(db, c, t, shape, columns, None, limit, filters)


def _select(db: Db, c: Any, t: int, shape: type[Any], columns: str | None, at: tuple[str, list[Any]] | None,
            limit: int | None, filters: dict[str, Any], more_joins: str = "") -> list[Any]:
    joins, (join_params, params), where = figure_filters(t, at=at, **filters)
    tail = " ORDER BY fv.figure_id" + (" LIMIT ?" if limit is not None else "")
    return db.all(c, f"SELECT {columns or shape.columns} FROM {{figure_versions}} fv {joins}{more_joins}"
                     f" WHERE {where}{tail}",
                  (*join_params, *params, *(() if limit is None else (limit,))), shape=shape)


def _select_deciding(db: Db, c: Any, t: int, steps: type[Any], at: tuple[str, list[Any]], filters: dict[str, Any],
                     counted: tuple[str, list[Any]] = ("1", []), more_joins: str = "") -> list[Any]:
    """Of the versions ``at`` and ``filters`` select (``more_joins`` for ``at``'s conditions and
    ``counted``'s, the SQL that is 1 where the cut counts a version), as ``steps``, only those
    publication.fold's result depends on (publication.DECIDING_KEYS), and each figure's last: found
    in one pass over the versions' keys and kinds, then only those few read in full."""
    joins, (join_params, params), where = figure_filters(t, at=at, **filters)
    keys = (f"SELECT k.k_figure, {publication.DECIDING_KEYS} FROM (SELECT fv.figure_id AS k_figure,"
            f" fv.recorded_from AS k_from, fv.version AS k_version, fv.kind AS k_kind, {counted[0]} AS k_counted"
            f" FROM {{figure_versions}} fv {joins}{more_joins} WHERE {where}) k GROUP BY k.k_figure")
    return db.all(c, f"SELECT {steps.columns} FROM ({keys}) d JOIN {{figure_versions}} fv ON fv.figure_id = d.k_figure"
                     f" AND {publication.DECIDING_JOIN} {joins}{_STEP_JOIN} ORDER BY fv.figure_id",
                  (*counted[1], *join_params, *params, *join_params), shape=steps)


#: What publication.fold reads of a version beyond the shape asked for: the state after it,
#: and (a claim not adopted) the word itself, from the claim row the same event put in place.
_STEP_COLUMNS = ("fv.kind, fv.published_at, fv.recorded_at, fv.version, fv.qualifier, fv.low, fv.high, fv.value, fv.source_id,"
                 " fv.value_source_id, fv.status, fv.grade, cv.qualifier AS said_qualifier, cv.low AS said_low,"
                 " cv.high AS said_high, cv.value AS said_value")
#: The claim row (``cv``) a figure version's own event put in place: its word as said. By its key
#: in full (that row starts when its version does, figure_views._claim): on (figure, source) alone
#: each version read every claim row of its source on the figure (21,615 late words of the hottest
#: figure at 1M events, ~900 rows of its source each: 12 s).
CLAIM_OF_VERSION = ("cv.figure_id = fv.figure_id AND cv.source_id = fv.source_id AND cv.recorded_from = fv.recorded_from"
                    " AND cv.figure_version = fv.version AND cv.claim_version = fv.version")
_STEP_JOIN = f" LEFT JOIN {{claim_versions}} cv ON {CLAIM_OF_VERSION}"


@functools.cache
def _with_steps(wanted: type[Any], columns: str) -> type[Any]:
    """``wanted``'s columns and every step column it lacks, as one shape."""
    have = set(shape("Have", columns)._fields)
    extra = [c for c in _STEP_COLUMNS.split(", ") if c.rsplit(" ", 1)[-1].rsplit(".", 1)[-1] not in have]
    return shape(f"{wanted.__name__}Steps", ", ".join([columns, *extra]))


#: Ids bound in one IN (...) list: well under SQLite's and PostgreSQL's limits on parameters.
CHUNK = 400


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    """``ids`` a statement's worth at a time."""
    for first in range(0, len(ids), CHUNK):
        yield ids[first:first + CHUNK]


def _cut_figures(db: Db, c: Any, t: int, cut: int, wanted: type[Any], columns: str | None, limit: int | None,
                 filters: dict[str, Any], include_protected: bool) -> list[Any]:
    """The figures as of t cut at publication time ``cut``: the stored state answering (t, cut)
    by two index ranges (still the word at t, or followed by a version not all published by
    the cut), and for the few figures with a late word past that state, the state carried on
    through those words (publication.fold): four statements, none per figure.

    The stored states place every word by its report's date. For a caller who may not see
    protected sources, the figures with a protected source's word dated otherwise than filed
    (redaction.placed_otherwise, by the sources' protection now) are folded afresh from their
    first version with those words at their filing: two statements more, and one fold per such
    figure."""
    columns = columns or wanted.columns
    status = filters.pop("status", None)
    steps = _with_steps(wanted, columns)
    fresh: dict[str, list[Any]] = {}
    if not include_protected:
        listed, paged = filters.get("figure_ids") or [], filters.get("incident_ids") or []
        narrow = [v for v in (filters.get("metric"), filters.get("figure_id")) if v is not None] + listed + [
            v for v in (filters.get("incident_id"),) if v is not None] + paged
        among = placed_otherwise(metric=filters.get("metric") is not None, figure=filters.get("figure_id") is not None,
                                 figures=len(listed), incident=filters.get("incident_id") is not None,
                                 incidents=len(paged))
        # Of the versions this cut counts, placed as filing_placed places them, the deciding few.
        counted = f"CASE WHEN {publication_placed('fv', 'ps', False)} <= ? THEN 1 ELSE 0 END"
        for r in _select_deciding(db, c, t, steps, (f"fv.recorded_from <= ? AND {among}", [t, t, *narrow]), filters,
                                  (counted, [cut]), PLACED_JOIN):
            fresh.setdefault(r.figure_id, []).append(r)
    late: dict[str, list[Any]] = {}
    # Past the stored state every version the cut counts is a late word: of those, the deciding few.
    for r in _select_deciding(db, c, t, steps, (publication.LATE, [t, cut, cut]), filters):
        if r.figure_id not in fresh:
            late.setdefault(r.figure_id, []).append(r)
    now = t >= OPEN - 1
    branches = (
        ("fv.recorded_to = ? AND fv.published_from <= ?", [OPEN, cut]) if now else
        ("fv.recorded_to > ? AND fv.recorded_from <= ? AND fv.published_from <= ?", [t, t, cut]),
        # The unary plus keeps the planners off (metric, recorded_to, ...), which would read every
        # closed version of the metric: (metric, published_to, published_from) is the range here.
        ("fv.published_to > ? AND fv.published_from <= ? AND +fv.recorded_to <= ?", [cut, cut, t]),
    )
    wanted_rows = None if limit is None else limit + len(late) + len(fresh)
    rows = [r for at in branches
            for r in _select(db, c, t, wanted, columns, at, wanted_rows, {**filters, "status": status})
            if r.figure_id not in late and r.figure_id not in fresh]
    stored: dict[str, Any] = {}
    ids = sorted(late)
    for chunk in _chunks(ids):
        among = f" AND fv.figure_id IN ({', '.join('?' * len(chunk))})"
        for condition, params in branches:
            # By id (the late words' figures met the filters): seeks on the key; the window's join
            # stays for the shapes that read the incident's period.
            for r in _select(db, c, t, steps, None, (condition + among, [*params, *chunk]), None,
                             {"window": filters.get("window", (None, None))}, _STEP_JOIN):
                stored[r.figure_id] = r
    hidden = source_cards(db, c, {r.source_id for rs in fresh.values() for r in rs}, False).hidden if fresh else None
    for fid in [*ids, *fresh]:
        base = stored.get(fid)
        words = sorted(late[fid], key=lambda r: r.version) if fid in late else sorted(
            filing_placed(fresh[fid], hidden), key=lambda r: r.version)
        folded = publication.fold(words, cut, publication.state_of(base) if base is not None else None)
        if folded is None or (status is not None and folded.status != status):
            continue
        row = next((w for w in words if w.version == folded.version), base)
        rows.append(wanted(*publication.restate(row, folded)[:len(wanted._fields)]))
    rows.sort(key=lambda r: r.figure_id)
    return rows if limit is None else rows[:limit]


_Step = shape("Step", _STEP_COLUMNS)


def figure_steps(db: Db, c: Any, figure_id: str, first: tuple[int, int] | None, last: tuple[int, int],
                 include_protected: bool) -> list[Any]:
    """A figure's versions from ``first`` (None: its first) to ``last``, each a version's key
    (recorded_from, version), in version order, as publication.fold reads them; a protected
    source's words placed at their filing unless the caller sees protected sources
    (redaction.filing_placed). One range on the figure's key, that range alone."""
    since = "" if first is None else " AND (fv.recorded_from, fv.version) >= (?, ?)"
    rows = db.all(c, f"SELECT {_STEP_COLUMNS} FROM {{figure_versions}} fv{_STEP_JOIN}"
                     f" WHERE fv.figure_id = ?{since} AND (fv.recorded_from, fv.version) <= (?, ?) ORDER BY fv.version",
                  (figure_id, *(first or ()), *last), shape=_Step)
    if include_protected:
        return rows
    return filing_placed(rows, source_cards(db, c, {r.source_id for r in rows}, False).hidden)


def step_before(db: Db, c: Any, figure_id: str, key: tuple[int, int]) -> Any:
    """The figure's version just before ``key`` (recorded_from, version), as figure_steps reads it, or None."""
    return db.one(c, f"SELECT {_STEP_COLUMNS} FROM {{figure_versions}} fv{_STEP_JOIN} WHERE fv.figure_id = ?"
                     " AND (fv.recorded_from, fv.version) < (?, ?) ORDER BY fv.recorded_from DESC, fv.version DESC"
                     " LIMIT 1", (figure_id, *key), shape=_Step)


#: A figure's words as said: the claim row each word's event put in place.
_Word = shape("Word", "fv.figure_id, fv.version, fv.kind, fv.source_id, fv.report_id, fv.replaces, fv.published_at,"
                      " fv.recorded_at, cv.qualifier AS said_qualifier, cv.low AS said_low, cv.high AS said_high,"
                      " cv.value AS said_value")


def claims_published_by(db: Db, c: Any, t: int, cut: int | None, figure_ids: list[str],
                        include_protected: bool = False) -> list[Any]:
    """Each source's latest claim on these figures as of t counted by the cut (publication.latest_claims):
    of their words recorded by t and counted by the cut, the few it depends on
    (publication.LATEST_WORDS), a statement per 400 figures; a protected source's placed at
    their filing unless the caller sees protected sources (redaction.filing_placed)."""
    by_figure: dict[str, list[Any]] = {}
    counted = "" if cut is None else f" AND {publication_placed('fv', 'ps', include_protected)} <= ?"
    placed = PLACED_JOIN if cut is not None and not include_protected else ""
    for chunk in _chunks(sorted(set(figure_ids))):
        words = (f"SELECT {publication.LATEST_WORDS_KEYS} FROM {{figure_versions}} fv"
                 f" JOIN {{claim_versions}} cv ON {CLAIM_OF_VERSION}{placed}"
                 f" WHERE fv.figure_id IN ({', '.join('?' * len(chunk))}) AND fv.recorded_from <= ?{counted}"
                 f" GROUP BY {publication.LATEST_WORDS_GROUPS}")
        for w in db.all(c, f"SELECT {_Word.columns} FROM ({words}) d JOIN {{figure_versions}} fv"
                           f" ON fv.figure_id = d.d_figure AND {publication.LATEST_WORDS_JOIN}"
                           f" JOIN {{claim_versions}} cv ON {CLAIM_OF_VERSION} ORDER BY fv.figure_id, fv.version",
                        (*chunk, t, *(() if cut is None else (cut,))), shape=_Word):
            by_figure.setdefault(w.figure_id, []).append(w)
    per_figure = list(by_figure.values())
    if not include_protected:
        hidden = source_cards(db, c, {w.source_id for words in per_figure for w in words}, False).hidden
        per_figure = [filing_placed(words, hidden) for words in per_figure]
    return [claim for words in per_figure for claim in publication.latest_claims(words, cut)]


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
