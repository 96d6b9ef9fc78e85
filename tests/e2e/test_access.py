"""Who may do what: every role against every endpoint, and every way to a protected source.

Officers record and read public data; auditors read everything and record nothing; readers
read public data. A protected source's identity (its id, name, URL, words, its reports and
citations) must never appear in anything an officer or a reader receives.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.figure import Figure
from ledger.incident import Incident
from tests.e2e.conftest import MARK, Api, World, assert_problem

CALLERS = ("officer", "auditor", "reader", None, "revoked", "bogus")
WRITE = {"officer": None, "auditor": 403, "reader": 403}  # None: the row's success status
READ = {"officer": None, "auditor": None, "reader": None}
PROTECTED_READ = {"officer": 404, "auditor": None, "reader": 404}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable[[World], str]
    ok: int
    roles: dict[str, int | None]
    body: Callable[[World], Any] | None = None
    if_match: bool = False  # send the target's current version
    protected: bool = False  # the success answer is the protected source's data (auditors only)
    public: bool = False  # no key needed

    def __str__(self) -> str:
        return self.name


def _version(api: Api, path: str) -> int:
    kind, ident = path.strip("/").split("/")[:2]
    return api.ledger.load({"figures": Figure, "incidents": Incident}[kind], ident).version


ROWS = [
    Row("register source", "POST", lambda w: "/sources", 201, WRITE,
        body=lambda w: {"name": "Idlib Media Office", "kind": "media_office", "language": "ar"}),
    Row("read public source", "GET", lambda w: f"/sources/{w.public_source}", 200, READ),
    Row("read protected source", "GET", lambda w: f"/sources/{w.protected_source}", 200, PROTECTED_READ,
        protected=True),
    Row("change protection", "POST", lambda w: f"/sources/{w.spare_source}/protection", 200, WRITE,
        body=lambda w: {"protected": True, "reason": "threats against its staff"}),
    Row("record incident", "POST", lambda w: "/incidents", 201, WRITE,
        body=lambda w: {"title": "Shelling of Kafr Nabl", "valid_from": "2019-05-01", "places": ["Kafr Nabl"]}),
    Row("read incident", "GET", lambda w: f"/incidents/{w.incident}", 200, READ),
    Row("revise incident period", "POST", lambda w: f"/incidents/{w.incident}/period-revisions", 200, WRITE,
        body=lambda w: {"valid_from": "2019-04-25", "reason": "an earlier strike belongs to it"}, if_match=True),
    Row("file report", "POST", lambda w: "/reports", 201, WRITE,
        body=lambda w: {"source_id": w.public_source, "title": "Monthly report", "language": "en", "figures": [
            {"incident_id": w.incident, "metric": "displaced",
             "value": {"qualifier": "more_than", "number": 300000}}]}),
    Row("read public report", "GET", lambda w: f"/reports/{w.public_report}", 200, READ),
    Row("read protected report", "GET", lambda w: f"/reports/{w.protected_report}", 200, PROTECTED_READ,
        protected=True),
    Row("read figure", "GET", lambda w: f"/figures/{w.figure}", 200, READ),
    Row("read figure at a version", "GET", lambda w: f"/figures/{w.figure}?version=1", 200, READ),
    Row("read figure stated by a protected source", "GET", lambda w: f"/figures/{w.protected_figure}", 200,
        READ),
    Row("correct figure", "POST", lambda w: f"/figures/{w.figure}/corrections", 200, WRITE,
        body=lambda w: {"value": {"qualifier": "exact", "number": 121}, "reason": "hospital records"},
        if_match=True),
    Row("supersede figure", "POST", lambda w: f"/figures/{w.figure}/supersessions", 200, WRITE,
        body=lambda w: {"source_id": w.public_source, "report_id": w.public_report,
                        "value": {"qualifier": "exact", "number": 122}, "reason": "the investigation's count"},
        if_match=True),
    Row("retract figure", "POST", lambda w: f"/figures/{w.figure}/retractions", 200, WRITE,
        body=lambda w: {"reason": "double-counted with another incident"}, if_match=True),
    Row("grade figure", "POST", lambda w: f"/figures/{w.figure}/grades", 200, WRITE,
        body=lambda w: {"grade": "fair", "reason": "single credible source"}, if_match=True),
    Row("cite", "POST", lambda w: "/citations", 201, WRITE,
        body=lambda w: {"target_id": w.figure, "source_id": w.public_source, "url": "https://snhr.org/r/2"}),
    Row("read public citation", "GET", lambda w: f"/citations/{w.public_citation}", 200, READ),
    Row("read protected citation", "GET", lambda w: f"/citations/{w.protected_citation}", 200, PROTECTED_READ,
        protected=True),
    Row("read protected report's citation", "GET", lambda w: f"/citations/{w.protected_report_citation}", 200,
        PROTECTED_READ, protected=True),
    Row("read public citation of a protected report", "GET",
        lambda w: f"/citations/{w.public_citation_of_protected_report}", 200, READ, protected=True),
    Row("withdraw citation", "POST", lambda w: f"/citations/{w.public_citation}/withdrawals", 200, WRITE,
        body=lambda w: {"reason": "the page was taken down and the archive does not match"}),
    Row("health", "GET", lambda w: "/health", 200, READ, public=True),
    # queries over the projections
    Row("tally", "GET", lambda w: "/tallies/civilians_killed?by=perpetrator", 200, READ),
    Row("tally history", "GET", lambda w: "/tallies/civilians_injured/history", 200, READ),
    Row("breakdown checks", "GET", lambda w: "/checks", 200, READ),
    Row("list figures", "GET", lambda w: "/figures", 200, READ, protected=True),
    Row("figure history", "GET", lambda w: f"/figures/{w.figure}/history", 200, READ, protected=True),
    Row("figure spread", "GET", lambda w: f"/figures/{w.figure}/spread", 200, READ, protected=True),
    Row("spread of a figure stated by a protected source", "GET", lambda w: f"/figures/{w.protected_figure}/spread",
        200, READ, protected=True),
    Row("figure citations", "GET", lambda w: f"/figures/{w.figure}/citations", 200, READ, protected=True),
    Row("public report's citations", "GET", lambda w: f"/reports/{w.public_report}/citations", 200, READ),
    Row("protected report's citations", "GET", lambda w: f"/reports/{w.protected_report}/citations", 200,
        PROTECTED_READ, protected=True),
    Row("list incidents", "GET", lambda w: "/incidents", 200, READ),
    Row("list sources", "GET", lambda w: "/sources", 200, READ, protected=True),
    Row("list reports", "GET", lambda w: "/reports", 200, READ, protected=True),
]


def expected(row: Row, caller: str | None) -> int:
    if row.public:
        return row.ok
    if caller not in ("officer", "auditor", "reader"):
        return 401
    status = row.roles[caller]
    return row.ok if status is None else status


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c or "no-key")
@pytest.mark.parametrize("row", ROWS, ids=str)
def test_access_matrix(shared: tuple[Api, World], row: Row, caller: str | None) -> None:
    # One app and world per store for the whole table: refused requests change nothing, and
    # the officer's successful ones are written to succeed whatever ran before them.
    api, world = shared
    path = row.path(world)
    headers = api.headers(caller) if caller in api.keys else {}
    if row.if_match:
        headers["If-Match"] = f'"{_version(api, path)}"'
    before = api.events()
    response = api.client.request(row.method, path, headers=headers,
                                  json=None if row.body is None else row.body(world))
    want = expected(row, caller)
    assert response.status_code == want, (row.name, caller, response.status_code, response.text)
    if want >= 400:
        assert_problem(response, want)
        assert api.events() == before, "a refused request recorded something"
    if want == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    markers = world.protected_markers()
    if caller == "auditor" and row.protected:
        assert any(m in response.text for m in markers)  # the check below can fail
    elif caller != "auditor":
        for marker in markers:
            assert marker not in response.text, (row.name, caller, marker)


# ---- every way a reader (or an officer) could reach a protected source ---------------------

@pytest.mark.parametrize("role", ["reader", "officer"])
def test_protected_source_answers_exactly_as_an_unknown_one(api: Api, world: World, role: str) -> None:
    hidden = api.get(f"/sources/{world.protected_source}", role)
    unknown = api.get(f"/sources/{uuid.uuid4()}", role)
    assert_problem(hidden, 404)
    assert hidden.json() == unknown.json()
    assert dict(hidden.headers) == dict(unknown.headers)
    # Conditional requests cannot probe it either.
    assert_problem(api.get(f"/sources/{world.protected_source}", role, If_None_Match='"1"'), 404)
    assert_problem(api.get(f"/sources/{world.protected_source}", role, If_None_Match="*"), 404)


@pytest.mark.parametrize("role", ["reader", "officer"])
def test_claims_of_a_protected_source_keep_numbers_but_not_identity(api: Api, world: World, role: str) -> None:
    body = api.get(f"/figures/{world.figure}", role).json()
    by_protection = {c["protected"]: c for c in body["claims"]}
    hidden, shown = by_protection[True], by_protection[False]
    assert hidden["source_id"] is None and hidden["report_id"] is None
    assert hidden["value"]["quote"] is None and hidden["value"]["number"] == 112
    assert shown["source_id"] == world.public_source and shown["value"]["quote"] == "killed at least 108 civilians"
    assert body["value"]["quote"] == "killed at least 108 civilians"  # the public claim is current

    stated = api.get(f"/figures/{world.protected_figure}", role).json()
    assert stated["value"]["low"] == 40 and stated["value"]["high"] == 50
    assert stated["value"]["quote"] is None and stated["value"]["quote_en"] is None
    assert stated["claims"][0]["protected"] is True
    for response in (api.get(f"/figures/{world.figure}", role), api.get(f"/figures/{world.protected_figure}", role),
                     api.get(f"/figures/{world.protected_figure}?version=1", role)):
        for marker in world.protected_markers():
            assert marker not in response.text


def test_auditors_see_protected_sources_in_full(api: Api, world: World) -> None:
    source = api.get(f"/sources/{world.protected_source}", "auditor").json()
    assert source["protected"] is True and MARK in source["name"] and MARK in source["url"]
    figure = api.get(f"/figures/{world.figure}", "auditor").json()
    assert {c["source_id"] for c in figure["claims"]} == {world.public_source, world.protected_source}
    assert not any(c["protected"] for c in figure["claims"])
    assert api.get(f"/figures/{world.protected_figure}", "auditor").json()["value"]["quote"].startswith(MARK)
    report = api.get(f"/reports/{world.protected_report}", "auditor").json()
    assert report["source_id"] == world.protected_source


def test_protection_takes_effect_on_the_next_request(api: Api, world: World) -> None:
    assert api.get(f"/sources/{world.public_source}", "reader").status_code == 200
    changed = api.post(f"/sources/{world.public_source}/protection",
                       {"protected": True, "reason": "its staff were threatened"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert_problem(api.get(f"/sources/{world.public_source}", "reader"), 404)
    assert_problem(api.get(f"/reports/{world.public_report}", "reader"), 404)
    assert_problem(api.get(f"/citations/{world.public_citation}", "reader"), 404)
    figure = api.get(f"/figures/{world.figure}", "reader")
    assert world.public_source not in figure.text and "killed at least 108" not in figure.text
    # And back: unprotecting names the version it was decided on (428 without it, tested below).
    api.post(f"/sources/{world.protected_source}/protection", {"protected": False, "reason": "the threat has passed"},
             If_Match='"1"')
    assert MARK in api.get(f"/sources/{world.protected_source}", "reader").json()["name"]


def test_readers_errors_never_echo_protected_data(api: Api, world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    attempts = [
        api.post("/reports", {"source_id": world.protected_source, "title": "x", "language": "en"}, "reader"),
        api.post("/citations", {"target_id": world.protected_report, "source_id": world.protected_source,
                                "url": "https://example.org"}, "reader"),
        api.post(f"/sources/{world.protected_source}/protection", {"protected": False, "reason": "x"}, "reader"),
        api.get(f"/sources/{world.protected_source}", "reader"),
        api.get(f"/reports/{world.protected_report}", "reader"),
        api.get(f"/citations/{world.protected_citation}", "reader"),
        api.get(f"/figures/{world.protected_source}", "reader"),
        api.get(f"/sources/{world.protected_source}/protection", "reader"),
    ]
    for response in attempts:
        assert response.status_code in (403, 404, 405), response.text
        assert_problem(response, response.status_code)
        for marker in world.protected_markers():
            assert marker not in response.text
    # The server's own log lines (the client's request lines echo only the ids the caller sent).
    server_lines = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    for marker in world.protected_markers():
        assert marker not in server_lines
    assert MARK not in caplog.text


def test_unprotecting_a_source_requires_the_version_it_was_decided_on(api: Api, world: World) -> None:
    """Two officers deciding on one witness: without If-Match the second would undo the first unseen."""
    where = f"/sources/{world.protected_source}/protection"
    events = api.events()
    missing = api.post(where, {"protected": False, "reason": "the threat has passed"})
    problem = assert_problem(missing, 428)
    assert problem["type"].endswith("/if-match-required") and problem["field"] == "If-Match"
    assert api.events() == events
    assert_problem(api.get(f"/sources/{world.protected_source}", "reader"), 404)  # still protected
    again = api.post(where, {"protected": True, "reason": "a second threat"}, If_Match='"1"')  # protecting: optional
    assert again.status_code == 200 and again.json()["version"] == 2
    stale = api.post(where, {"protected": False, "reason": "the threat has passed"}, If_Match='"1"')
    assert_problem(stale, 412)
    assert api.events() == events + 1
    done = api.post(where, {"protected": False, "reason": "the threat has passed"}, If_Match='"2"')
    assert done.status_code == 200 and done.json()["version"] == 3
    # Protecting stays one step without a version: the safe direction must never wait on a read.
    assert api.post(where, {"protected": True, "reason": "again"}).status_code == 200
