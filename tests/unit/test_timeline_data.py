"""The timelines' data keeps what the loader and a reader need: every report says where its words
were found and when they were published (or why not), every figure its words, every judgement
a reason, and evidence only that was cited before it; and each file is what the API's own
request models accept."""

from __future__ import annotations

import re

import pytest

from api.models import GradeIn, IncidentIn, ReportIn, SourceIn, SupersessionIn, TermIn
from api.timelines import TIMELINES, timeline_data
from ledger.value import Count

_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("name", TIMELINES)
def test_every_report_names_its_page_its_date_or_why_not_and_its_words(name: str) -> None:
    data = timeline_data(name)
    assert data["case"] == name and data["about"]
    for key, report in data["reports"].items():
        assert report["source"] in data["sources"] and report.get("cited_through", report["source"]) in data["sources"]
        assert report["url"].startswith("http"), key
        if report["published_on"] is None:
            assert report["reference"], f"{key} has no date and does not say why"
        else:
            assert _DAY.match(report["published_on"]), key
        for n, stated in enumerate(report["figures"]):
            assert stated["incident"] in data["incidents"], (key, n)
            assert stated["value"]["quote"].strip(), (key, n)
            Count.parse(stated["value"])
            assert not stated.get("adopt") or stated["reason"], (key, n)


@pytest.mark.parametrize("name", TIMELINES)
def test_the_api_would_take_every_source_incident_and_report(name: str) -> None:
    data = timeline_data(name)
    for fields in data["sources"].values():
        SourceIn.model_validate(fields)
    for fields in data["incidents"].values():
        IncidentIn.model_validate(fields)
    for report in data["reports"].values():
        body = {k: v for k, v in report.items() if k not in ("source", "cited_through", "quote", "figures")}
        figures = [{"incident_id": _ID, "metric": f["metric"], "breakdown": f["breakdown"], "value": f["value"]}
                   for f in report["figures"]]
        ReportIn.model_validate(body | {"source_id": _ID, "figures": figures})


@pytest.mark.parametrize("name", TIMELINES)
def test_a_judgement_follows_its_report_and_cites_only_what_was_cited_before(name: str) -> None:
    data = timeline_data(name)
    order = list(data["reports"])
    for judgement in data["judgements"]:
        after = order.index(judgement["after"])
        refs = [judgement["figure"], *judgement.get("evidence", []), *([judgement["by"]] if "by" in judgement else [])]
        for ref in refs:
            report, _, n = ref.partition("/")
            assert order.index(report) <= after, (judgement, ref)
            assert not n or int(n) < len(data["reports"][report]["figures"]), ref
        if judgement["kind"] == "supersede":
            stated = data["reports"][judgement["by"].split("/")[0]]["figures"][int(judgement["by"].split("/")[1])]
            SupersessionIn.model_validate({"source_id": _ID, "report_id": _ID, "value": stated["value"],
                                           "reason": judgement["reason"], "replaces": [_ID], "evidence": [_ID]})
            assert set(judgement["replaces"]) <= set(data["sources"])
        else:
            GradeIn.model_validate({"grade": judgement["grade"], "reason": judgement["reason"]})


def test_the_gaza_ministrys_dead_are_filed_as_everyone_killed() -> None:
    """The Ministry does not tell civilians from fighters: its deaths are `killed`, never `civilians_killed`."""
    data = timeline_data("gaza-moh-2024")
    metrics = [f["metric"] for report in data["reports"].values() for f in report["figures"]]
    assert "civilians_killed" not in metrics and metrics.count("killed") == 16
    assert "`killed`" in data["about"]


@pytest.mark.parametrize("name", TIMELINES)
def test_every_term_a_timeline_defines_says_where_its_data_came_from_and_the_api_would_take_it(name: str) -> None:
    for term in timeline_data(name).get("vocabulary", []):
        assert term["reference"].strip() and "http" in term["reference"], term["code"]
        TermIn.model_validate({k: v for k, v in term.items() if k != "reference"})
