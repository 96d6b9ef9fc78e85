"""Populations over HTTP: a report states the identified beside the total; tallies, figures,
checks and their exports say which population they count; a bad population is a problem."""

from __future__ import annotations

import csv
import io

import pytest

from api.imports.columns import COLUMNS
from tests.e2e.conftest import assert_problem

KILLED = "civilians_killed"


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _report(api, world, figures):
    return api.post("/reports", {"source_id": world.public_source, "title": "Daily report", "language": "en",
                                 "figures": figures})


@pytest.fixture
def filed(api, world):
    def row(value, **extra):
        return {"incident_id": world.incident, "metric": KILLED, "value": {"qualifier": "exact", "number": value},
                **extra}

    response = _report(api, world, [
        row(34_844, adopt=True, reason="the ministry's latest"),
        row(24_686, population="identified"),
        row(7_797, population="identified", breakdown={"victim_group": "children"}),
        row(4_959, population="identified", breakdown={"victim_group": "women"}),
    ])
    assert response.status_code == 201, response.text
    return [f["figure_id"] for f in response.json()["figures"]]


def test_a_report_states_the_identified_and_the_tallies_count_one_population(api, world, filed):
    whole, identified, *_ = filed
    assert api.get(f"/figures/{whole}").json()["population"] == "counted"
    assert api.get(f"/figures/{identified}").json()["population"] == "identified"
    tally = api.get(f"/tallies/{KILLED}").json()
    assert tally["population"] == "counted" and tally["sum"]["low"] == 34_844
    subset = api.get(f"/tallies/{KILLED}?population=identified&by=victim_group").json()
    assert subset["population"] == "identified" and subset["sum"]["low"] == 24_686
    assert subset["groups_sum"]["low"] == 12_756
    history = api.get(f"/tallies/{KILLED}/history?population=identified").json()
    assert history["population"] == "identified" and history["points"][-1]["low"] == 24_686
    by_source = api.get(f"/tallies/{KILLED}/by-source?population=identified").json()
    assert by_source["population"] == "identified" and by_source["sources"][0]["low"] == 24_686
    listed = api.get("/figures?population=identified").json()["items"]
    assert {f["figure_id"] for f in listed} == set(filed[1:])

    checks = api.get(f"/checks?incident_id={world.incident}&population=identified").json()
    assert {(c["check"], c["status"]) for c in checks} == {("subset", "remainder"), ("parts", "remainder")}
    subset_check = next(c for c in checks if c["check"] == "subset")
    assert subset_check["total"]["figure_id"] == whole and subset_check["remainder"] == {"low": 10_158, "high": 10_158}
    parts_check = next(c for c in checks if c["check"] == "parts")
    assert parts_check["total"]["figure_id"] == identified
    assert parts_check["remainder"] == {"low": 11_930, "high": 11_930}


def test_exports_carry_the_population(api, world, filed):
    rows = _csv(api.get("/figures?format=hxl&population=identified"))
    header, tags, body = rows[0], rows[1], rows[2:]
    assert tags[header.index("population")] == "#meta+population"
    assert {r[header.index("population")] for r in body} == {"identified"} and len(body) == 3
    rows = _csv(api.get(f"/tallies/{KILLED}?format=hxl&population=identified"))
    header, tags, total = rows[0], rows[1], rows[2]
    assert total[header.index("population")] == "identified" and total[header.index("low")] == "24686"
    assert "#affected+killed+civilians+identified+min" in tags
    assert "#affected+killed+civilians+min" in _csv(api.get(f"/tallies/{KILLED}?format=hxl"))[1]
    rows = _csv(api.get("/checks?format=csv"))
    header = rows[0]
    assert {(r[header.index("population")], r[header.index("check")]) for r in rows[1:]} >= {
        ("identified", "subset"), ("identified", "parts")}
    assert "population" in COLUMNS  # the importer reads the column the export writes


def test_a_population_not_known_is_a_problem_and_nothing_is_stored(api, world):
    before = api.events()
    refused = _report(api, world, [{"incident_id": world.incident, "metric": KILLED, "population": "everyone",
                                    "value": {"qualifier": "exact", "number": 3}}])
    assert_problem(refused, 422, field="figures[0].population")
    assert api.events() == before
    assert_problem(api.get(f"/tallies/{KILLED}?population=everyone"), 422, field="population")
    assert_problem(api.get("/figures?population=everyone"), 422, field="population")


def test_the_same_figure_of_two_populations_is_two_figures_but_one_population_twice_is_refused(api, world):
    row = {"incident_id": world.incident, "metric": KILLED, "value": {"qualifier": "exact", "number": 3}}
    assert _report(api, world, [row, {**row, "population": "verified"}]).status_code == 201
    before = api.events()
    twice = _report(api, world, [{**row, "population": "verified"}, {**row, "population": "verified"}])
    assert_problem(twice, 422, field="figures")
    assert api.events() == before


def test_a_request_key_sent_before_populations_still_matches_its_retry(api, world):
    row = {"incident_id": world.incident, "metric": "airstrikes", "value": {"qualifier": "exact", "number": 7}}
    body = {"source_id": world.public_source, "title": "Strikes", "language": "en", "figures": [row]}
    first = api.post("/reports", body, Idempotency_Key="strikes-1")
    assert first.status_code == 201
    before = api.events()
    # The whole population named, or left out as before populations: the same request, answered once.
    again = api.post("/reports", {**body, "figures": [{**row, "population": "counted"}]}, Idempotency_Key="strikes-1")
    assert again.status_code in (200, 201) and again.json() == first.json()
    assert api.events() == before
    other = api.post("/reports", {**body, "figures": [{**row, "population": "verified"}]}, Idempotency_Key="strikes-1")
    assert other.status_code == 422 and api.events() == before
