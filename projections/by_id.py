"""Records read by id, from the view tables, in the shape the API's by-id reads answer with.

Each answer carries the record's ``version`` (its ETag), its times as datetimes and ``state``
"recorded"; ``as_of`` gives the record as the views held it at that recording time. As of a
time (or, for figures and reports, a publication cut) before a record existed, the answer is
what the ledger said then, nothing yet (``not_yet``): ``state`` "not_yet_recorded", version 0,
the id and the times asked, no other field. Only a record that exists now and that the caller
may see now is "not yet"; an unknown id is NotFound. Redaction is redaction.py's: a protected
source, its reports and its citations are NotFound to those who may not see them, exactly as
an unknown id, as of every time (also before they existed); a figure's claims from it keep
their numbers and lose who said them and the words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ledger.errors import InvalidInput, NotFound
from ledger.value import Count
from projections.db import OPEN, Db
from projections.named_rows import shape
from projections.read_arguments import iso_as_of, read_time
from projections.figure_reads import figure_at
from projections.publication import check_published_by, counts, iso_published_by, report_published_at
from projections.read_filters import SOURCE_AT, claims_published_by, source_cards
from projections.redaction import record_hidden
from projections.times import from_micros, iso
from projections.view_rows import Source, admin_codes

_Report = shape("Report", "report_id, source_id, title, title_en, language, published_on, url, reference,"
                         " period_from, period_to, places, figure_ids, filed_at")
_Citation = shape("Citation", "citation_id, target_kind, target_id, source_id, url, quote, quote_en, page,"
                             " accessed_on, sha256, withdrawn, version, cited_at, withdrawn_at, withdrawn_by, withdrawn_reason")
_Incident = shape("Incident", "incident_id, title, title_en, places, valid_from, valid_to, description, version,"
                             " recorded_at, updated_at")
_IncidentThen = shape("IncidentThen", "valid_from, valid_to, version, recorded_from")
_Figure = shape("Figure", "figure_id, incident_id, metric, breakdown, population, value, value_source_id, status, grade,"
                         " version, recorded_at")
#: A source's claim on a figure, as one figure version put it in place.
_Claim = shape("Claim", "source_id, figure_version, claim_version, claimed_at, report_id, value, superseded")
#: Whose record an id is, whatever its kind.
_Owner = shape("Owner", "source_id")
_CitationOwner = shape("CitationOwner", "source_id, target_kind, target_id")
#: Each kind read by id: its table, and the column naming the source that owns it (a protected
#: one hides it), if a source can.
_KINDS = {"figure": ("figures", None), "incident": ("incidents", None), "source": ("sources", "source_id"),
          "report": ("reports", "source_id"), "citation": ("citations", "source_id")}


class RecordReads:
    """By-id reads for Reader (which provides ``db``)."""

    db: Db

    def figure_record(self, figure_id: str, *, version: int | None = None, as_of: datetime | None = None,
                      include_protected: bool = False, published_by: Any = None) -> dict[str, Any]:
        """The figure now (or at ``version``, the latest when it has no such version; or the
        version live at ``as_of``):
        ``{"figure_id", "incident_id", "metric", "breakdown", "population", "value", "status", "grade",
        "claims": [{"source_id", "report_id", "protected", "value", "version", "recorded_at",
        "superseded"}], "version", "created_at", "modified_at", "state"}``, claims in the order made. With
        ``published_by``, as the words published by then made it (projections/publication.py), each
        source's claim its latest published by then. Not yet (``not_yet``) before its first version
        as of T, or while none of its words was published by the cut."""
        fid = str(figure_id)
        if version is not None and as_of is not None:
            raise InvalidInput("give version or as_of, not both", field="version, as_of")
        cut = check_published_by(published_by)
        if version is not None and cut is not None:
            raise InvalidInput("give version or published_by, not both", field="published_by")
        t = OPEN if as_of is None else read_time(as_of)
        with self.db.snapshot() as c:
            row = None
            if cut is not None:
                row = figure_at(self.db, c, read_time(as_of), fid, cut, include_protected)
            elif as_of is not None:
                row = self.db.one(c, f"SELECT {_Figure.columns} FROM {{figure_versions}} WHERE figure_id = ?"
                                     " AND recorded_from <= ? AND recorded_to > ?", (fid, t, t), shape=_Figure)
            if row is None and (cut is not None or as_of is not None):
                return self._not_yet(c, "figure", fid, as_of, cut, include_protected)
            if version is not None:
                row = self.db.one(c, f"SELECT {_Figure.columns} FROM {{figure_versions}} WHERE figure_id = ?"
                                     " AND version = ?", (fid, version), shape=_Figure)
            if row is None:
                row = self.db.one(c, f"SELECT {_Figure.columns} FROM {{figure_versions}} WHERE figure_id = ?"
                                     " AND recorded_to = ?", (fid, OPEN), shape=_Figure)
            if row is None:
                raise NotFound("figure", figure_id)
            created = self.db.value(c, "SELECT stated_at FROM {figures} WHERE figure_id = ?", (fid,))
            # Each source's claim as it stood at this version: its row put in place last by then.
            latest: dict[str, Any] = {}
            if cut is not None:
                latest = {w.source_id: w for w in claims_published_by(self.db, c, read_time(as_of), cut, [fid],
                                                                   include_protected)}
            for claim in () if cut is not None else self.db.all(
                    c, f"SELECT {_Claim.columns} FROM {{claim_versions}} WHERE figure_id = ? AND figure_version <= ?",
                    (fid, row.version), shape=_Claim):
                if claim.source_id not in latest or latest[claim.source_id].figure_version < claim.figure_version:
                    latest[claim.source_id] = claim
            sources = source_cards(self.db, c, set(latest) | {row.value_source_id}, include_protected)
        claims, withheld = [], []
        for claim in sorted(latest.values(), key=lambda r: r.claim_version):
            stated = orjson.loads(claim.value)
            if sources.hidden(claim.source_id):
                withheld.append(stated)
            claims.append({**sources.claim(claim.source_id, claim.report_id, _count(stated)),
                           "version": claim.claim_version, "recorded_at": from_micros(claim.claimed_at),
                           "superseded": bool(claim.superseded)})
        breakdown = orjson.loads(row.breakdown)
        return {"figure_id": row.figure_id, "incident_id": row.incident_id, "metric": row.metric,
                "breakdown": breakdown, "admin_codes": admin_codes(self.terms, breakdown), "population": row.population,
                "value": _count(sources.current(orjson.loads(row.value), row.value_source_id, withheld)),
                "status": row.status, "grade": row.grade, "claims": claims, "version": row.version,
                "created_at": from_micros(created), "modified_at": from_micros(row.recorded_at), "state": "recorded"}

    def source_record(self, source_id: str, *, as_of: datetime | None = None,
                      include_protected: bool = False) -> dict[str, Any]:
        """``{"source_id", "name", "name_en", "kind", "url", "language", "protected", "version",
        "created_at", "modified_at", "state"}``: as of T, the version live then (its protection then),
        not yet before it was registered. Who may see it is decided by its protection now
        (redaction.py), whatever T."""
        t = OPEN if as_of is None else read_time(as_of)
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {Source.columns} FROM {SOURCE_AT} WHERE s.source_id = ?", (t, str(source_id)),
                              shape=Source)
            if row is None:
                return self._not_yet(c, "source", str(source_id), as_of, None, include_protected)
            sources = source_cards(self.db, c, {row.source_id}, include_protected)
        if sources.hidden(row.source_id):
            raise NotFound("source", source_id)
        return {"state": "recorded", "source_id": row.source_id, "name": row.name, "name_en": row.name_en,
                "kind": row.kind, "url": row.url, "language": row.language, "protected": bool(row.protected),
                "version": row.version,
                "created_at": from_micros(row.registered_at), "modified_at": from_micros(row.updated_at)}

    def incident_record(self, incident_id: str, *, as_of: datetime | None = None) -> dict[str, Any]:
        """``{"incident_id", "title", "title_en", "places", "valid_from", "valid_to", "description",
        "version", "created_at", "modified_at", "state"}``; as of T, the period (and version) live
        then, not yet before it was recorded."""
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_Incident.columns} FROM {{incidents}} WHERE incident_id = ?",
                              (str(incident_id),), shape=_Incident)
            if row is None:
                raise NotFound("incident", incident_id)
            if as_of is not None:
                t = read_time(as_of)
                then = self.db.one(c, "SELECT valid_from, valid_to, version, recorded_from FROM {incident_versions}"
                                      " WHERE incident_id = ? AND recorded_from <= ? AND recorded_to > ?",
                                   (row.incident_id, t, t), shape=_IncidentThen)
                if then is None:
                    return self._nothing_yet(c, "incident", row.incident_id, None, as_of, None)
                row = row._replace(valid_from=then.valid_from, valid_to=then.valid_to, version=then.version,
                                   updated_at=then.recorded_from)
        return {"state": "recorded", "incident_id": row.incident_id, "title": row.title, "title_en": row.title_en,
                "places": orjson.loads(row.places), "valid_from": row.valid_from, "valid_to": row.valid_to,
                "description": row.description, "version": row.version, "created_at": from_micros(row.recorded_at),
                "modified_at": from_micros(row.updated_at)}

    def report_record(self, report_id: str, *, as_of: datetime | None = None,
                      include_protected: bool = False, published_by: Any = None) -> dict[str, Any]:
        """``{"report_id", "source_id", "title", "title_en", "language", "published_on", "url",
        "reference", "period_from", "period_to", "places", "figure_ids", "version", "created_at", "state"}``;
        not yet if it was filed after as_of or published after ``published_by``."""
        t = OPEN if as_of is None else read_time(as_of)
        cut = check_published_by(published_by)
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_Report.columns} FROM {{reports}} WHERE report_id = ?", (str(report_id),),
                              shape=_Report)
            if row is not None and (row.filed_at > t or not counts(report_published_at(row.published_on,
                                                                                       row.filed_at), cut)):
                return self._nothing_yet(c, "report", row.report_id, row.source_id, as_of, cut, include_protected)
            sources = source_cards(self.db, c, {row.source_id} if row else set(), include_protected)
        if row is None or sources.hidden(row.source_id):
            raise NotFound("report", report_id)
        return {"state": "recorded", "report_id": row.report_id, "source_id": row.source_id, "title": row.title,
                "title_en": row.title_en, "language": row.language, "published_on": row.published_on, "url": row.url,
                "reference": row.reference, "period_from": row.period_from, "period_to": row.period_to,
                "places": orjson.loads(row.places), "figure_ids": orjson.loads(row.figure_ids),
                "version": 1, "created_at": from_micros(row.filed_at)}  # a report is never changed once filed

    def citation_record(self, citation_id: str, *, as_of: datetime | None = None,
                        include_protected: bool = False) -> dict[str, Any]:
        """``{"citation_id", "target_kind", "target_id", "source_id", "url", "quote", "quote_en", "page",
        "accessed_on", "sha256", "withdrawn", "withdrawn_by", "withdrawn_reason", "version", "created_at",
        "modified_at"}`` (who withdrew it and why: null while it stands); ``target_id``
        null when it is a hidden source's report; ``state``. As of T: withdrawn only if it was by
        then; not yet before it was made."""
        t = OPEN if as_of is None else read_time(as_of)
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_Citation.columns} FROM {{citations}} WHERE citation_id = ?",
                              (str(citation_id),), shape=_Citation)
            if row is None:
                raise NotFound("citation", citation_id)
            if row.cited_at > t:
                return self._nothing_yet(c, "citation", row.citation_id, row.source_id, as_of, None,
                                         include_protected)
            target_source = self._report_source(c, row.target_id) if row.target_kind == "report" else None
            sources = source_cards(self.db, c, {row.source_id, target_source}, include_protected)
        if sources.hidden(row.source_id):
            raise NotFound("citation", citation_id)
        withdrawn = bool(row.withdrawn) and row.withdrawn_at <= t
        # A citation is withdrawn once at most (ledger/citation.py): one version before, one after.
        version = row.version if withdrawn or not row.withdrawn else row.version - 1
        hides_target = row.target_kind == "report" and (target_source is None or sources.hidden(target_source))
        return {"state": "recorded", "citation_id": row.citation_id, "target_kind": row.target_kind,
                "target_id": None if hides_target and not include_protected else row.target_id,
                "source_id": row.source_id, "url": row.url, "quote": row.quote, "quote_en": row.quote_en,
                "page": row.page, "accessed_on": row.accessed_on, "sha256": row.sha256,
                "withdrawn": withdrawn, "withdrawn_by": row.withdrawn_by if withdrawn else None,
                "withdrawn_reason": row.withdrawn_reason if withdrawn else None, "version": version,
                "created_at": from_micros(row.cited_at),
                "modified_at": from_micros(row.withdrawn_at if withdrawn else row.cited_at)}

    def not_yet(self, kind: str, record_id: str, *, as_of: datetime | None = None, published_by: Any = None,
                include_protected: bool = False) -> dict[str, Any]:
        """What the ledger said of a record (``kind`` a key of _KINDS) as of a time, or a cut,
        before it existed: nothing yet, ``{"<kind>_id", "state": "not_yet_recorded", "as_of",
        "published_by", "version": 0}``, the times as asked (ISO 8601, None when not asked).
        NotFound, exactly as an unknown id, unless the record exists now and the caller may see it
        now: a protected source's records never say when they began. For a page that found the
        record missing as of its time (the by-id reads above come here themselves)."""
        with self.db.snapshot() as c:
            return self._not_yet(c, kind, str(record_id), as_of, check_published_by(published_by),
                                 include_protected)

    def _not_yet(self, c: Any, kind: str, record_id: str, as_of: datetime | None, cut: int | None,
                 include_protected: bool = False) -> dict[str, Any]:
        table, owner = _KINDS[kind]
        found = self.db.value(c, f"SELECT {owner or kind + '_id'} FROM {{{table}}} WHERE {kind}_id = ?", (record_id,))
        if found is None:
            raise NotFound(kind, record_id)
        return self._nothing_yet(c, kind, record_id, found if owner else None, as_of, cut, include_protected)

    def _nothing_yet(self, c: Any, kind: str, record_id: str, source_id: str | None, as_of: datetime | None,
                     cut: int | None, include_protected: bool = False) -> dict[str, Any]:
        """``not_yet`` of a record read already (no second read of its row), owned by ``source_id``
        (None: no source owns it)."""
        if source_id is not None and source_cards(self.db, c, {source_id}, include_protected).hidden(source_id):
            raise NotFound(kind, record_id)
        return {f"{kind}_id": record_id, "state": "not_yet_recorded", "as_of": iso_as_of(as_of),
                "published_by": iso_published_by(cut), "version": 0}

    def hides_record(self, record_id: str, *, include_protected: bool = False, current: bool = True) -> bool:
        """Whether the id of any record, whatever its kind, would tell who a protected source is
        (redaction.record_hidden); ``current``: the views had reached the log's head."""
        rid = str(record_id)
        with self.db.snapshot() as c:
            kind, source_id, target_source = None, None, None
            if (row := self.db.one(c, "SELECT source_id FROM {sources} WHERE source_id = ?", (rid,),
                                   shape=_Owner)) is not None:
                kind, source_id = "source", row.source_id
            elif (row := self.db.one(c, "SELECT source_id FROM {reports} WHERE report_id = ?", (rid,),
                                     shape=_Owner)) is not None:
                kind, source_id = "report", row.source_id
            elif (row := self.db.one(c, f"SELECT {_CitationOwner.columns} FROM {{citations}} WHERE citation_id = ?",
                                     (rid,), shape=_CitationOwner)) is not None:
                kind, source_id = "citation", row.source_id
                if row.target_kind == "report":
                    target_source = self._report_source(c, row.target_id) or ""  # unknown report: withhold
            sources = source_cards(self.db, c, {source_id, target_source}, include_protected)
        return record_hidden(kind, source_id, target_source, sources, known=current)

    def _report_source(self, c: Any, report_id: str) -> str | None:
        return self.db.value(c, "SELECT source_id FROM {reports} WHERE report_id = ?", (report_id,))


def _count(value: dict[str, Any]) -> dict[str, Any]:
    """A stated count with its short English rendering."""
    return {**value, "text": Count.from_dict(value).describe()}
