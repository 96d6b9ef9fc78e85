"""Records as of T: pages of incidents, sources and reports, one of each, and the citations of a record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ledger.errors import NotFound
from projections.db import Db
from projections.paging import check_limit, decode_cursor, listing_page
from projections.publication import check_published_by
from projections.read_arguments import check_place, check_window, read_time
from projections.times import from_micros
from projections.read_filters import SOURCE_AT, containing, source_cards, window_clause
from projections.redaction import visible_source
from projections.view_rows import (
    Citation, Incident, Report, Source, render_citation, render_incident, render_report, render_source,
)


class RecordListings:
    """Incidents, sources and reports (a page, or one as of T) and a record's citations, for Reader
    (which provides ``db``)."""

    db: Db

    def incidents(
        self, *, as_of: datetime | None = None, valid_from: date | None = None, valid_to: date | None = None,
        place: str | None = None, cursor: str | None = None, limit: int = 50, include_protected: bool = False,
        titled: str | None = None,
    ) -> dict[str, Any]:
        """A page of incidents as of T (period as recorded then), in id order; ``titled`` keeps
        those whose title (or English title) contains the words, so a picker finds any of them."""
        limit = check_limit(limit)
        after = decode_cursor("incidents", cursor)
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        where, params = window_clause("iv", wf, wt)
        if place_key is not None:
            where.append("i.incident_id IN (SELECT incident_id FROM {incident_places} WHERE place_key = ?)")
            params.append(place_key)
        if titled:
            where.append("(lower(i.title) LIKE ? ESCAPE '!' OR lower(i.title_en) LIKE ? ESCAPE '!')")
            params.extend([containing(titled)] * 2)
        if after is not None:
            where.append("i.incident_id > ?")
            params.append(after)
        with self.db.snapshot() as c:
            rows = self.db.all(
                c,
                f"SELECT {Incident.columns} FROM {{incidents}} i JOIN {{incident_versions}} iv"
                " ON iv.incident_id = i.incident_id AND iv.recorded_from <= ? AND iv.recorded_to > ?"
                f"{''.join(' AND ' + w for w in where)} ORDER BY i.incident_id LIMIT ?",
                (t, t, *params, limit + 1), shape=Incident,
            )
        items = [render_incident(r) for r in rows[:limit]]
        return listing_page("incidents", "incident_id", items, len(rows) > limit)

    def incident(self, incident_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """``{"incident_id", "title", "title_en", "description", "places", "valid_from", "valid_to",
        "version", "recorded_at", "recorded_by", "period_recorded_at", "period_reason"}``."""
        t = read_time(as_of)
        with self.db.snapshot() as c:
            row = self.db.one(
                c,
                f"SELECT {Incident.columns} FROM {{incidents}} i JOIN {{incident_versions}} iv"
                " ON iv.incident_id = i.incident_id AND iv.recorded_from <= ? AND iv.recorded_to > ?"
                " WHERE i.incident_id = ?",
                (t, t, str(incident_id)), shape=Incident,
            )
        if row is None:
            raise NotFound("incident", incident_id)
        return render_incident(row)

    def incidents_by_id(self, incident_ids: list[str], *, as_of: datetime | None = None) -> dict[str, dict[str, Any]]:
        """Several incidents as of T in one statement (``{id: incident}``, as ``incident`` renders
        each; an unknown id is left out): what a page of figures needs of its incidents."""
        if not incident_ids:
            return {}
        t = read_time(as_of)
        marks = ", ".join("?" * len(incident_ids))
        with self.db.snapshot() as c:
            rows = self.db.all(
                c,
                f"SELECT {Incident.columns} FROM {{incidents}} i JOIN {{incident_versions}} iv"
                " ON iv.incident_id = i.incident_id AND iv.recorded_from <= ? AND iv.recorded_to > ?"
                f" WHERE i.incident_id IN ({marks})",
                (t, t, *(str(i) for i in incident_ids)), shape=Incident,
            )
        return {str(r.incident_id): render_incident(r) for r in rows}

    def sources(
        self, *, as_of: datetime | None = None, cursor: str | None = None, limit: int = 50,
        include_protected: bool = False, named: str | None = None,
    ) -> dict[str, Any]:
        """A page of sources registered by T, in id order; protected ones only with include_protected;
        ``named`` keeps those whose name (or English name) contains the words."""
        limit = check_limit(limit)
        after = decode_cursor("sources", cursor)
        where: list[str] = []
        params: list[Any] = []
        visible = visible_source("s", include_protected)
        if visible:
            where.append(visible)
        if named:
            match = "(lower(s.name) LIKE ? ESCAPE '!' OR lower(s.name_en) LIKE ? ESCAPE '!')"
            # For a reader the pattern never touches a protected name: not even its time may depend
            # on it. CASE is evaluated in order in both stores; AND's terms may be reordered.
            where.append(f"CASE WHEN {visible} THEN {match} ELSE 1 = 0 END" if visible else match)
            params.extend([containing(named)] * 2)
        if after is not None:
            where.append("s.source_id > ?")
            params.append(after)
        with self.db.snapshot() as c:
            rows = self.db.all(c, f"SELECT {Source.columns} FROM {SOURCE_AT} WHERE {' AND '.join(where) or '1 = 1'}"
                                  " ORDER BY s.source_id LIMIT ?", (read_time(as_of), *params, limit + 1), shape=Source)
        items = [render_source(r) for r in rows[:limit]]
        return listing_page("sources", "source_id", items, len(rows) > limit)

    def record_counts(self, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, int]:
        """How many incidents were recorded and sources registered by T: ``{"incidents", "sources"}``,
        the lengths of every page of ``incidents`` and ``sources`` together, in one statement. A
        protected source counts only with include_protected, so a reader's count tells nothing of them."""
        t = read_time(as_of)
        visible = visible_source("s", include_protected)
        hidden = f" AND {visible}" if visible else ""
        with self.db.snapshot() as c:
            row = self.db.one(c, "SELECT (SELECT COUNT(*) FROM {incidents} WHERE recorded_at <= ?),"
                                 f" (SELECT COUNT(*) FROM {{sources}} s WHERE s.registered_at <= ?{hidden})", (t, t))
        return {"incidents": int(row[0]), "sources": int(row[1])}

    def source(self, source_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """``{"source_id", "name", "name_en", "kind", "url", "language", "protected", "version",
        "registered_at", "registered_by"}`` as of T; a protected source is NotFound without include_protected."""
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {Source.columns} FROM {SOURCE_AT} WHERE s.source_id = ?",
                              (read_time(as_of), str(source_id)), shape=Source)
            sources = source_cards(self.db, c, {row.source_id} if row else set(), include_protected)
        if row is None or sources.hidden(row.source_id):
            raise NotFound("source", source_id)
        return render_source(row)

    def reports(
        self, *, source_id: str | None = None, as_of: datetime | None = None, cursor: str | None = None,
        limit: int = 50, include_protected: bool = False, published_by: Any = None,
    ) -> dict[str, Any]:
        """A page of reports filed by T, in id order, and published by ``published_by`` if given
        (publication.report_published_at: its day, else its filing). A protected source's reports
        are left out without include_protected: a report's title and link name its source."""
        limit = check_limit(limit)
        after = decode_cursor("reports", cursor)
        t, cut = read_time(as_of), check_published_by(published_by)
        where, params = ["r.filed_at <= ?"], [t]
        if cut is not None:
            # Published on a day up to the cut's (UTC) day, or undated and filed by the cut.
            where.append("(r.published_on > '' AND r.published_on <= ?"
                         " OR COALESCE(r.published_on, '') = '' AND r.filed_at <= ?)")
            params += [from_micros(cut).date().isoformat(), cut]
        visible = visible_source("s", include_protected)
        if visible:
            where.append(visible)
        if source_id is not None:
            where.append("r.source_id = ?")
            params.append(str(source_id))
        if after is not None:
            where.append("r.report_id > ?")
            params.append(after)
        with self.db.snapshot() as c:
            rows = self.db.all(
                c,
                f"SELECT {Report.columns} FROM {{reports}} r JOIN {{sources}} s ON s.source_id = r.source_id"
                f" WHERE {' AND '.join(where)} ORDER BY r.report_id LIMIT ?",
                (*params, limit + 1), shape=Report,
            )
            sources = source_cards(self.db, c, {r.source_id for r in rows}, include_protected)
        items = [render_report(r, sources) for r in rows[:limit]]
        return listing_page("reports", "report_id", items, len(rows) > limit)

    def report(self, report_id: str, *, as_of: datetime | None = None, include_protected: bool = False) -> dict[str, Any]:
        """``{"report_id", "source", "title", "title_en", "language", "published_on", "url", "reference",
        "period_from", "period_to", "places", "figure_ids", "filed_at", "filed_by"}``."""
        t = read_time(as_of)
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {Report.columns} FROM {{reports}} r WHERE r.report_id = ?"
                                 " AND r.filed_at <= ?", (str(report_id), t), shape=Report)
            sources = source_cards(self.db, c, {row.source_id} if row else set(), include_protected)
        if row is None or sources.hidden(row.source_id):
            raise NotFound("report", report_id)
        return render_report(row, sources)

    def citations(
        self, target_id: str, *, as_of: datetime | None = None, include_withdrawn: bool = True,
        include_protected: bool = False,
    ) -> list[dict[str, Any]]:
        """The citations of a report or figure made by T, oldest first (withdrawn ones marked, as of T).

        ``{"citation_id", "target_kind", "target_id", "source", "url", "quote", "quote_en", "page",
        "accessed_on", "sha256", "cited_at", "cited_by", "withdrawn", "withdrawn_at", "withdrawn_by",
        "withdrawn_reason"}``; a hidden source's citation is ``{"source": "protected", "withdrawn",
        "cited_at"}``.
        """
        t = read_time(as_of)
        with self.db.snapshot() as c:
            rows = self.db.all(c, f"SELECT {Citation.columns} FROM {{citations}}"
                                  " WHERE target_id = ? AND cited_at <= ? ORDER BY cited_at, citation_id",
                               (str(target_id), t), shape=Citation)
            sources = source_cards(self.db, c, {r.source_id for r in rows}, include_protected)
        out = [render_citation(r, sources, t) for r in rows]
        return out if include_withdrawn else [x for x in out if not x["withdrawn"]]

    def citations_from(self, target_id: str, *, start: int, limit: int, as_of: datetime | None = None,
                       include_protected: bool = False) -> dict[str, Any]:
        """``limit`` of ``citations(target_id)`` from position ``start``, and how many there are:
        ``{"rows", "total", "start"}``. For a page that lists a few of a record's citations: a
        figure cited 10,000 times would otherwise read and render every one (300 ms at 1M events)."""
        t = read_time(as_of)
        with self.db.snapshot() as c:
            total = self.db.value(c, "SELECT COUNT(*) FROM {citations} WHERE target_id = ? AND cited_at <= ?",
                                  (str(target_id), t))
            rows = self.db.all(c, f"SELECT {Citation.columns} FROM {{citations}}"
                                  " WHERE target_id = ? AND cited_at <= ? ORDER BY cited_at, citation_id"
                                  " LIMIT ? OFFSET ?", (str(target_id), t, check_limit(limit), start), shape=Citation)
            sources = source_cards(self.db, c, {r.source_id for r in rows}, include_protected)
        return {"rows": [render_citation(r, sources, t) for r in rows], "total": total, "start": start}

