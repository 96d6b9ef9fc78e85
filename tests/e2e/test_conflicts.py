"""Optimistic concurrency through HTTP: If-Match is required on figure changes, a stale one
answers 412 naming the current version, and a refused change records nothing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api, World, assert_problem


@pytest.fixture
def api(shared: tuple[Api, World]) -> Api:
    """One app per store for the module; each test gets a world of its own (new records, so new
    figures and versions), which is all these tests need to be independent."""
    return shared[0]


CHANGES = {
    "corrections": lambda w: {"value": {"qualifier": "exact", "number": 130}, "reason": "hospital lists"},
    "supersessions": lambda w: {"source_id": w.public_source, "report_id": w.public_report,
                                "value": {"qualifier": "exact", "number": 131}, "reason": "the inquiry's count"},
    "retractions": lambda w: {"reason": "double-counted"},
    "grades": lambda w: {"grade": "contested", "reason": "sources disagree"},
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_if_match_is_required(api: Api, world: World, change: str) -> None:
    before = api.events()
    response = api.post(f"/figures/{world.figure}/{change}", CHANGES[change](world))
    assert_problem(response, 428, says="If-Match")
    assert response.json()["type"] == "/problems/if-match-required"
    assert_problem(api.post(f"/figures/{world.figure}/{change}", CHANGES[change](world), If_Match="*"), 428)
    assert api.events() == before


@pytest.mark.parametrize("change", list(CHANGES))
def test_stale_if_match_is_412_with_the_current_version(api: Api, world: World, change: str) -> None:
    # Someone else corrects the figure first.
    api.ledger.correct_figure("another-officer", world.figure, value={"qualifier": "exact", "number": 109},
                              reason="first look", expected_version=2)
    before = api.events()
    response = api.post(f"/figures/{world.figure}/{change}", CHANGES[change](world), If_Match='"2"')
    body = assert_problem(response, 412, says="current version is 3")
    assert body["current_version"] == 3 and body["expected_version"] == 2
    assert body["type"] == "/problems/version-conflict"
    assert api.events() == before
    assert api.ledger.figure(world.figure).version == 3
    # With the current version it goes through.
    assert api.post(f"/figures/{world.figure}/{change}", CHANGES[change](world), If_Match='"3"').status_code == 200


@pytest.mark.parametrize("tag", ['"2"', 'W/"2"', "2"])
def test_if_match_forms(api: Api, world: World, tag: str) -> None:
    response = api.post(f"/figures/{world.figure}/grades", CHANGES["grades"](world), If_Match=tag)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("tag", ['"two"', '"2", "3"', '"0"', '"-1"', '"99999999999999999999999"'])
def test_unreadable_if_match_is_400(api: Api, world: World, tag: str) -> None:
    before = api.events()
    assert_problem(api.post(f"/figures/{world.figure}/grades", CHANGES["grades"](world), If_Match=tag), 400,
                   field="If-Match")
    assert api.events() == before


def test_incident_revision_requires_if_match_and_optional_ones_are_honoured(api: Api, world: World) -> None:
    revision = {"valid_from": "2019-04-20", "reason": "later sources"}
    assert_problem(api.post(f"/incidents/{world.incident}/period-revisions", revision), 428)
    body = assert_problem(api.post(f"/incidents/{world.incident}/period-revisions", revision, If_Match='"7"'), 412)
    assert body["current_version"] == 1
    # Protection changes and withdrawals take If-Match optionally; a stale one is still refused.
    body = assert_problem(api.post(f"/sources/{world.public_source}/protection",
                                   {"protected": True, "reason": "threats"}, If_Match='"5"'), 412)
    assert body["current_version"] == 1
    body = assert_problem(api.post(f"/citations/{world.public_citation}/withdrawals", {"reason": "gone"},
                                   If_Match='"3"'), 412)
    assert body["current_version"] == 1
    assert api.post(f"/citations/{world.public_citation}/withdrawals", {"reason": "gone"},
                    If_Match='"1"').status_code == 200


def test_two_officers_one_version_one_wins(api: Api, world: World) -> None:
    first = api.post(f"/figures/{world.figure}/corrections", CHANGES["corrections"](world), If_Match='"2"')
    second = api.post(f"/figures/{world.figure}/corrections",
                      {"value": {"qualifier": "exact", "number": 140}, "reason": "another list"}, If_Match='"2"')
    assert first.status_code == 200
    assert_problem(second, 412)
    assert api.get(f"/figures/{world.figure}").json()["value"]["number"] == 130
