"""Judgements through the API: adopting a claim says why, and supersessions, grades and retractions cite evidence.

Every judgement (adopting, correcting, superseding, grading, retracting) carries a reason and
may cite citations; the figure's history and its export show both (a protected source's
citation only as "protected").
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import Api, World, assert_problem


def _statement(world: World, **extra) -> dict:
    return {"incident_id": world.incident, "metric": "civilians_killed",
            "value": {"qualifier": "exact", "number": 121, "quote": "121 named victims"}, **extra}


def _report(world: World, *statements: dict) -> dict:
    return {"source_id": world.spare_source, "title": "Council list", "language": "ar", "figures": list(statements)}


def test_adopting_a_claim_needs_a_reason_and_the_history_shows_it_with_its_evidence(api: Api, world: World) -> None:
    before = api.events()
    assert_problem(api.post("/reports", _report(world, _statement(world, adopt=True))), 422, field="figures[0].reason",
                   says="reason is required")
    assert_problem(api.post("/reports", _report(world, _statement(world, adopt=True, reason="  "))), 422,
                   field="figures[0].reason")
    assert_problem(api.post("/reports", _report(world, _statement(world, reason="a later list"))), 422,
                   field="figures[0].reason", says="adopt: true")
    assert_problem(api.post("/reports", _report(world, _statement(world, evidence=[world.public_citation]))), 422,
                   field="figures[0].evidence")
    assert api.events() == before

    filed = api.post("/reports", _report(world, _statement(
        world, adopt=True, reason="the council names every victim",
        evidence=[world.public_citation, world.protected_citation])))
    assert filed.status_code == 201, filed.text
    assert api.get(f"/figures/{world.figure}", "reader").json()["value"]["number"] == 121
    for role, protected in (("reader", "protected"), ("auditor", world.protected_citation)):
        last = api.get(f"/figures/{world.figure}/history", role).json()["versions"][-1]
        assert (last["event"], last["reason"], last["evidence"]) == (
            "adopted", "the council names every victim", [world.public_citation, protected])
    # A claim that is not adopted judges nothing: no reason, no evidence.
    api.post("/reports", _report(world, _statement(world, value={"qualifier": "exact", "number": 130})))
    last = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"][-1]
    assert (last["event"], last["reason"], last["evidence"]) == ("claimed", None, None)


def test_an_adoption_on_a_withdrawn_or_unknown_citation_is_refused(api: Api, world: World) -> None:
    api.ledger.withdraw_citation("seed-officer", world.public_citation, reason="the page was altered")
    before = api.events()
    assert_problem(api.post("/reports", _report(world, _statement(
        world, adopt=True, reason="r", evidence=[world.public_citation]))), 422, field="figures[0].evidence",
        says="withdrawn")
    unknown = "00000000-0000-4000-8000-000000000001"
    assert_problem(api.post("/reports", _report(world, _statement(world), _statement(
        world, metric="civilians_injured", adopt=True, reason="r", evidence=[unknown]))), 422,
        field="figures[1].evidence[0]", says="no citation")
    assert api.events() == before


def test_a_supersession_cites_evidence_and_the_history_shows_it(api: Api, world: World) -> None:
    def supersede(version: int, **extra):
        return api.post(f"/figures/{world.figure}/supersessions", {
            "source_id": world.public_source, "report_id": world.public_report,
            "value": {"qualifier": "exact", "number": 115}, "reason": "the investigation's final list", **extra},
            If_Match=f'"{version}"')

    version = api.ledger.figure(world.figure).version
    unknown = "00000000-0000-4000-8000-000000000002"
    assert_problem(supersede(version, evidence=[world.public_citation, unknown]), 422, field="evidence[1]", says="no citation")
    response = supersede(version, evidence=[world.public_citation, world.protected_citation])
    assert response.status_code == 200, response.text
    last = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"][-1]
    assert (last["event"], last["reason"], last["evidence"]) == (
        "superseded", "the investigation's final list", [world.public_citation, "protected"])
    # Without evidence it is still a supersession (a reason is enough), and its history says none.
    api.ledger.withdraw_citation("seed-officer", world.public_citation, reason="the page was altered")
    before = api.events()
    assert_problem(supersede(version + 1, evidence=[world.public_citation]), 422, field="evidence", says="withdrawn")
    assert api.events() == before
    assert supersede(version + 1).status_code == 200
    last = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"][-1]
    assert (last["event"], last["evidence"]) == ("superseded", None)


def _judge(api: Api, world: World, change: str, version: int, **body):
    return api.post(f"/figures/{world.figure}/{change}", body, If_Match=f'"{version}"')


def test_a_grade_and_a_retraction_cite_evidence_shown_in_the_history_and_its_export(api: Api, world: World) -> None:
    version = api.ledger.figure(world.figure).version
    graded = _judge(api, world, "grades", version, grade="fair", reason="one credible list",
                    evidence=[world.public_citation, world.protected_citation])
    assert graded.status_code == 200, graded.text
    retracted = _judge(api, world, "retractions", version + 1, reason="the incident was misattributed",
                       evidence=[world.public_citation])
    assert retracted.status_code == 200, retracted.text
    for role, protected in (("reader", "protected"), ("auditor", world.protected_citation)):
        grade, retraction = api.get(f"/figures/{world.figure}/history", role).json()["versions"][-2:]
        assert (grade["event"], grade["reason"], grade["evidence"]) == (
            "regraded", "one credible list", [world.public_citation, protected])
        assert (retraction["event"], retraction["reason"], retraction["evidence"]) == (
            "retracted", "the incident was misattributed", [world.public_citation])
        exported = api.get(f"/figures/{world.figure}/history?format=csv", role)
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert [r["evidence"] for r in rows[-2:]] == [f"{world.public_citation} {protected}", world.public_citation]
    # The audit log keeps every judgement's evidence (auditors only: the ids as they are), in its export too.
    logged = api.get(f"/audit/log?figure_id={world.figure}&limit=500", "auditor").json()["items"]
    assert [(e["kind"], e["evidence"]) for e in logged[-2:]] == [
        ("Figure.Regraded", [world.public_citation, world.protected_citation]),
        ("Figure.Retracted", [world.public_citation])]
    assert {e["kind"]: e["evidence"] for e in logged}["Figure.Stated"] is None
    exported = api.get(f"/audit/log?figure_id={world.figure}&format=csv", "auditor")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["evidence"] for r in rows[-2:]] == [f"{world.public_citation} {world.protected_citation}",
                                                  world.public_citation]
    # Without evidence they are still judgements (a reason is enough), citing none.
    assert _judge(api, world, "grades", version + 2, grade="weak", reason="a single source").status_code == 200
    last = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"][-1]
    assert (last["event"], last["grade"], last["evidence"]) == ("regraded", "weak", None)


@pytest.mark.parametrize("change", ["grades", "retractions"])
def test_a_grade_or_a_retraction_on_a_withdrawn_unknown_or_other_record_is_refused(
        api: Api, world: World, change: str) -> None:
    body = {"reason": "r", **({"grade": "fair"} if change == "grades" else {})}
    version = api.ledger.figure(world.figure).version
    api.ledger.withdraw_citation("seed-officer", world.public_citation, reason="the page was altered")
    before = api.events()
    assert_problem(_judge(api, world, change, version, **body, evidence=[world.protected_citation,
                                                                         world.public_citation]),
                   422, field="evidence", says="withdrawn")
    unknown = "00000000-0000-4000-8000-000000000003"
    for foreign in (unknown, world.public_report, world.figure):  # no citation, or a record of another kind
        assert_problem(_judge(api, world, change, version, **body, evidence=[world.protected_citation, foreign]),
                       422, field="evidence[1]", says="no citation")
    assert_problem(_judge(api, world, change, version, **body, evidence=["not-an-id"]), 422, field="evidence[0]")
    assert api.events() == before
    assert api.ledger.figure(world.figure).version == version
