"""The database lost in the middle of an API command, at each of its calls to the store in turn: 503 with
Retry-After as RFC 9457 JSON (or the command's answer, when the call that fails is one it does not need),
never a 500; and the command sent again with the same Idempotency-Key, as a client retries a 503, leaves
the ledger as one command leaves it, and answers as the first would have. The web forms' twin is
tests/e2e/web/test_outage_mid_request.py, whose ``outage_at`` this uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Api, World, assert_problem
from tests.e2e.web.test_outage_mid_request import CALLS, outage_at


def _commands(api: Api, world: World) -> dict[str, tuple[Callable[[], str], Callable[[], dict[str, Any]],
                                                           Callable[[], str | None]]]:
    """Each command's path, a body that records each time it is sent, and the If-Match it needs now."""
    def unique() -> int:
        return uuid.uuid4().int % 10**6

    def now(path: str) -> Callable[[], str]:
        return lambda: api.get(path).headers["etag"]

    figure = f"/figures/{world.figure}"
    return {
        "source": (lambda: "/sources", lambda: {"name": f"n {unique()}", "kind": "other", "language": "en"},
                   lambda: None),
        "incident": (lambda: "/incidents", lambda: {"title": f"t {unique()}", "valid_from": "2019-01-01"},
                     lambda: None),
        "report": (lambda: "/reports", lambda: {
            "source_id": world.public_source, "title": f"t {unique()}", "language": "en",
            "figures": [{"incident_id": world.incident, "metric": "displaced",
                         "value": {"qualifier": "exact", "number": unique()}}]}, lambda: None),
        "citation": (lambda: "/citations", lambda: {"target_id": world.figure, "source_id": world.public_source,
                                                    "quote": f"q {unique()}"}, lambda: None),
        "correction": (lambda: f"{figure}/corrections",
                       lambda: {"value": {"qualifier": "exact", "number": unique()}, "reason": "r"}, now(figure)),
        "period": (lambda: f"/incidents/{world.incident}/period-revisions",
                   lambda: {"valid_from": f"2019-04-{1 + unique() % 25:02d}", "reason": "r"},
                   now(f"/incidents/{world.incident}")),
        "term": (lambda: "/vocabulary", lambda: {"kind": "metric", "code": f"probe_{unique()}_killed",
                                                 "definition": "d", "label_en": "l", "reason": "r"}, lambda: None),
    }


@pytest.mark.parametrize("after", [False, True], ids=["lost before", "lost after the commit"])
@pytest.mark.parametrize("command", ["source", "incident", "report", "citation", "correction", "period", "term"])
def test_a_command_meeting_an_outage_answers_503_and_its_retry_records_once(shared: tuple[Api, World],
                                                                             command: str, after: bool) -> None:
    api, world = shared
    path, body_of, if_match = _commands(api, world)[command]
    before = api.events()

    def send(body: dict[str, Any], key: str, tag: str | None):
        headers = {"Idempotency-Key": key, **({"If-Match": tag} if tag else {})}
        return api.client.post(path(), json=body, headers=api.headers("officer", **headers))

    first = send(body_of(), str(uuid.uuid4()), if_match())
    assert first.status_code in (200, 201), first.text
    one_command = api.events() - before
    failed = 0
    for call in range(1, CALLS + 1):
        body, key, tag = body_of(), str(uuid.uuid4()), if_match()
        before = api.events()
        with outage_at(call, after=after) as calls:
            answer = send(body, key, tag)
        if answer.status_code == 503:
            failed += 1
            assert_problem(answer, 503)
            assert int(answer.headers["retry-after"]) > 0
            again = send(body, key, tag)  # the client's retry: the same body, the same key
            assert again.status_code == first.status_code, (command, call, again.text)
        else:
            assert answer.status_code == first.status_code, (command, call, answer.status_code, answer.text)
        assert api.events() - before == one_command, (command, call, answer.status_code)
        if calls[0] < call:
            break
    assert failed >= 1, (command, failed)  # PostgreSQL's library retries some calls itself
