"""File a timeline of real reports through the HTTP API, as an officer would.

A timeline (``ledger/seed/timelines/*.json``) has the seed case's shape (sources, incidents,
reports with their figures and quotes, ``cited_through``) and, beside it, the officer's
judgements in the order they were made: supersessions, corrections and grades, each placed
``after`` the report that prompted it. Reports are filed in the file's order, so a figure's
history runs as the reporting did.

Citations are made by the seed loader's own function (``ledger.seed.citation_fields``): one
per report (its ``quote``, its page's URL) and one per figure statement that quotes words. A statement that adopts a later claim on
a figure already recorded cites those words first and gives that citation as the adoption's
evidence, so the reason and the words it rests on stand together in the history.

A figure with a ``population`` (the identified dead, say) is sent with it only when the API
takes one (its OpenAPI schema says so); otherwise it is held back and listed in
``Filed.held_back``, since sent without it, it would meet the whole count on one figure.

A timeline may define terms first (``vocabulary``: a place with its OCHA P-code, say), filed
through POST /vocabulary as an officer defines them; each entry's ``reference`` says where its
data came from and stays in the file.

Every request carries an Idempotency-Key made of the case and the item, so loading twice, or
from two processes, records each item once.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol

from ledger.seed import case_data, citation_fields

TIMELINES = ("kabul-strike-2021", "gaza-moh-2024", "ukraine-ohchr-2022", "coalition-airwars-2014")

_SOURCE_FIELDS = ("name", "name_en", "kind", "url", "language", "protected")
_INCIDENT_FIELDS = ("title", "title_en", "places", "valid_from", "valid_to", "description")
_TERM_FIELDS = ("kind", "code", "dimension", "definition", "label_en", "label_ar", "part_of", "closed", "p_code",
                "coordinates", "reason")
_REPORT_FIELDS = ("title", "title_en", "language", "published_on", "url", "reference", "period_from",
                  "period_to", "places")


class Client(Protocol):
    """What the loader needs of an HTTP client: httpx.Client and Starlette's TestClient both fit."""

    def get(self, url: str, **kwargs: Any) -> Any: ...

    def post(self, url: str, **kwargs: Any) -> Any: ...


class StepRefused(Exception):
    """The API refused a step of the timeline; ``problem`` is its RFC 9457 answer."""

    def __init__(self, step: str, status: int, problem: Any) -> None:
        super().__init__(f"{step}: {status} {problem}")
        self.step, self.status, self.problem = step, status, problem


@dataclass
class Filed:
    """The ids the API gave each item, by the timeline's keys (figures by ``report/n``)."""

    case: str
    terms: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    incidents: dict[str, str] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    citations: dict[str, str] = field(default_factory=dict)
    held_back: list[str] = field(default_factory=list)
    populations: bool = False


def timeline_data(name: str) -> dict[str, Any]:
    return case_data(f"timelines/{name}.json")


def accepts(client: Client, schema: str, name: str) -> bool:
    """Whether the API's request model ``schema`` has the field ``name`` (read from /openapi.json)."""
    answer = client.get("/openapi.json")
    if answer.status_code != 200:
        return False
    schemas = answer.json().get("components", {}).get("schemas", {})
    return name in schemas.get(schema, {}).get("properties", {})


class _Officer:
    def __init__(self, client: Client, key: str, case: str) -> None:
        self.client, self.key, self.case = client, key, case

    def post(self, path: str, body: dict[str, Any], item: str, version: int | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.key}", "Idempotency-Key": f"{self.case}:{item}"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        answer = self.client.post(path, json=body, headers=headers)
        if version is not None and answer.status_code == 422 and _reused(answer):
            # A judgement done on an earlier load: its key is this case's and this item's, but the
            # figure has moved since, so the If-Match (part of what the key answered) differs.
            return {}
        if answer.status_code not in (200, 201):
            raise StepRefused(item, answer.status_code, answer.json() if answer.content else None)
        return answer.json()

    def version(self, figure_id: str) -> int:
        answer = self.client.get(f"/figures/{figure_id}", headers={"Authorization": f"Bearer {self.key}"})
        if answer.status_code != 200:
            raise StepRefused(f"figure {figure_id}", answer.status_code, answer.json())
        return int(answer.json()["version"])


def _reused(answer: Any) -> bool:
    return str(answer.json().get("type", "")).endswith("/request-key-reused")


def _pick(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: fields[k] for k in names if k in fields}


def _identity(statement: dict[str, Any]) -> tuple[Any, ...]:
    return (statement["incident"], statement["metric"], tuple(sorted(statement.get("breakdown", {}).items())),
            statement.get("population"))


