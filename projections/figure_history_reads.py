"""A figure's history: each version it has stood at, with the citations live on it meanwhile."""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import Any

import orjson

from ledger.errors import NotFound
from projections.db import OPEN, Db
from projections.figure_reads import figure_at
from projections.paging import check_limit, decode_cursor, encode_cursor, history_key
from projections.read_arguments import check_order, read_time
from projections.named_rows import shape
from projections import publication
from projections.publication import check_published_by
from projections.read_filters import CARD, card, figure_steps, source_cards, step_before
from projections.redaction import PLACED_JOIN, Sources, publication_placed, shown_evidence
from projections.times import iso
from projections.view_rows import HISTORY_JOINS, Citation, HistoryVersion, render_citation

#: What the page's versions name for the statements that go with them: their span, their
#: sources, and the citations (evidence) and sources (replaces) their JSON lists name.
_SHOWN = "fv.recorded_from, fv.recorded_to, fv.source_id, fv.value_source_id, fv.evidence, fv.replaces"


def _named(kind: str, column: str) -> str:
    """The items of the page's JSON lists in ``column`` (shown's evidence or replaces), in this dialect."""
    if kind == "postgres":
        return f"SELECT jsonb_array_elements_text({column}::jsonb) FROM shown WHERE {column} IS NOT NULL"
    return f"SELECT j.value FROM shown, json_each(shown.{column}) j WHERE shown.{column} IS NOT NULL"


def _named_citations(kind: str) -> str:
    """The citations the page's evidence names, by their key. On PostgreSQL as an array: an ``IN``
    over the JSON's items was planned as a hash join over a scan of every citation of the store
    (a set function's row estimate is 200), which grows with the store, where the array takes a
    seek per citation named (EXPLAIN ANALYZE at 100k events: 2.2 ms, and 0.1 ms so)."""
    if kind == "postgres":
        return f"citation_id = ANY(ARRAY({_named(kind, 'evidence')}))"
    return f"citation_id IN ({_named(kind, 'evidence')})"


#: A regrading as the figure page tells it beside the grade.
Grading = shape("Grading", "fv.version, fv.recorded_at, fv.actor, fv.grade, fv.reason, fv.evidence")
#: A history version with the instant it is placed at in publication order.
PlacedVersion = shape("PlacedVersion", HistoryVersion.columns + ", fv.published_at, fv.published_at AS placed")
#: A citation as counted on a version: when it was live.
LiveSpan = shape("LiveSpan", "cited_at, withdrawn_at")


