"""Safe retries: the same Idempotency-Key answers the first response and records once; the
same key with a different request is refused with 422."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Api, World, assert_problem


@pytest.fixture
def api(shared: tuple[Api, World]) -> Api:
    """One app per store for the module; each test gets a world of its own (new records, so new
    figures and versions), which is all these tests need to be independent."""
    return shared[0]


# (path, body, If-Match) for every POST; the If-Match is the version the world starts with.
POSTS: dict[str, Callable[[World], tuple[str, dict[str, Any], str | None]]] = {
    "source": lambda w: ("/sources", {"name": "Idlib Health Directorate", "kind": "official_body",
                                       "language": "ar"}, None),
    "protection": lambda w: (f"/sources/{w.public_source}/protection", {"protected": True, "reason": "threats"}, None),
    "incident": lambda w: ("/incidents", {"title": "Strike on Maarat al-Numan market", "valid_from": "2019-07-22"},
                           None),
    "period": lambda w: (f"/incidents/{w.incident}/period-revisions",
                         {"valid_from": "2019-04-20", "reason": "later sources"}, '"1"'),
    "report": lambda w: ("/reports", {"source_id": w.public_source, "title": "Update", "language": "en", "figures": [
        {"incident_id": w.incident, "metric": "airstrikes", "value": {"qualifier": "exact", "number": 400}}]}, None),
    "correction": lambda w: (f"/figures/{w.figure}/corrections",
                             {"value": {"qualifier": "exact", "number": 111}, "reason": "recount"}, '"2"'),
    "supersession": lambda w: (f"/figures/{w.figure}/supersessions", {
        "source_id": w.public_source, "report_id": w.public_report, "value": {"qualifier": "exact", "number": 113},
        "reason": "inquiry"}, '"2"'),
    "retraction": lambda w: (f"/figures/{w.figure}/retractions", {"reason": "duplicate"}, '"2"'),
    "grade": lambda w: (f"/figures/{w.figure}/grades", {"grade": "weak", "reason": "single source"}, '"2"'),
    "citation": lambda w: ("/citations", {"target_id": w.figure, "source_id": w.public_source,
                                          "url": "https://snhr.org/r/9"}, None),
    "withdrawal": lambda w: (f"/citations/{w.public_citation}/withdrawals", {"reason": "link dead"}, None),
}


def _send(api: Api, path: str, body: dict[str, Any], if_match: str | None, key: str):
    headers = {"Idempotency-Key": key}
    if if_match:
        headers["If-Match"] = if_match
    return api.post(path, body, **{k.replace("-", "_"): v for k, v in headers.items()})


def _different(body: dict[str, Any]) -> dict[str, Any]:
    for field, other in (("reason", "a different reason"), ("title", "Another title"), ("name", "Another name")):
        if field in body:
            return {**body, field: other}
    return {**body, "url": "https://example.org/another"}


@pytest.mark.parametrize("command", list(POSTS))
def test_a_retry_answers_the_first_response_and_records_once(api: Api, world: World, command: str) -> None:
    path, body, if_match = POSTS[command](world)
    key = str(uuid.uuid4())
    before = api.events()
    first = _send(api, path, body, if_match, key)
    assert first.status_code in (200, 201), first.text
    recorded = api.events()
    assert recorded > before
    for _ in range(2):
        again = _send(api, path, body, if_match, key)
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers.get("location") == first.headers.get("location")
    # A retry whose If-Match is now stale still gets the first answer, not a conflict.
    assert api.events() == recorded

    reused = _send(api, path, _different(body), if_match, key)
    problem = assert_problem(reused, 422, field="Idempotency-Key", says="different request")
    assert problem["type"] == "/problems/request-key-reused"
    assert api.events() == recorded


def test_equivalent_bodies_are_the_same_request(api: Api) -> None:
    key = "import-2019-05-01-source-7"
    first = api.post("/sources", {"name": "Witness", "kind": "witness", "language": "ar"}, Idempotency_Key=key)
    # Defaults spelled out, keys reordered, the key as an RFC 8941 string: the same request.
    again = api.post("/sources", {"language": "ar", "protected": False, "url": None, "kind": "witness",
                                  "name_en": None, "name": "Witness"}, Idempotency_Key=f'"{key}"')
    assert (again.status_code, again.json()) == (201, first.json())


def test_keys_are_scoped_to_the_key_owner(api: Api) -> None:
    other, _ = api.ledger.issue_key("test-admin", owner="officer-2", role="officer")
    body = {"name": "Same", "kind": "witness", "language": "ar"}
    mine = api.post("/sources", body, Idempotency_Key="k-1")
    theirs = api.client.post("/sources", json=body, headers={"Authorization": f"Bearer {other}",
                                                             "Idempotency-Key": "k-1"})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["source_id"] != theirs.json()["source_id"]


def test_a_refused_request_does_not_use_up_its_key(api: Api, world: World) -> None:
    key = "retry-after-fixing"
    bad = api.post(f"/figures/{world.figure}/grades", {"grade": "weak", "reason": "x"}, If_Match='"1"',
                   Idempotency_Key=key)
    assert_problem(bad, 412)
    good = api.post(f"/figures/{world.figure}/grades", {"grade": "weak", "reason": "x"}, If_Match='"2"',
                    Idempotency_Key=key)
    assert good.status_code == 200


@pytest.mark.parametrize("key", ["", " ", "k" * 256])
def test_unusable_keys(api: Api, key: str) -> None:
    before = api.events()
    assert_problem(api.post("/sources", {"name": "x", "kind": "other", "language": "en"}, Idempotency_Key=key),
                   422, field="Idempotency-Key")
    assert api.events() == before


@pytest.mark.parametrize("command", ["correction", "retraction", "grade", "withdrawal"])
def test_a_twin_recorded_just_after_the_receipt_check_still_answers_the_first_response(
    api: Api, world: World, command: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two copies of one request (same key) at once: the second looks for the receipt before the
    first has saved it, then fails on what the first changed; it must still answer as the first."""
    path, body, if_match = POSTS[command](world)
    key = f"twin-{command}"
    first = _send(api, path, body, if_match, key)
    assert first.status_code == 200
    recorded = api.events()

    real = type(api.ledger)._receipt
    calls = {"n": 0}

    def missed_once(self, actor, request_key):  # the first look happens before the twin commits
        calls["n"] += 1
        return None if calls["n"] == 1 else real(self, actor, request_key)

    monkeypatch.setattr(type(api.ledger), "_receipt", missed_once)
    twin = _send(api, path, body, if_match, key)
    assert (twin.status_code, twin.content) == (first.status_code, first.content), twin.text
    assert api.events() == recorded
