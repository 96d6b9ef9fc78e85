"""The vocabulary over HTTP: terms are read, defined and revised as data; a defined metric is filed and
tallied with no code change; unknown words are refused naming them; part-of checks compare metrics."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.conftest import Api, World, assert_problem

TOWN = "معرة النعمان"


def _define(api: Api, **fields):
    return api.post("/vocabulary", {"definition": "d", "label_en": fields.get("code", "x"), "reason": "needed",
                                    **fields})


def _report(api: Api, world: World, *figures):
    return api.post("/reports", {"source_id": world.public_source, "title": "A report", "language": "ar",
                                 "figures": [{"incident_id": world.incident, **f} for f in figures]})


def _exact(n: int) -> dict:
    return {"qualifier": "exact", "number": n}


def test_the_built_ins_and_killed_are_recorded_terms(api: Api) -> None:
    listed = api.get("/vocabulary", "reader").json()
    assert set(listed["kinds"]) == {"metric", "dimension", "value", "population"}
    by_name = {t["term"]: t for t in listed["terms"]}
    assert {"killed", "civilians_killed", "place", "identified"} <= set(by_name)
    assert by_name["civilians_killed"]["part_of"] == "killed"
    assert by_name["place"]["closed"] is False and by_name["killed"]["label_ar"] == "القتلى"
    assert all(t["defined_at"] and t["version"] == 1 for t in listed["terms"])
    metrics = api.get("/vocabulary?kind=metric", "reader").json()["terms"]
    assert {t["kind"] for t in metrics} == {"metric"} and len(metrics) == 10
    assert_problem(api.get("/vocabulary/deaths", "reader"), 404, says="POST /vocabulary")


def test_a_defined_metric_is_filed_and_tallied_without_code_change(api: Api, world: World) -> None:
    before = api.events()
    assert_problem(_report(api, world, {"metric": "journalists_killed", "value": _exact(3)}), 422,
                   field="figures[0].metric", says="'journalists_killed' is not in the vocabulary")
    assert_problem(api.get("/tallies/journalists_killed", "reader"), 422, field="metric", says="POST /vocabulary")
    assert api.events() == before  # nothing stored
    refused = api.client.post("/vocabulary", json={"kind": "metric", "code": "journalists_killed", "definition": "d",
                                                  "label_en": "journalists killed", "reason": "r"},
                              headers=api.headers("reader"))
    assert refused.status_code == 403
    defined = _define(api, kind="metric", code="journalists_killed", part_of="civilians_killed",
                      label_en="journalists killed", label_ar="الصحفيون القتلى")
    assert defined.status_code == 201, defined.text
    assert defined.headers["Location"] == "/vocabulary/journalists_killed" and defined.json()["version"] == 1
    civilians_before = api.get("/tallies/civilians_killed", "reader").json()["sum"]
    filed = _report(api, world, {"metric": "journalists_killed", "value": _exact(3)})
    assert filed.status_code == 201, filed.text
    tally = api.get("/tallies/journalists_killed", "reader").json()
    assert (tally["metric"], tally["sum"]["low"], tally["sum"]["figures"]) == ("journalists_killed", 3, 1)
    # Tallies never mix metrics: the civilians' tally is what it was before the journalists were filed
    # (journalists killed are part of civilians killed, which lets checks compare them; tallies do not add them).
    assert api.get("/tallies/civilians_killed", "reader").json()["sum"] == civilians_before


def test_a_place_in_arabic_with_its_p_code(api: Api, world: World) -> None:
    defined = _define(api, kind="value", dimension="place", code=TOWN, label_en="Maarat al-Numan",
                      p_code="SY070400", coordinates=[35.6433, 36.6717])
    assert defined.status_code == 201, defined.text
    assert defined.json()["term"] == f"place:{TOWN}"
    read = api.get(f"/vocabulary/{quote('place:' + TOWN)}", "reader")
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert (read.json()["p_code"], read.json()["coordinates"]) == ("SY070400", [35.6433, 36.6717])
    # Filed and tallied under its Arabic name, and asked for by it.
    filed = _report(api, world, {"metric": "killed", "breakdown": {"place": TOWN}, "value": _exact(12)})
    assert filed.status_code == 201, filed.text
    groups = api.get("/tallies/killed?by=place", "reader").json()["groups"]
    assert [(g["value"], g["low"]) for g in groups] == [(TOWN, 12)]
    by_place = api.get(f"/tallies/killed/by-source?breakdown={quote('place:' + TOWN)}", "reader")
    assert by_place.status_code == 200, by_place.text
    figure_id = filed.json()["figures"][0]["figure_id"]
    assert api.get(f"/figures/{figure_id}", "reader").json()["admin_codes"] == {TOWN: "SY070400"}
    listed = api.get("/figures?metric=killed", "reader").json()["items"]
    assert [f["admin_codes"] for f in listed] == [{TOWN: "SY070400"}]
    exported = api.get("/figures?metric=killed&format=hxl", "reader").content.decode("utf-8-sig").splitlines()
    header, tags, row = exported[-3:] if len(exported) >= 3 else (exported + ["", "", ""])[:3]
    assert "place_code" in header and "#loc+code" in tags and "SY070400" in row


def test_a_revision_needs_if_match_and_a_reason_and_is_in_the_terms_history(api: Api) -> None:
    assert _define(api, kind="dimension", code="armed_group", label_en="armed group").status_code == 201
    path = "/vocabulary/armed_group/revisions"
    assert_problem(api.post(path, {"label_ar": "الجماعة المسلحة", "reason": "Arabic label"}), 428)
    assert_problem(api.post(path, {"label_ar": "الجماعة المسلحة"}, If_Match='"1"'), 422, field="reason")
    assert_problem(api.post(path, {"kind": "metric", "reason": "r"}, If_Match='"1"'), 422)
    revised = api.post(path, {"label_ar": "الجماعة المسلحة", "closed": True, "reason": "Arabic label"},
                       If_Match='"1"', Idempotency_Key="rev-1")
    assert revised.status_code == 200, revised.text and revised.json() == {"term": "armed_group", "version": 2}
    again = api.post(path, {"label_ar": "الجماعة المسلحة", "closed": True, "reason": "Arabic label"},
                     If_Match='"1"', Idempotency_Key="rev-1")
    assert again.json() == revised.json()  # the retry records nothing
    assert_problem(api.post(path, {"definition": "other", "reason": "r"}, If_Match='"1"'), 412)
    assert_problem(api.post("/vocabulary/nothing/revisions", {"definition": "x", "reason": "r"}, If_Match='"1"'), 404)
    term = api.get("/vocabulary/armed_group", "reader").json()
    assert [(v["version"], v["event"], v["reason"]) for v in term["history"]] == [
        (1, "defined", "needed"), (2, "revised", "Arabic label")]
    assert term["history"][1]["changes"] == {"label_ar": "الجماعة المسلحة", "closed": True}


def test_a_closed_dimension_takes_only_its_defined_values(api: Api, world: World) -> None:
    assert _define(api, kind="dimension", code="unit", label_en="military unit", closed=True).status_code == 201
    refused = _report(api, world, {"metric": "killed", "breakdown": {"unit": "4th Division"}, "value": _exact(1)})
    assert_problem(refused, 422, field="figures[0].breakdown.unit", says="closed dimension")
    assert _define(api, kind="value", dimension="unit", code="4th Division", label_en="4th Division").status_code == 201
    filed = _report(api, world, {"metric": "killed", "breakdown": {"unit": "4th Division"}, "value": _exact(1)})
    assert filed.status_code == 201, filed.text
    # The dashboard's splits include the defined dimension, not only the built-ins.
    reader = api.client.app.state.reader
    api.get("/tallies/killed", "reader")  # the views caught up
    splits = reader.tally_splits("killed")["splits"]
    assert [(g["value"], g["low"]) for g in splits["unit"]["groups"]] == [("4th Division", 1)]


def test_civilians_killed_above_everyone_killed_is_an_inconsistent_part_of_check(api: Api, world: World) -> None:
    filed = _report(api, world, {"metric": "killed", "value": _exact(100)},
                    {"metric": "civilians_killed", "value": _exact(120), "adopt": True, "reason": "the latest"})
    assert filed.status_code == 201, filed.text
    for metric in ("killed", "civilians_killed", None):
        query = "" if metric is None else f"&metric={metric}"
        checks = api.get(f"/checks?incident_id={world.incident}{query}", "reader").json()
        part_of = [c for c in checks if c["check"] == "part_of"]
        assert len(part_of) == 1, (metric, checks)
        (c,) = part_of
        assert (c["metric"], c["parts"][0]["value"], c["status"], c["excess"]) == (
            "killed", "civilians_killed", "inconsistent", 120 - 100)
        assert c["total"]["low"] == 100


def test_the_audit_log_shows_the_definitions(api: Api, world: World) -> None:
    api.client.app.state.audit.make_checkpoint()
    assert _define(api, kind="population", code="missing", label_en="missing").status_code == 201
    items = api.get("/audit/log?actor=seed-officer&limit=500", "auditor").json()["items"]
    assert "Vocabulary.Defined" not in {i["kind"] for i in items}
    mine = api.get(f"/audit/log?actor={api.ledger.vocabulary().terms['missing']['defined_by']}&limit=500",
                   "auditor").json()["items"]
    assert [i["kind"] for i in mine][-1] == "Vocabulary.Defined"
    built = api.get("/audit/log?limit=500", "auditor").json()["items"]
    assert sum(i["kind"] == "Vocabulary.Defined" for i in built) >= 20
    assert [i["kind"] for i in built][0] == "Vocabulary.Opened"


@pytest.mark.parametrize("term", ["Killed", "a" * 65])
def test_a_malformed_metric_is_a_problem(api: Api, term: str) -> None:
    assert_problem(api.get(f"/tallies/{term}", "reader"), 422)
