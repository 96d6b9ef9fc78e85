"""Each command through HTTP: what it answers, what it records, and who it records as the actor."""

from __future__ import annotations

import re

import pytest

from ledger.citation import Citation
from ledger.incident import Incident
from tests.e2e.conftest import Api, World, assert_problem


@pytest.fixture
def api(shared: tuple[Api, World]) -> Api:
    """One app per store for the module; each test gets a world of its own (new records, so new
    figures and versions), which is all these tests need to be independent."""
    return shared[0]


UTC_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def test_an_officer_records_a_case_end_to_end(api: Api) -> None:
    source = api.post("/sources", {"name": "الشبكة السورية لحقوق الإنسان", "name_en": "SNHR",
                                   "kind": "monitoring_network", "language": "ar", "url": "https://snhr.org"})
    assert source.status_code == 201, source.text
    source_id = source.json()["source_id"]
    assert source.json() == {"source_id": source_id, "version": 1}
    assert source.headers["location"] == f"/sources/{source_id}"
    assert source.headers["content-type"] == "application/json"

    incident = api.post("/incidents", {"title": "Escalation", "valid_from": "2019-04-26", "places": ["Idlib"]})
    assert incident.status_code == 201
    incident_id = incident.json()["incident_id"]

    report = api.post("/reports", {
        "source_id": source_id, "title": "SNHR report", "language": "en", "period_from": "2019-04-26",
        "figures": [
            {"incident_id": incident_id, "metric": "civilians_killed",
             "value": {"qualifier": "at_least", "number": 108, "quote": "killed at least 108 civilians"}},
            {"incident_id": incident_id, "metric": "civilians_killed", "breakdown": {"perpetrator": "russian-forces"},
             "value": {"qualifier": "vague", "term": "عشرات"}},
        ]})
    assert report.status_code == 201, report.text
    figures = report.json()["figures"]
    assert [f["version"] for f in figures] == [1, 1]
    assert report.headers["location"] == f"/reports/{report.json()['report_id']}"

    read = api.get(f"/figures/{figures[0]['figure_id']}", "reader")
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    body = read.json()
    assert body["value"] == {"qualifier": "at_least", "number": 108, "low": 108, "high": None, "term": None,
                             "quote": "killed at least 108 civilians", "quote_en": None, "text": "at least 108"}
    assert body["status"] == "active" and body["grade"] == "unassessed" and body["version"] == 1
    assert body["incident_id"] == incident_id and body["breakdown"] == {}
    assert UTC_ISO.match(body["created_at"]) and UTC_ISO.match(body["claims"][0]["recorded_at"])
    vague = api.get(f"/figures/{figures[1]['figure_id']}").json()
    assert (vague["value"]["term"], vague["value"]["low"], vague["value"]["high"]) == ("tens", 20, 99)

    fid = figures[0]["figure_id"]
    cited = api.post("/citations", {"target_id": fid, "source_id": source_id, "quote": "killed at least 108",
                                    "sha256": "A" * 64, "accessed_on": "2019-05-02"})
    assert cited.status_code == 201 and cited.json()["target_kind"] == "figure"
    citation_id = cited.json()["citation_id"]
    assert api.get(f"/citations/{citation_id}", "reader").json()["sha256"] == "a" * 64

    corrected = api.post(f"/figures/{fid}/corrections", {"value": {"qualifier": "exact", "number": 112},
                                                        "reason": "hospital lists", "evidence": [citation_id]},
                         If_Match='"1"')
    assert corrected.status_code == 200 and corrected.json() == {"figure_id": fid, "version": 2}
    graded = api.post(f"/figures/{fid}/grades", {"grade": "confirmed", "reason": "two independent lists"},
                      If_Match='"2"')
    assert graded.json()["version"] == 3
    retracted = api.post(f"/figures/{fid}/retractions", {"reason": "duplicate of another incident"}, If_Match='"3"')
    assert retracted.json()["version"] == 4
    after = api.get(f"/figures/{fid}").json()
    assert (after["status"], after["grade"], after["value"]["number"]) == ("retracted", "confirmed", 112)

    withdrawn = api.post(f"/citations/{citation_id}/withdrawals", {"reason": "archive does not match"})
    assert withdrawn.status_code == 200 and withdrawn.json() == {"citation_id": citation_id, "version": 2}
    assert api.get(f"/citations/{citation_id}").json()["withdrawn"] is True

    # Every event names the key's owner as its actor.
    figure = api.ledger.figure(fid)
    actors = {e.actor for e in api.ledger.repository.event_store.get(figure.id)}
    assert actors == {"officer-1"}


