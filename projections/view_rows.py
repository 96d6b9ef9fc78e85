"""The rows the reads select from the view tables, and the JSON each becomes."""

from __future__ import annotations

from typing import Any

import orjson

from projections.redaction import PROTECTED, Sources
from projections.times import iso

FIGURE_COLUMNS = (
    "fv.figure_id, fv.version, fv.recorded_from, fv.recorded_to, fv.recorded_at, fv.actor, fv.kind, fv.reason,"
    " fv.source_id, fv.report_id, fv.evidence, fv.replaces, fv.value_changed, fv.incident_id, fv.metric,"
    " fv.breakdown, fv.value, fv.value_source_id, fv.status, fv.grade"
)
CITATION_COLUMNS = (
    "citation_id, target_kind, target_id, source_id, url, quote, quote_en, page, accessed_on, sha256, cited_at,"
    " cited_by, withdrawn_at, withdrawn_by, withdrawn_reason"
)
SOURCE_COLUMNS = "source_id, name, name_en, kind, url, language, protected, version, registered_at, registered_by"
REPORT_COLUMNS = (
    "r.report_id, r.source_id, r.title, r.title_en, r.language, r.published_on, r.url, r.reference,"
    " r.period_from, r.period_to, r.places, r.figure_ids, r.filed_at, r.filed_by"
)
INCIDENT_COLUMNS = (
    "i.incident_id, i.title, i.title_en, i.description, i.places, iv.valid_from, iv.valid_to, iv.version,"
    " i.recorded_at, i.recorded_by, iv.recorded_from, iv.kind, iv.reason"
)



def render_figure(r: tuple, sources: Sources, t: int) -> dict[str, Any]:
    return {
        "figure_id": r[0], "incident_id": r[13], "metric": r[14], "breakdown": orjson.loads(r[15]),
        "version": r[1], "value": sources.value(orjson.loads(r[16]), r[17]), "status": r[18], "grade": r[19],
        "value_source": sources.ref(r[17]), "recorded_at": iso(r[4]),
        "recorded_to": iso(r[3]) if r[3] <= t else None,
    }


def render_citation(r: tuple, sources: Sources, t: int) -> dict[str, Any]:
    withdrawn = r[12] <= t
    if sources.hidden(r[3]):
        return {"source": PROTECTED, "withdrawn": withdrawn, "cited_at": iso(r[10])}
    return {
        "citation_id": r[0], "target_kind": r[1], "target_id": r[2], "source": sources.ref(r[3]), "url": r[4],
        "quote": r[5], "quote_en": r[6], "page": r[7], "accessed_on": r[8], "sha256": r[9],
        "cited_at": iso(r[10]), "cited_by": r[11], "withdrawn": withdrawn,
        "withdrawn_at": iso(r[12]) if withdrawn else None, "withdrawn_by": r[13] if withdrawn else None,
        "withdrawn_reason": r[14] if withdrawn else None,
    }


def render_incident(r: tuple) -> dict[str, Any]:
    return {
        "incident_id": r[0], "title": r[1], "title_en": r[2], "description": r[3], "places": orjson.loads(r[4]),
        "valid_from": r[5], "valid_to": r[6], "version": r[7], "recorded_at": iso(r[8]), "recorded_by": r[9],
        "period_recorded_at": iso(r[10]), "period_reason": r[12],
    }


def render_source(r: tuple) -> dict[str, Any]:
    return {"source_id": r[0], "name": r[1], "name_en": r[2], "kind": r[3], "url": r[4], "language": r[5],
            "protected": bool(r[6]), "version": r[7], "registered_at": iso(r[8]), "registered_by": r[9]}


def render_report(r: tuple, sources: Sources) -> dict[str, Any]:
    return {"report_id": r[0], "source": sources.ref(r[1]), "title": r[2], "title_en": r[3], "language": r[4],
            "published_on": r[5], "url": r[6], "reference": r[7], "period_from": r[8], "period_to": r[9],
            "places": orjson.loads(r[10]), "figure_ids": orjson.loads(r[11]), "filed_at": iso(r[12]),
            "filed_by": r[13]}