class FigureHistoryReads:
    """Every state a figure has been in, a page at a time, for Reader (which provides ``db``)."""

    db: Db

    def figure_history(
        self, figure_id: str, *, as_of: datetime | None = None, cursor: str | None = None, limit: int = 100,
        citation_index: bool = False, include_protected: bool = False, published_by: Any = None,
        order: str = "recorded", citation_counts: bool = False,
    ) -> dict[str, Any]:
        """Every state the figure has been in, oldest first, a page at a time, with the citations live on each.

        ``{"figure_id", "incident_id", "metric", "breakdown", "population",
        "versions": [{"version", "recorded_at", "recorded_to", "actor", "event", "reason", "value",
        "value_changed", "status", "grade", "value_source", "source", "report_id", "evidence",
        "replaces", "said", "citations": [citation...]}],
        "next_cursor": str | None, "state": "recorded" | "not_yet_recorded"}``.

        As of a time before the figure was first recorded the ledger said nothing of it yet: the
        answer is its identity, no versions and ``state`` "not_yet_recorded" (not NotFound,
        which is kept for an id the ledger has never recorded).

        ``event`` is stated, claimed, adopted, corrected, superseded, retracted or regraded. A
        version's citations are those live on the figure at any moment while it stood (cited
        before it was replaced, not withdrawn before it was recorded), each with its
        ``cited_at`` and ``withdrawn_at``. ``evidence`` lists the citation ids a judgement (an
        adoption, a correction, a supersession) cites, a hidden source's citation as ``"protected"``.

        ``value`` is the figure's value after the version; ``said`` what the version's source said
        in it, as said: ``{"value", "source", "report_id", "published_on", "filed_by", "adopted"}``
        (``adopted``: whether it became the figure's value), None for a version that is no
        source's word. A hidden source's words, report and its publication date are withheld.

        ``citation_index=True`` gives each citation once, in a top-level ``"citations"`` list,
        and each version's ``"citations"`` as positions in it: for a figure cited hundreds of
        times over many versions the inline form repeats every citation in every version.
        ``citation_counts=True`` gives each version's ``"citations"`` as their number alone, and no
        list of them (an export's column), counted from the citations' spans alone (when each was
        live), none of their words read: the hottest figure's 500 versions a page with thousands
        live on each made millions of positions a page, its memory growing with the figure.

        ``published_by``: only the versions whose word (or act) counts by then
        (projections/publication.py), each version's ``value``, ``value_source``, ``status``,
        ``grade`` and ``value_changed`` the figure's under the cut after it: what
        ``figure(as_of=its recorded_at, published_by=)`` says (``said`` stays the word as said).
        ``order="published"``: the versions in publication order (``published_at``, then version),
        a hidden source's words placed at their filing time (redaction.py: their dates are withheld).
        """
        t, cut = read_time(as_of), check_published_by(published_by)
        fid = str(figure_id)
        limit = check_limit(limit)
        by_publication = check_order(order)
        listing = "figure_history_published" if by_publication else "figure_history"
        after = decode_cursor(listing, cursor)
        placed = publication_placed("fv", "ps", include_protected)
        key = f"{placed}, fv.version" if by_publication else "fv.recorded_from, fv.version"
        params: list[Any] = [fid, t]
        keyset = ""
        if cut is not None:
            # Placed as the figure by id places them: a hidden source's words at their filing.
            keyset += f" AND {placed} <= ?"
            params.append(cut)
        if after is not None:
            start, version = history_key(after)
            keyset += f" AND ({key}) > (?, ?)"
            params += [start, version]
        where = (f" WHERE fv.figure_id = ? AND fv.recorded_from <= ?{keyset}"
                 f" ORDER BY {key} LIMIT ?")
        joins = HISTORY_JOINS + PLACED_JOIN
        # Only the citations that overlap the page's span of recording time: from its first
        # version's start to its last one's end (the page's versions never overlap), worked out
        # by the statement itself; the source of each citation the versions' evidence names
        # (most often a citation of the report the word came in, not of the figure); and the
        # cards of the sources the page's versions, those citations and the sources a
        # supersession replaces name. All four go out together with the snapshot's BEGIN and
        # ROLLBACK: one round trip (evidence and replaces were a second snapshot, two more
        # round trips, on 4 pages in 5 of the bench's).
        shown = f"WITH shown AS (SELECT {_SHOWN} FROM {{figure_versions}} fv{joins}{where})"
        span = (" target_id = ? AND cited_at < (SELECT MAX(recorded_to) FROM shown) AND cited_at <= ?"
                " AND withdrawn_at > (SELECT MIN(recorded_from) FROM shown)")
        kind, shown_params = self.db.kind, (*params, limit)
        evidence_named = _named_citations(kind)
        # Counted, the citations are only their spans, and their sources' cards are not needed:
        # the hottest figure's thousands of rows (their words opened, under a cipher) were read to be counted.
        cited, cited_sources, cited_params = ((LiveSpan, "", ()) if citation_counts else
                                              (Citation, f" UNION SELECT source_id FROM {{citations}} WHERE{span}",
                                               (fid, t)))
        reads = (
            (f"SELECT {HistoryVersion.columns}, fv.published_at, {placed} AS placed FROM {{figure_versions}} fv{joins}{where}",
             (*params, limit + 1), PlacedVersion),
            (f"{shown} SELECT {cited.columns} FROM {{citations}} WHERE{span} ORDER BY cited_at, citation_id",
             (*shown_params, fid, t), cited),
            (f"{shown} SELECT citation_id, source_id FROM {{citations}} WHERE {evidence_named}", shown_params, None),
            (f"{shown} SELECT {CARD.columns} FROM {{sources}} WHERE source_id IN (SELECT source_id FROM shown"
             f" UNION SELECT value_source_id FROM shown{cited_sources}"
             f" UNION {_named(kind, 'replaces')}"
             f" UNION SELECT source_id FROM {{citations}} WHERE {evidence_named})",
             (*shown_params, *cited_params), CARD))
        under: dict[int, tuple[Any, bool]] = {}
        if cut is None:
            rows, cites, cited_elsewhere, cards = self.db.read_at_once(*reads)
            sources = Sources([card(r) for r in cards], include_protected)
        else:
            # The page, the fold of the versions up to it and the cards it falls back on: one
            # snapshot (they were three, each of which could see a later commit of the follower).
            with self.db.snapshot() as c:
                rows, cites, cited_elsewhere, cards = self.db.all_together(c, *reads)
                sources = Sources([card(r) for r in cards], include_protected)
                if rows:
                    under = _under_cut(self.db, c, t, fid, cut, rows[:limit], include_protected)
                    # The value after a version may be a source no version of the page names (an
                    # earlier word the cut falls back to): rare, and read only then.
                    fallen_back = {under[r.version][0].value_source_id for r in rows[:limit] if r.version in under} \
                        - {None} - sources.cards.keys()
                    if fallen_back:
                        more_sources = source_cards(self.db, c, fallen_back, include_protected)
                        sources = Sources([*sources.cards.values(), *more_sources.cards.values()], include_protected)
        if not rows:
            # Before its first version (no cursor), or past its last (an empty last page); an
            # id never recorded is unknown whatever the cursor.
            with self.db.snapshot() as c:
                first_row = figure_at(self.db, c, OPEN - 1, fid)
            if first_row is None:
                raise NotFound("figure", figure_id)
            return {**_identity(fid, first_row), "versions": [], **({"citations": []} if citation_index else {}),
                    "next_cursor": None, "state": "not_yet_recorded" if after is None else "recorded"}
        page, more = rows[:limit], len(rows) > limit
        read = page
        if cut is not None:
            page = [r for r in page if r.version in under]  # an act on nothing counted yet: left out
        citations = [] if citation_counts else [render_citation(ct, sources, t) for ct in cites]
        # Every citation the evidence names is read with its source (cited_elsewhere), live here or not.
        hidden_citations = sources.citations_withheld(cited_elsewhere)
        cited_at = [ct.cited_at for ct in cites]
        live_until = [min(ct.withdrawn_at, t + 1) for ct in cites]
        # Only a citation withdrawn by t can have ended before a version began (the version began by t).
        withdrawn = [(n, until) for n, until in enumerate(live_until) if until <= t]
        versions = []
        # Most versions leave the value as it was (a claim not adopted, a regrading, a citation's
        # span): the previous version's parsed value serves them, shared.
        shown_key, shown = None, None
        # A version ends when the next begins, which is most often that event's own time: its text is reused.
        ended, ended_text = None, None
        seen: dict[str | None, tuple[bool, Any]] = {}  # each source's (hidden, card): a few per page
        for r in page:
            start, end = r.recorded_from, min(r.recorded_to, t + 1)
            if r.source_id not in seen:
                seen[r.source_id] = (sources.hidden(r.source_id), sources.ref(r.source_id))
            hidden, source = seen[r.source_id]
            # Under a cut, the figure's state after the version is the cut's (publication.states).
            after, changed = under[r.version] if cut is not None else (r, r.value_changed)
            for source_id in (r.value_source_id, after.value_source_id):
                if source_id not in seen:
                    seen[source_id] = (sources.hidden(source_id), sources.ref(source_id))
            if (after.value, after.value_source_id) != shown_key:
                shown_key = (after.value, after.value_source_id)
                shown = sources.value(orjson.loads(after.value), after.value_source_id)
            value = shown
            recorded_at = ended_text if r.recorded_at == ended else iso(r.recorded_at)
            ended, ended_text = r.recorded_to, (iso(r.recorded_to) if r.recorded_to <= t else None)
            versions.append({
                "version": r.version, "recorded_at": recorded_at, "recorded_to": ended_text,
                "actor": r.actor, "event": r.kind, "reason": r.reason,
                "value": value,
                "value_changed": bool(changed),
                "status": after.status, "grade": after.grade, "value_source": seen[after.value_source_id][1],
                "source": source, "report_id": None if hidden else r.report_id,
                "evidence": shown_evidence(orjson.loads(r.evidence), hidden_citations) if r.evidence else None,
                "replaces": [sources.ref(x) for x in orjson.loads(r.replaces)] if r.replaces else None,
                "said": _said(r, sources, hidden, value if after is r else None, source),
                "published_at": None if hidden and r.source_id is not None else iso(r.published_at),
                # Cited before the version ended (a prefix: cites are in cited_at order), not
                # withdrawn before it began.
                "citations": (_live_count(bisect_left(cited_at, end), start, withdrawn) if citation_counts
                              else [n for n in range(bisect_left(cited_at, end)) if live_until[n] > start]),
            })
        if not citation_index and not citation_counts:
            # The same dict objects, shared: the cost of the inline form is in its size, not in rendering.
            for v in versions:
                v["citations"] = [citations[n] for n in v["citations"]]
        last = read[-1]
        out = {**_identity(fid, read[0]), "versions": versions,
               "next_cursor": (encode_cursor(listing, f"{last.placed if by_publication else last.recorded_from}"
                                                     f":{last.version}") if more else None),
               "state": "recorded"}
        if citation_index and not citation_counts:
            out["citations"] = citations
        return out

    def latest_grading(self, figure_id: str, *, as_of: datetime | None = None, include_protected: bool = False,
                       published_by: Any = None) -> dict[str, Any] | None:
        """The figure's latest regrading by T (and by the cut, if one: an act counts from its
        recording), None if it was never graded: ``{"version", "recorded_at", "actor", "grade",
        "reason", "evidence"}``, the evidence as a history version shows it (a hidden source's
        citation as ``"protected"``). One seek on the figure's regradings (the index ``by_kind``), however
        long its history: the figure's key walked back from T over every later version (24 ms for
        the hottest figure at 1M events, never graded). SQLite is told the index: its statistics
        say a figure has ~3 versions, so it took the key, which orders the rows without a sort."""
        t, cut = read_time(as_of), check_published_by(published_by)
        params: list[Any] = [str(figure_id), t]
        if cut is not None:
            params.append(cut)
        seek = f" INDEXED BY {self.db.name}_figure_versions_by_kind" if self.db.kind == "sqlite" else ""
        latest = (f"SELECT {Grading.columns} FROM {{figure_versions}} fv{seek} WHERE fv.figure_id = ?"
                  f" AND fv.recorded_from <= ?{' AND fv.published_at <= ?' if cut is not None else ''}"
                  " AND fv.kind = 'regraded' ORDER BY fv.recorded_from DESC, fv.version DESC LIMIT 1")
        shown = f"WITH shown AS ({latest})"
        cites = f"{{citations}} WHERE {_named_citations(self.db.kind)}"
        # With the evidence's citations and their sources' cards: one round trip, as the history's page.
        rows, cited, cards = self.db.read_at_once(
            (latest, params, Grading),
            (f"{shown} SELECT citation_id, source_id FROM {cites}", params, None),
            (f"{shown} SELECT {CARD.columns} FROM {{sources}} WHERE source_id IN (SELECT source_id FROM {cites})",
             params, CARD))
        if not rows:
            return None
        r = rows[0]
        withheld = Sources([card(c) for c in cards], include_protected).citations_withheld(cited)
        return {"version": r.version, "recorded_at": iso(r.recorded_at), "actor": r.actor, "grade": r.grade,
                "reason": r.reason,
                "evidence": shown_evidence(orjson.loads(r.evidence), withheld) if r.evidence else []}