def load_timeline(client: Client, key: str, data: dict[str, Any]) -> Filed:
    """File the timeline's terms, sources, incidents, reports, citations and judgements; return their ids."""
    case = data["case"]
    officer = _Officer(client, key, case)
    filed = Filed(case, populations=accepts(client, "FigureStatementIn", "population"))
    figure_of: dict[tuple[Any, ...], str] = {}  # a figure's identity -> its id, once some report stated it
    statement_of: dict[str, dict[str, Any]] = {}  # "report/n" -> the statement as the data gives it

    for term in data.get("vocabulary", []):
        item = f"term:{term.get('dimension') or term['kind']}:{term['code']}"
        filed.terms.append(officer.post("/vocabulary", _pick(term, _TERM_FIELDS), item)["term"])
    for k, fields in data["sources"].items():
        filed.sources[k] = officer.post("/sources", _pick(fields, _SOURCE_FIELDS), f"source:{k}")["source_id"]
    for k, fields in data["incidents"].items():
        filed.incidents[k] = officer.post("/incidents", _pick(fields, _INCIDENT_FIELDS), f"incident:{k}")["incident_id"]

    judgements = data.get("judgements", [])
    for rk, report in data["reports"].items():
        via = filed.sources[report.get("cited_through", report["source"])]
        sent: list[str] = []
        statements: list[dict[str, Any]] = []
        for n, stated in enumerate(report["figures"]):
            ref = f"{rk}/{n}"
            statement_of[ref] = stated
            if stated.get("population") and not filed.populations:
                filed.held_back.append(ref)
                continue
            body = {"incident_id": filed.incidents[stated["incident"]], "metric": stated["metric"],
                    "breakdown": stated.get("breakdown", {}), "value": stated["value"]}
            if stated.get("population"):
                body["population"] = stated["population"]
            known = figure_of.get(_identity(stated))
            if stated.get("adopt") and known is not None:
                body.update(adopt=True, reason=stated["reason"], evidence=[_cite(officer, filed, ref, known, via, report,
                                                                                 stated["value"])])
            sent.append(ref)
            statements.append(body)
        fields = _pick(report, _REPORT_FIELDS) | {"source_id": filed.sources[report["source"]], "figures": statements}
        result = officer.post("/reports", fields, f"report:{rk}")
        filed.reports[rk] = result["report_id"]
        citation = {"target_id": result["report_id"], "source_id": via} | citation_fields(report)
        filed.citations[rk] = officer.post("/citations", citation, f"cite:{rk}")["citation_id"]
        for ref, stated_figure in zip(sent, result["figures"]):
            figure_id = stated_figure["figure_id"]
            filed.figures[ref] = figure_id
            figure_of[_identity(statement_of[ref])] = figure_id
            if ref not in filed.citations and statement_of[ref]["value"].get("quote"):
                _cite(officer, filed, ref, figure_id, via, report, statement_of[ref]["value"])
        for i, judgement in enumerate(judgements):
            if judgement["after"] == rk:
                _judge(officer, filed, data["reports"], statement_of, i, judgement)
    return filed


def _cite(officer: _Officer, filed: Filed, ref: str, figure_id: str, via: str, report: dict[str, Any],
          value: dict[str, Any]) -> str:
    """Cite a statement's words on its figure (once): the citation an adoption gives as evidence."""
    if ref not in filed.citations:
        body = {"target_id": figure_id, "source_id": via} | citation_fields(report, value=value)
        filed.citations[ref] = officer.post("/citations", body, f"cite:{ref}")["citation_id"]
    return filed.citations[ref]


def _judge(officer: _Officer, filed: Filed, reports: dict[str, Any], statement_of: dict[str, dict[str, Any]],
           i: int, judgement: dict[str, Any]) -> None:
    figure_id = filed.figures.get(judgement["figure"])
    if figure_id is None:  # its figure was held back (a population this API does not take)
        filed.held_back.append(f"judgement:{i}")
        return
    kind, item = judgement["kind"], f"{judgement['kind']}:{i}"
    evidence = [filed.citations[ref] for ref in judgement.get("evidence", [])]
    version = officer.version(figure_id)
    if kind == "supersede":
        by_report = judgement["by"].split("/")[0]
        stated = statement_of[judgement["by"]]
        body = {"source_id": filed.sources[reports[by_report]["source"]],
                "report_id": filed.reports[by_report], "value": stated["value"], "reason": judgement["reason"],
                "evidence": evidence}
        if "replaces" in judgement:
            body["replaces"] = [filed.sources[s] for s in judgement["replaces"]]
        officer.post(f"/figures/{figure_id}/supersessions", body, item, version)
    elif kind == "correct":
        officer.post(f"/figures/{figure_id}/corrections", {"value": judgement["value"], "reason": judgement["reason"],
                                                            "evidence": evidence}, item, version)
    elif kind == "grade":
        officer.post(f"/figures/{figure_id}/grades", {"grade": judgement["grade"], "reason": judgement["reason"],
                                                       "evidence": evidence}, item, version)
    else:
        raise ValueError(f"judgement {i} has an unknown kind {kind!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.timelines", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(TIMELINES), help=f"timelines to load (default: all of {', '.join(TIMELINES)})")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API's address")
    parser.add_argument("--key-env", default="LEDGER_API_KEY", help="environment variable holding an officer's API key")
    args = parser.parse_args(argv)
    import httpx

    key = os.environ.get(args.key_env)
    if not key:
        parser.error(f"set {args.key_env} to an officer's API key")
    with httpx.Client(base_url=args.url, timeout=30) as client:
        for name in args.names:
            filed = load_timeline(client, key, timeline_data(name))
            print(f"{name}: {len(filed.reports)} reports, {len(filed.figures)} figure statements, {len(filed.citations)} citations"
                  + (f", held back (no populations here): {', '.join(filed.held_back)}" if filed.held_back else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
