"""The rows the reads select from the view tables, each shape declared once, and the JSON each becomes."""

from __future__ import annotations

from typing import Any

import orjson

from ledger.terms import TermCheck
from projections.named_rows import shape
from projections.redaction import PROTECTED, Sources
from projections.times import iso

#: A figure version (``fv``): every column a figure's answers and its history need.
FigureVersion = shape("FigureVersion", (
    "fv.figure_id, fv.version, fv.recorded_from, fv.recorded_to, fv.recorded_at, fv.actor, fv.kind, fv.reason,"
    " fv.source_id, fv.report_id, fv.evidence, fv.replaces, fv.value_changed, fv.incident_id, fv.metric,"
    " fv.breakdown, fv.population, fv.value, fv.value_source_id, fv.status, fv.grade"
))
#: A version of a figure's history: its row, what its source said in it where that is not the
#: figure's value after it (a claim not adopted: the claim row the same event put in place,
#: ``cv``, by its key in full) and the report's publication date (``r``).
HistoryVersion = shape("HistoryVersion", FigureVersion.columns + (
    ", cv.value AS said, r.published_on AS published_on"
))
#: The joins HistoryVersion reads through: primary-key seeks, no query per version.
HISTORY_JOINS = (
    " LEFT JOIN {claim_versions} cv ON fv.kind = 'claimed' AND cv.figure_id = fv.figure_id"
    " AND cv.source_id = fv.source_id AND cv.recorded_from = fv.recorded_from AND cv.figure_version = fv.version"
    " LEFT JOIN {reports} r ON r.report_id = fv.report_id"
)
Citation = shape("Citation", (
    "citation_id, target_kind, target_id, source_id, url, quote, quote_en, page, accessed_on, sha256, cited_at,"
    " cited_by, withdrawn_at, withdrawn_by, withdrawn_reason"
))
#: A source as the ledger said it at T (read ``FROM {SOURCE_AT}``, read_filters.py): its words, with the
#: protection and version of its latest version recorded by T.
Source = shape("Source", "s.source_id, s.name, s.name_en, s.kind, s.url, s.language, v.protected, v.version,"
                         " s.registered_at, s.registered_by, v.recorded_at AS updated_at")
#: A report (``r``).
Report = shape("Report", (
    "r.report_id, r.source_id, r.title, r.title_en, r.language, r.published_on, r.url, r.reference,"
    " r.period_from, r.period_to, r.places, r.figure_ids, r.filed_at, r.filed_by"
))
#: An incident (``i``) with its version (``iv``) as of T: the period as recorded then.
Incident = shape("Incident", (
    "i.incident_id, i.title, i.title_en, i.description, i.places, iv.valid_from, iv.valid_to, iv.version,"
    " i.recorded_at, i.recorded_by, iv.recorded_from, iv.kind, iv.reason"
))


def admin_codes(terms: TermCheck, breakdown: dict[str, str]) -> dict[str, str]:
    """The OCHA P-code of a breakdown's place, where the vocabulary gives one: ``{place name: P-code}``."""
    return terms.place_codes([breakdown["place"]] if "place" in breakdown else [])


def render_figure(r: Any, sources: Sources, t: int, terms: TermCheck) -> dict[str, Any]:
    """A figure version as it stood at t (``recorded_to`` only once it had ended by then), with the
    OCHA P-code the vocabulary gives its place (``admin_codes``: place name to P-code)."""
    breakdown = orjson.loads(r.breakdown)
    return {
        "figure_id": r.figure_id, "incident_id": r.incident_id, "metric": r.metric,
        "breakdown": breakdown, "admin_codes": admin_codes(terms, breakdown),
        "population": r.population, "version": r.version,
        "value": sources.value(orjson.loads(r.value), r.value_source_id), "status": r.status, "grade": r.grade,
        "value_source": sources.ref(r.value_source_id), "recorded_at": iso(r.recorded_at),
        "recorded_to": iso(r.recorded_to) if r.recorded_to <= t else None,
    }


_WITHHELD_CITATION = dict.fromkeys((
    "citation_id", "target_kind", "target_id", "url", "quote", "quote_en", "page", "accessed_on", "sha256",
    "cited_by", "withdrawn_at", "withdrawn_by", "withdrawn_reason",
))


def render_citation(r: Any, sources: Sources, t: int) -> dict[str, Any]:
    """A citation as of t; a hidden source's keeps only that it was there, and when."""
    withdrawn = r.withdrawn_at <= t
    if sources.hidden(r.source_id):
        # Every other field null, as the API's model spells it (so an answer can be sent as it is).
        return {**_WITHHELD_CITATION, "source": PROTECTED, "withdrawn": withdrawn, "cited_at": iso(r.cited_at)}
    return {
        "citation_id": r.citation_id, "target_kind": r.target_kind, "target_id": r.target_id,
        "source": sources.ref(r.source_id), "url": r.url, "quote": r.quote, "quote_en": r.quote_en, "page": r.page,
        "accessed_on": r.accessed_on, "sha256": r.sha256, "cited_at": iso(r.cited_at), "cited_by": r.cited_by,
        "withdrawn": withdrawn, "withdrawn_at": iso(r.withdrawn_at) if withdrawn else None,
        "withdrawn_by": r.withdrawn_by if withdrawn else None,
        "withdrawn_reason": r.withdrawn_reason if withdrawn else None,
    }


def render_incident(r: Any) -> dict[str, Any]:
    return {
        "incident_id": r.incident_id, "title": r.title, "title_en": r.title_en, "description": r.description,
        "places": orjson.loads(r.places), "valid_from": r.valid_from, "valid_to": r.valid_to, "version": r.version,
        "recorded_at": iso(r.recorded_at), "recorded_by": r.recorded_by, "period_recorded_at": iso(r.recorded_from),
        "period_reason": r.reason,
    }


def render_source(r: Any) -> dict[str, Any]:
    return {"source_id": r.source_id, "name": r.name, "name_en": r.name_en, "kind": r.kind, "url": r.url,
            "language": r.language, "protected": bool(r.protected), "version": r.version,
            "registered_at": iso(r.registered_at), "registered_by": r.registered_by}


def render_report(r: Any, sources: Sources) -> dict[str, Any]:
    return {"report_id": r.report_id, "source": sources.ref(r.source_id), "title": r.title, "title_en": r.title_en,
            "language": r.language, "published_on": r.published_on, "url": r.url, "reference": r.reference,
            "period_from": r.period_from, "period_to": r.period_to, "places": orjson.loads(r.places),
            "figure_ids": orjson.loads(r.figure_ids), "filed_at": iso(r.filed_at), "filed_by": r.filed_by}