def _live_count(cited: int, start: int, withdrawn: list[tuple[int, int]]) -> int:
    """How many of the first ``cited`` citations were live when a version began at ``start``:
    those not among the ``withdrawn`` (position, end) that ended by then."""
    return cited - sum(1 for n, until in withdrawn if n < cited and until <= start)


def _said(r: Any, sources: Any, hidden: bool, value: dict[str, Any], source: Any) -> dict[str, Any] | None:
    """What the version's source said in it, as said, or None for a version that is no source's
    word (a correction, a retraction, a regrading). A stated, adopted or superseding word is the
    figure's value after it (``value``, ``source``: already rendered, shared); a claim not adopted
    is its own (``r.said``)."""
    if r.source_id is None:
        return None
    adopted = r.kind != "claimed"
    if value is None and adopted:  # the figure's value under a cut was passed over: the word's own
        value = sources.value(orjson.loads(r.value), r.value_source_id)
    if not adopted:
        if r.said is None:  # a claim row the views lack: say nothing rather than guess
            return None
        value = sources.value(orjson.loads(r.said), r.source_id)
    return {"value": value, "source": source, "report_id": None if hidden else r.report_id,
            "published_on": None if hidden else r.published_on, "filed_by": r.actor, "adopted": adopted}


def _under_cut(db: Db, c: Any, t: int, fid: str, cut: int, page: list[Any], include_protected: bool,
               ) -> dict[int, tuple[Any, bool]]:
    """Each version up to the page's last that the cut counts: the figure's state under the cut
    after it (the figure by id as of its recording, cut there), and whether that moved its value.

    The fold starts from the stored state of the last version before which every version counts
    (the fold of an all-counted prefix is the state stored; found by one range in SQL), not from
    the figure's first version: a page deep in a long history folded all the versions before
    it, and walking the history page by page was quadratic."""
    first = min(page, key=lambda r: r.version)
    last = max(page, key=lambda r: r.version)
    placed = publication_placed("fv", "ps", include_protected)
    held = db.one(c, f"SELECT fv.recorded_from, fv.version FROM {{figure_versions}} fv{PLACED_JOIN}"
                     f" WHERE fv.figure_id = ? AND (fv.recorded_from, fv.version) < (?, ?) AND {placed} > ?"
                     " ORDER BY fv.recorded_from, fv.version LIMIT 1", (fid, first.recorded_from, first.version, cut))
    since = (first.recorded_from, first.version) if held is None else tuple(held)
    base = step_before(db, c, fid, since)
    before = None if base is None else publication.state_of(base)
    out: dict[int, tuple[Any, bool]] = {}
    for r, folded in publication.states(figure_steps(db, c, fid, since if base is not None else None,
                                                     (last.recorded_from, last.version), include_protected),
                                        cut, before):
        out[r.version] = (folded, before is None or folded.value != before.value)
        before = folded
    return out


def _identity(fid: str, row: Any) -> dict[str, Any]:
    """What never changes in a figure's versions: its incident, metric, breakdown and population."""
    return {"figure_id": fid, "incident_id": row.incident_id, "metric": row.metric,
            "breakdown": orjson.loads(row.breakdown), "population": row.population}
