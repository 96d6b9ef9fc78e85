"""Records read by id, from the view tables, in the shape the API's by-id reads answer with.

Each answer carries the record's ``version`` (its ETag) and its times as datetimes. Redaction
is redaction.py's: a protected source, its reports and its citations are NotFound to those
who may not see them, exactly as an unknown id; a figure's claims from it keep their numbers
and lose who said them and the words.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.errors import NotFound
from ledger.value import Count
from projections.db import OPEN
from projections.redaction import Sources, record_hidden
from projections.times import from_micros

_SOURCE = "source_id, name, name_en, kind, url, language, protected, version, registered_at, updated_at"
_REPORT = ("report_id, source_id, title, title_en, language, published_on, url, reference, period_from, period_to,"
           " places, figure_ids, filed_at")
_CITATION = ("citation_id, target_kind, target_id, source_id, url, quote, quote_en, page, accessed_on, sha256,"
             " withdrawn, version, cited_at, withdrawn_at")
_INCIDENT = "incident_id, title, title_en, places, valid_from, valid_to, description, version, recorded_at, updated_at"
_FIGURE = "figure_id, incident_id, metric, breakdown, value, value_source_id, status, grade, version, recorded_at"


class RecordReads:
    """By-id reads for Reader (which provides ``db`` and ``_sources``)."""

    db: Any

    def _sources(self, c: Any, ids: set[str | None], include_protected: bool) -> Sources:
        raise NotImplementedError

    def figure_record(self, figure_id: str, *, version: int | None = None,
                      include_protected: bool = False) -> dict[str, Any]:
        """The figure now (or at ``version``; the latest when it has no such version):
        ``{"figure_id", "incident_id", "metric", "breakdown", "value", "status", "grade",
        "claims": [{"source_id", "report_id", "protected", "value", "version", "recorded_at",
        "superseded"}], "version", "created_at", "modified_at"}``, claims in the order made."""
        fid = str(figure_id)
        with self.db.snapshot() as c:
            row = None
            if version is not None:
                row = self.db.one(c, f"SELECT {_FIGURE} FROM {{figure_versions}} WHERE figure_id = ? AND version = ?",
                                  (fid, version))
            if row is None:
                row = self.db.one(c, f"SELECT {_FIGURE} FROM {{figure_versions}} WHERE figure_id = ?"
                                     " AND recorded_to = ?", (fid, OPEN))
            if row is None:
                raise NotFound("figure", figure_id)
            created = self.db.one(c, "SELECT stated_at FROM {figures} WHERE figure_id = ?", (fid,))
            # Each source's claim as it stood at this version: its row put in place last by then.
            latest: dict[str, tuple] = {}
            for claim in self.db.all(c, "SELECT source_id, figure_version, claim_version, claimed_at, report_id, value,"
                                        " superseded FROM {claim_versions} WHERE figure_id = ? AND figure_version <= ?",
                                     (fid, row[8])):
                if claim[0] not in latest or latest[claim[0]][1] < claim[1]:
                    latest[claim[0]] = claim
            sources = self._sources(c, set(latest) | {row[5]}, include_protected)
        claims, withheld = [], []
        for source_id, _, claim_version, claimed_at, report_id, value, superseded in sorted(
                latest.values(), key=lambda r: r[2]):
            stated = orjson.loads(value)
            if sources.hidden(source_id):
                withheld.append(stated)
            claims.append({**sources.claim(source_id, report_id, _count(stated)), "version": claim_version,
                           "recorded_at": from_micros(claimed_at), "superseded": bool(superseded)})
        return {"figure_id": row[0], "incident_id": row[1], "metric": row[2], "breakdown": orjson.loads(row[3]),
                "value": _count(sources.current(orjson.loads(row[4]), row[5], withheld)), "status": row[6],
                "grade": row[7], "claims": claims, "version": row[8], "created_at": from_micros(created[0]),
                "modified_at": from_micros(row[9])}

    def source_record(self, source_id: str, *, include_protected: bool = False) -> dict[str, Any]:
        """``{"source_id", "name", "name_en", "kind", "url", "language", "protected", "version",
        "created_at", "modified_at"}``."""
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_SOURCE} FROM {{sources}} WHERE source_id = ?", (str(source_id),))
            sources = self._sources(c, {row[0]} if row else set(), include_protected)
        if row is None or sources.hidden(row[0]):
            raise NotFound("source", source_id)
        return {"source_id": row[0], "name": row[1], "name_en": row[2], "kind": row[3], "url": row[4],
                "language": row[5], "protected": bool(row[6]), "version": row[7],
                "created_at": from_micros(row[8]), "modified_at": from_micros(row[9])}

    def incident_record(self, incident_id: str) -> dict[str, Any]:
        """``{"incident_id", "title", "title_en", "places", "valid_from", "valid_to", "description",
        "version", "created_at", "modified_at"}``."""
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_INCIDENT} FROM {{incidents}} WHERE incident_id = ?", (str(incident_id),))
        if row is None:
            raise NotFound("incident", incident_id)
        return {"incident_id": row[0], "title": row[1], "title_en": row[2], "places": orjson.loads(row[3]),
                "valid_from": row[4], "valid_to": row[5], "description": row[6], "version": row[7],
                "created_at": from_micros(row[8]), "modified_at": from_micros(row[9])}

    def report_record(self, report_id: str, *, include_protected: bool = False) -> dict[str, Any]:
        """``{"report_id", "source_id", "title", "title_en", "language", "published_on", "url",
        "reference", "period_from", "period_to", "places", "figure_ids", "version", "created_at"}``."""
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_REPORT} FROM {{reports}} WHERE report_id = ?", (str(report_id),))
            sources = self._sources(c, {row[1]} if row else set(), include_protected)
        if row is None or sources.hidden(row[1]):
            raise NotFound("report", report_id)
        return {"report_id": row[0], "source_id": row[1], "title": row[2], "title_en": row[3], "language": row[4],
                "published_on": row[5], "url": row[6], "reference": row[7], "period_from": row[8],
                "period_to": row[9], "places": orjson.loads(row[10]), "figure_ids": orjson.loads(row[11]),
                "version": 1, "created_at": from_micros(row[12])}  # a report is never changed once filed

    def citation_record(self, citation_id: str, *, include_protected: bool = False) -> dict[str, Any]:
        """``{"citation_id", "target_kind", "target_id", "source_id", "url", "quote", "quote_en", "page",
        "accessed_on", "sha256", "withdrawn", "version", "created_at", "modified_at"}``; ``target_id``
        null when it is a hidden source's report."""
        with self.db.snapshot() as c:
            row = self.db.one(c, f"SELECT {_CITATION} FROM {{citations}} WHERE citation_id = ?", (str(citation_id),))
            if row is None:
                raise NotFound("citation", citation_id)
            target_source = self._report_source(c, row[2]) if row[1] == "report" else None
            sources = self._sources(c, {row[3], target_source}, include_protected)
        if sources.hidden(row[3]):
            raise NotFound("citation", citation_id)
        hides_target = row[1] == "report" and (target_source is None or sources.hidden(target_source))
        return {"citation_id": row[0], "target_kind": row[1],
                "target_id": None if hides_target and not include_protected else row[2], "source_id": row[3],
                "url": row[4], "quote": row[5], "quote_en": row[6], "page": row[7], "accessed_on": row[8],
                "sha256": row[9], "withdrawn": bool(row[10]), "version": row[11], "created_at": from_micros(row[12]),
                "modified_at": from_micros(row[13] if row[10] else row[12])}

    def hides_record(self, record_id: str, *, include_protected: bool = False, current: bool = True) -> bool:
        """Whether the id of any record, whatever its kind, would tell who a protected source is
        (redaction.record_hidden); ``current``: the views had reached the log's head."""
        rid = str(record_id)
        with self.db.snapshot() as c:
            kind, source_id, target_source = None, None, None
            if (row := self.db.one(c, "SELECT source_id FROM {sources} WHERE source_id = ?", (rid,))) is not None:
                kind, source_id = "source", row[0]
            elif (row := self.db.one(c, "SELECT source_id FROM {reports} WHERE report_id = ?", (rid,))) is not None:
                kind, source_id = "report", row[0]
            elif (row := self.db.one(c, "SELECT source_id, target_kind, target_id FROM {citations}"
                                        " WHERE citation_id = ?", (rid,))) is not None:
                kind, source_id = "citation", row[0]
                if row[1] == "report":
                    target_source = self._report_source(c, row[2]) or ""  # unknown report: withhold
            sources = self._sources(c, {source_id, target_source}, include_protected)
        return record_hidden(kind, source_id, target_source, sources, known=current)

    def _report_source(self, c: Any, report_id: str) -> str | None:
        row = self.db.one(c, "SELECT source_id FROM {reports} WHERE report_id = ?", (report_id,))
        return None if row is None else row[0]


def _count(value: dict[str, Any]) -> dict[str, Any]:
    """A stated count with its short English rendering."""
    return {**value, "text": Count.from_dict(value).describe()}