def test_supersession_replaces_live_claims(api: Api, world: World) -> None:
    version = api.ledger.figure(world.figure).version
    response = api.post(f"/figures/{world.figure}/supersessions", {
        "source_id": world.public_source, "report_id": world.public_report, "replaces": [world.protected_source],
        "value": {"qualifier": "exact", "number": 115}, "reason": "the investigation's final list"},
        If_Match=f'"{version}"')
    assert response.status_code == 200, response.text
    claims = api.get(f"/figures/{world.figure}", "auditor").json()["claims"]
    superseded = {c["source_id"]: c["superseded"] for c in claims}
    assert superseded == {world.protected_source: True, world.public_source: False}


def test_incident_period_revision(api: Api, world: World) -> None:
    response = api.post(f"/incidents/{world.incident}/period-revisions",
                        {"valid_from": "2019-04-20", "valid_to": "2019-06-01", "reason": "later sources"},
                        If_Match='"1"')
    assert response.status_code == 200 and response.json() == {"incident_id": world.incident, "version": 2}
    incident = api.get(f"/incidents/{world.incident}", "reader")
    assert incident.headers["etag"] == '"2"'
    assert (incident.json()["valid_from"], incident.json()["valid_to"]) == ("2019-04-20", "2019-06-01")
    assert api.ledger.load(Incident, world.incident).valid_to == "2019-06-01"


def test_reads_carry_etags_and_answer_304(api: Api, world: World) -> None:
    for path in (f"/figures/{world.figure}", f"/sources/{world.public_source}", f"/incidents/{world.incident}",
                 f"/reports/{world.public_report}", f"/citations/{world.public_citation}"):
        first = api.get(path, "reader")
        tag = first.headers["etag"]
        assert re.fullmatch(r'"\d+"', tag) and first.headers["vary"] == "Authorization"
        assert int(tag.strip('"')) == first.json()["version"]
        again = api.get(path, "reader", If_None_Match=tag)
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert api.get(path, "reader", If_None_Match='"999"').status_code == 200


def test_a_figure_as_it_was(api: Api, world: World) -> None:
    api.post(f"/figures/{world.figure}/corrections", {"value": {"qualifier": "exact", "number": 99},
                                                     "reason": "recount"}, If_Match='"2"')
    then = api.get(f"/figures/{world.figure}?version=1", "reader")
    assert then.status_code == 200 and then.headers["etag"] == '"1"'
    assert then.json()["value"]["number"] == 108 and len(then.json()["claims"]) == 1
    assert api.get(f"/figures/{world.figure}").json()["value"]["number"] == 99
    assert_problem(api.get(f"/figures/{world.figure}?version=9"), 404, says="no version 9")


def test_actor_in_a_body_is_refused(api: Api, world: World) -> None:
    before = api.events()
    response = api.post("/sources", {"name": "x", "kind": "other", "language": "en", "actor": "someone-else"})
    assert_problem(response, 422, field="actor", says="owner of the access key")
    response = api.post(f"/figures/{world.figure}/retractions", {"reason": "r", "actor": "someone-else"},
                        If_Match='"2"')
    assert_problem(response, 422, field="actor")
    assert api.events() == before


def test_citation_of_a_report_and_unknown_target(api: Api, world: World) -> None:
    response = api.post("/citations", {"target_id": world.public_report, "source_id": world.public_source,
                                       "quote": "the report's summary"})
    assert response.status_code == 201 and response.json()["target_kind"] == "report"
    assert api.ledger.load(Citation, response.json()["citation_id"]).target_id == world.public_report


def test_docs_and_schema_are_served(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    schema = api.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
            if method == "post":
                assert {"400", "401", "403", "413", "415", "422"} <= set(operation["responses"]), (path)
            if "_id}" in path:
                assert "404" in operation["responses"], (method, path)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_an_approximate_figure_is_recorded_and_read_back_as_said(api: Api) -> None:
    source = api.post("/sources", {"name": "Monitor", "kind": "monitoring_network", "language": "ar"})
    assert source.status_code == 201, source.text
    incident = api.post("/incidents", {"title": "Strike", "valid_from": "2019-04-26", "places": ["Idlib"]})
    report = api.post("/reports", {
        "source_id": source.json()["source_id"], "title": "Report", "language": "ar", "period_from": "2019-04-26",
        "figures": [{"incident_id": incident.json()["incident_id"], "metric": "civilians_killed",
                     "value": {"qualifier": "approximate", "number": 500, "term": "قرابة", "quote": "قرابة 500"}}]})
    assert report.status_code == 201, report.text
    value = api.get(f"/figures/{report.json()['figures'][0]['figure_id']}").json()["value"]
    assert (value["qualifier"], value["number"], value["term"], value["low"], value["high"], value["quote"]) == (
        "approximate", 500, "nearly", 450, 500, "قرابة 500")
    refused = api.post("/reports", {
        "source_id": source.json()["source_id"], "title": "Report", "language": "ar", "period_from": "2019-04-26",
        "figures": [{"incident_id": incident.json()["incident_id"], "metric": "civilians_killed",
                     "value": {"qualifier": "approximate", "number": 500, "term": "many"}}]})
    assert refused.status_code == 422
