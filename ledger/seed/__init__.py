"""The seed case, as data of the project's own, and the loader that records it.

Loading is idempotent: every command carries a request key derived from the case and the
item, so loading twice (or from two processes at once) records each item once.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ledger.application import Ledger

CASE_FILE = "snhr-idlib-hama-2019.json"
ACTOR = "seed-loader"


def case_data(name: str = CASE_FILE) -> dict[str, Any]:
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def citation_fields(report: dict[str, Any], evidence: dict[str, Any] | None = None,
                    value: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a citation made from case data says, for the seed case and the timelines alike
    (api/timelines.py): of a report, its quote (else the title of the page kept as evidence); of
    one of its figure statements (``value``), the words the statement quotes, and in English;
    either way the report's URL and the evidence's hash when the data gives them."""
    evidence = evidence or {}
    if value is None:
        fields = {"quote": report.get("quote") or evidence.get("title_en")}
    else:
        fields = {"quote": value.get("quote"), "quote_en": value.get("quote_en")}
    fields |= {"url": report.get("url"), "sha256": evidence.get("sha256")}
    return {k: v for k, v in fields.items() if v}


def load_case(ledger: Ledger, data: dict[str, Any] | None = None, *, actor: str = ACTOR) -> dict[str, Any]:
    """Record the case's sources, incidents, reports, figures and citations; return their ids by key."""
    data = data or case_data()
    case = data["case"]
    evidence = data.get("evidence", {})
    ids: dict[str, dict[str, str]] = {"sources": {}, "incidents": {}, "reports": {}, "figures": {}, "citations": {}}

    for key, fields in data["sources"].items():
        ids["sources"][key] = ledger.register_source(actor, request_key=f"{case}:source:{key}", **fields)["source_id"]
    for key, fields in data["incidents"].items():
        ids["incidents"][key] = ledger.record_incident(actor, request_key=f"{case}:incident:{key}", **fields)["incident_id"]

    for key, report in data["reports"].items():
        fields = {k: v for k, v in report.items() if k not in ("source", "figures", "cited_through")}
        statements = [
            {"incident_id": ids["incidents"][f["incident"]], "metric": f["metric"], "breakdown": f["breakdown"],
             "value": f["value"]}
            for f in report["figures"]
        ]
        filed = ledger.file_report(actor, source_id=ids["sources"][report["source"]], figures=statements,
                                   request_key=f"{case}:report:{key}", **fields)
        ids["reports"][key] = filed["report_id"]
        via = ids["sources"][report.get("cited_through", report["source"])]
        ids["citations"][f"{key}"] = ledger.cite(
            actor, target_id=filed["report_id"], source_id=via, request_key=f"{case}:cite:{key}",
            **citation_fields(report, evidence),
        )["citation_id"]
        for n, (stated, result) in enumerate(zip(report["figures"], filed["figures"])):
            figure_key = f"{key}/{n}"
            ids["figures"][figure_key] = result["figure_id"]
            if stated["value"].get("quote"):
                ids["citations"][figure_key] = ledger.cite(
                    actor, target_id=result["figure_id"], source_id=via, request_key=f"{case}:cite:{figure_key}",
                    **citation_fields(report, evidence, stated["value"]),
                )["citation_id"]
    return ids
