"""The claims a ledger holds, as import rows: the export that imports back whole (``ledger export claims``).

A figure export (api/exports/rows.py) gives each figure's current value; this one gives each
source's latest claim on each figure, with the report that made it, that source's live
citation of the figure, and what registering the source and recording the incident take (so
that the file imports into an empty ledger: api/imports/plan.py creates the ones it names by
ids that ledger has not), in the import's own columns (api/imports/columns.py). ``adopt`` says
which claim is the figure's current value, and ``adopt_reason`` why (an adoption says why:
ledger/figure.py): that it was the current value where it was exported from. A figure whose
current value is a correction (a value no source claimed) has one more row, after its claims,
with that value and a ``correction_reason``. Rows come from the reader's answers, so a
protected source's claims are left out for anyone but an auditor, as everywhere.

What a row cannot say does not travel: a correction's own reason and evidence (the row says
where the value came from), a supersession, a retraction, a grade, more than one citation of
a figure by one source, a citation by a source that made no claim on the figure, and a
report's own citations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from api.exports.about import pinned
from api.exports.rows import figure_items, figure_row, in_pages
from api.imports.columns import COLUMNS, CORRECTION, TAGS

CLAIM_COLUMNS = [(name, TAGS[name]) for name in COLUMNS]
#: Why an imported claim is adopted: what the ledger it came from held (its own reasons stay in its history).
EXPORTED_ADOPTION = "the figure's current value in the ledger this was exported from"
#: Why an imported correction is made, likewise.
EXPORTED_CORRECTION = "the figure's current value (a correction) in the ledger this was exported from"


def claim_rows(reader: Any, *, include_protected: bool = False) -> Iterator[dict[str, Any]]:
    """Every claim row, a page of figures at a time: each page's incidents read in one statement
    (``Reader.incidents_by_id``), its reports and sources once each; nothing is kept from one page
    to the next, so memory stays flat however many figures there are. Every read is as of one
    moment pinned at the start (``about.pinned``), so the pages make one consistent cut."""
    at = pinned(None)
    items = figure_items(lambda after, size: reader.figures(cursor=after, limit=size, as_of=at,
                                                            include_protected=include_protected))
    for page in in_pages(items):
        incidents = reader.incidents_by_id(sorted({str(i["incident_id"]) for i in page}), as_of=at)
        reports: dict[str, dict[str, Any]] = {}
        sources: dict[str, dict[str, Any]] = {}
        for item in page:
            yield from _figure_claims(reader, item, incidents[str(item["incident_id"])], reports, sources, at,
                                      include_protected)


def _figure_claims(reader: Any, item: dict[str, Any], incident: dict[str, Any], reports: dict[str, dict[str, Any]],
                   sources: dict[str, dict[str, Any]], at: Any, include_protected: bool) -> Iterator[dict[str, Any]]:
    """One figure's rows: each visible source's latest claim, then its correction if it has one
    (``reports``, ``sources``: those its page has read already)."""
    fid = item["figure_id"]
    current = item["value_source"] if isinstance(item["value_source"], dict) else {}
    cited: dict[str, dict[str, Any]] = {}
    for c in reader.citations(fid, as_of=at, include_withdrawn=False, include_protected=include_protected):
        if isinstance(c.get("source"), dict):
            cited.setdefault(str(c["source"]["source_id"]), c)
    figure = {
        "incident_id": item["incident_id"], "metric": item["metric"], "breakdown": figure_row(item)["breakdown"],
        "population": item["population"], "incident": incident["title"], "incident_en": incident["title_en"],
        "valid_from": incident["valid_from"], "valid_to": incident["valid_to"],
        "places": "; ".join(incident["places"]) or None,
    }
    for claim in reader.spread(fid, as_of=at, include_protected=include_protected)["claims"]:
        if not isinstance(claim["source"], dict) or claim["report_id"] is None:
            continue  # withheld from this caller
        source_id = str(claim["source"]["source_id"])
        report_id = str(claim["report_id"])
        if report_id not in reports:
            reports[report_id] = reader.report(report_id, as_of=at, include_protected=include_protected)
        if source_id not in sources:
            sources[source_id] = reader.source(source_id, as_of=at, include_protected=include_protected)
        report, source, value = reports[report_id], sources[source_id], claim["value"]
        citation = cited.get(source_id, {})
        yield {
            "source_id": source_id, "source": source["name"], "source_en": source["name_en"],
            "source_kind": source["kind"], "source_language": source["language"],
            "report_title": report["title"], "report_title_en": report["title_en"],
            "language": report["language"], "published_on": report["published_on"],
            "report_url": report["url"], "reference": report["reference"], **figure,
            "adopt": str(adopted := source_id == str(current.get("source_id")) and value == item["value"]).lower(),
            "adopt_reason": EXPORTED_ADOPTION if adopted else None,
            **{k: value.get(k) for k in ("qualifier", "number", "low", "high", "term", "quote", "quote_en")},
            "citation_url": citation.get("url"), "citation_quote": citation.get("quote"),
            "citation_quote_en": citation.get("quote_en"), "citation_page": citation.get("page"),
            "accessed_on": citation.get("accessed_on"), "citation_sha256": citation.get("sha256"),
        }
    if item["value_source"] is None and item.get("value"):  # a correction: no source claimed this value
        yield {**figure, CORRECTION: EXPORTED_CORRECTION,
               **{k: item["value"].get(k) for k in ("qualifier", "number", "low", "high", "term", "quote",
                                                    "quote_en")}}
