"""Every kind of bad request answers an RFC 9457 problem naming what is wrong, and stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.citation import Citation
from tests.e2e.conftest import Api, World, assert_problem


@pytest.fixture
def api(shared: tuple[Api, World]) -> Api:
    """One app per store for the module; each test gets a world of its own (new records, so new
    figures and versions), which is all these tests need to be independent."""
    return shared[0]


UNKNOWN = "3f0c1d9e-5b7a-4c2e-9d41-8a6b2e0f7c13"
COUNT = {"qualifier": "exact", "number": 5}


@dataclass(frozen=True)
class Bad:
    name: str
    path: Callable[[World], str]
    body: Callable[[World], Any]
    status: int
    field: str | None = None
    says: str | None = None
    if_match: str | None = '"2"'

    def __str__(self) -> str:
        return self.name


def correction(value: Any = COUNT, **extra: Any) -> Callable[[World], Any]:
    return lambda w: {"value": value, "reason": "recount", **extra}


def report(figures: list[dict[str, Any]] | None = None, **extra: Any) -> Callable[[World], Any]:
    def body(w: World) -> dict[str, Any]:
        items = [{"incident_id": w.incident, "metric": "civilians_killed", "value": COUNT}] if figures is None else [
            {"incident_id": w.incident, **f} for f in figures]
        return {"source_id": w.public_source, "title": "t", "language": "en", "figures": items, **extra}
    return body


def fig(w: World) -> str:
    return f"/figures/{w.figure}/corrections"


CASES = [
    # unknown ids: in the URL 404, in the body 422 naming the field
    Bad("unknown figure", lambda w: f"/figures/{UNKNOWN}/corrections", correction(), 404, says="no figure"),
    Bad("unknown incident to revise", lambda w: f"/incidents/{UNKNOWN}/period-revisions",
        lambda w: {"valid_from": "2019-01-01", "reason": "r"}, 404, says="no incident"),
    Bad("unknown citation to withdraw", lambda w: f"/citations/{UNKNOWN}/withdrawals", lambda w: {"reason": "r"},
        404, says="no citation"),
    Bad("unknown source to protect", lambda w: f"/sources/{UNKNOWN}/protection",
        lambda w: {"protected": True, "reason": "r"}, 404, says="no source"),
    Bad("malformed figure id", lambda w: "/figures/not-a-uuid/corrections", correction(), 422, field="figure_id"),
    Bad("report from an unknown source", lambda w: "/reports", lambda w: {**report()(w), "source_id": UNKNOWN}, 422,
        field="source_id", says="no source"),
    Bad("report about an unknown incident", lambda w: "/reports", lambda w: {**report()(w), "figures": [
        report()(w)["figures"][0], {"incident_id": UNKNOWN, "metric": "displaced", "value": COUNT}]}, 422,
        field="figures[1].incident_id", says="no incident"),
    Bad("citation of an unknown target", lambda w: "/citations",
        lambda w: {"target_id": UNKNOWN, "source_id": w.public_source, "url": "https://a.org"}, 422,
        field="target_id", says="no report or figure"),
    Bad("citation from an unknown source", lambda w: "/citations",
        lambda w: {"target_id": w.figure, "source_id": UNKNOWN, "url": "https://a.org"}, 422, field="source_id"),
    Bad("correction citing unknown evidence", fig, lambda w: {**correction()(w), "evidence": [w.public_citation,
                                                                                              UNKNOWN]},
        422, field="evidence[1]", says="no citation"),
    Bad("supersession by an unknown report", lambda w: f"/figures/{w.figure}/supersessions",
        lambda w: {"source_id": w.public_source, "report_id": UNKNOWN, "value": COUNT, "reason": "r"}, 422,
        field="report_id"),
    Bad("supersession by a report of another source", lambda w: f"/figures/{w.figure}/supersessions",
        lambda w: {"source_id": w.public_source, "report_id": w.protected_report, "value": COUNT, "reason": "r"},
        422, field="report_id", says="is not from source"),
    # counts
    Bad("negative count", fig, correction({"qualifier": "exact", "number": -1}), 422, field="value.number",
        says="greater than or equal to 0"),
    Bad("low above high", fig, correction({"qualifier": "range", "low": 50, "high": 40}), 422, field="value.low",
        says="low 50 exceeds high 40"),
    Bad("low above high in a report", lambda w: "/reports",
        report([{"metric": "civilians_killed", "value": {"qualifier": "range", "low": 9, "high": 3}}]), 422,
        field="figures[0].value.low", says="exceeds"),
    Bad("unknown qualifier", fig, correction({"qualifier": "about", "number": 5}), 422, field="value.qualifier"),
    Bad("unknown vague term", fig, correction({"qualifier": "vague", "term": "scores"}), 422, field="value.term",
        says="no documented reading"),
    Bad("range given a number", fig, correction({"qualifier": "range", "number": 5}), 422, field="value.number"),
    Bad("count as text", fig, correction({"qualifier": "exact", "number": "5"}), 422, field="value.number"),
    Bad("count as a fraction", fig, correction({"qualifier": "exact", "number": 5.5}), 422, field="value.number"),
    Bad("count as true", fig, correction({"qualifier": "exact", "number": True}), 422, field="value.number"),
    Bad("absurd count", fig, correction({"qualifier": "exact", "number": 10**30}), 422, field="value.number"),
    Bad("value missing", fig, lambda w: {"reason": "r"}, 422, field="value", says="required"),
    Bad("correction that changes nothing", fig, correction({"qualifier": "at_least", "number": 108,
                                                            "quote": "killed at least 108 civilians"}), 422,
        field="value", says="already reads"),
    # vocabulary
    Bad("unknown metric", lambda w: "/reports", report([{"metric": "deaths", "value": COUNT}]), 422,
        field="figures[0].metric", says="'deaths' is not in the vocabulary; an officer defines it with POST /vocabulary"),
    Bad("unknown breakdown dimension", lambda w: "/reports",
        report([{"metric": "displaced", "breakdown": {"colour": "red"}, "value": COUNT}]), 422,
        field="figures[0].breakdown.colour"),
    Bad("breakdown value with a comma", lambda w: "/reports",
        report([{"metric": "displaced", "breakdown": {"place": "Idlib, Syria"}, "value": COUNT}]), 422,
        field="figures[0].breakdown.place"),
    Bad("breakdown value too long", lambda w: "/reports",
        report([{"metric": "displaced", "breakdown": {"place": "م" * 201}, "value": COUNT}]), 422,
        field="figures[0].breakdown.place"),
    Bad("unknown population", lambda w: "/reports",
        report([{"metric": "displaced", "population": "everyone", "value": COUNT}]), 422,
        field="figures[0].population", says="POST /vocabulary"),
    Bad("term defined twice", lambda w: "/vocabulary",
        lambda w: {"kind": "metric", "code": "killed", "definition": "d", "label_en": "l", "reason": "r"}, 422,
        field="code", says="already defined"),
    Bad("part of an unknown metric", lambda w: "/vocabulary",
        lambda w: {"kind": "metric", "code": "children_killed", "definition": "d", "label_en": "l",
                   "part_of": "kids", "reason": "r"}, 422, field="part_of", says="'kids' is not in the vocabulary"),
    Bad("coordinates off the globe", lambda w: "/vocabulary",
        lambda w: {"kind": "value", "dimension": "place", "code": "Idlib", "definition": "d", "label_en": "l",
                   "coordinates": [95, 36], "reason": "r"}, 422, field="coordinates", says="WGS84"),
    Bad("a P-code on a metric", lambda w: "/vocabulary",
        lambda w: {"kind": "metric", "code": "wounded", "definition": "d", "label_en": "l", "p_code": "SY07",
                   "reason": "r"}, 422, field="p_code"),
    Bad("a term without a reason", lambda w: "/vocabulary",
        lambda w: {"kind": "metric", "code": "wounded", "definition": "d", "label_en": "l"}, 422, field="reason"),
    Bad("a figure stated twice", lambda w: "/reports",
        report([{"metric": "displaced", "value": COUNT}, {"metric": "displaced", "value": COUNT}]), 422,
        field="figures", says="states each figure once"),
    Bad("grade outside the scale", lambda w: f"/figures/{w.figure}/grades",
        lambda w: {"grade": "excellent", "reason": "r"}, 422, field="grade", says="confirmed"),
    Bad("same grade again", lambda w: f"/figures/{w.figure}/grades",
        lambda w: {"grade": "unassessed", "reason": "r"}, 422, field="grade", says="already graded"),
    Bad("unknown source kind", lambda w: "/sources", lambda w: {"name": "x", "kind": "blog", "language": "en"},
        422, field="kind"),
    Bad("language not BCP 47", lambda w: "/sources", lambda w: {"name": "x", "kind": "other", "language": "Arabic"},
        422, field="language"),
    # reasons, text, dates, links
    Bad("missing reason", lambda w: f"/figures/{w.figure}/retractions", lambda w: {}, 422, field="reason",
        says="required"),
    Bad("blank reason", lambda w: f"/figures/{w.figure}/retractions", lambda w: {"reason": "   "}, 422,
        field="reason", says="must not be empty"),
    Bad("empty reason", lambda w: f"/citations/{w.public_citation}/withdrawals", lambda w: {"reason": ""}, 422,
        field="reason"),
    Bad("blank name", lambda w: "/sources", lambda w: {"name": " ", "kind": "other", "language": "en"}, 422,
        field="name", says="empty"),
    Bad("text with NUL", lambda w: "/incidents", lambda w: {"title": "a\x00b", "valid_from": "2019-01-01"}, 422,
        field="title", says="control character (U+0000)"),
    Bad("impossible date", lambda w: "/incidents", lambda w: {"title": "t", "valid_from": "2019-02-30"}, 422,
        field="valid_from", says="YYYY-MM-DD"),
    Bad("period ending before it starts", lambda w: "/incidents",
        lambda w: {"title": "t", "valid_from": "2019-05-01", "valid_to": "2019-04-01"}, 422, field="valid_from",
        says="is after"),
    Bad("missing start", lambda w: "/incidents", lambda w: {"title": "t"}, 422, field="valid_from"),
    Bad("not a web link", lambda w: "/sources",
        lambda w: {"name": "x", "kind": "other", "language": "en", "url": "ftp://x.org"}, 422, field="url"),
    Bad("citation with neither link nor quote", lambda w: "/citations",
        lambda w: {"target_id": w.figure, "source_id": w.public_source}, 422, field="url", says="URL or a quoted"),
    Bad("bad digest", lambda w: "/citations",
        lambda w: {"target_id": w.figure, "source_id": w.public_source, "url": "https://a.org", "sha256": "abc"},
        422, field="sha256"),
    Bad("withdrawn citation as evidence", fig, lambda w: {**correction()(w), "evidence": [w.protected_citation]},
        422, field="evidence", says="withdrawn"),
    Bad("protected as text", lambda w: f"/sources/{w.public_source}/protection",
        lambda w: {"protected": "yes", "reason": "r"}, 422, field="protected"),
    Bad("unknown field", lambda w: "/incidents", lambda w: {"title": "t", "valid_from": "2019-01-01", "colour": 1},
        422, field="colour", says="not part of the request"),
    Bad("body is a list", lambda w: "/incidents", lambda w: [{"title": "t"}], 422, field="body"),
    Bad("no body", lambda w: "/incidents", lambda w: None, 422, field="body", says="required"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input(shared: tuple[Api, World], case: Bad) -> None:
    api, world = shared  # nothing here records anything, so one world serves every case
    if case.name == "withdrawn citation as evidence":
        if not api.ledger.load(Citation, world.protected_citation).withdrawn:
            api.ledger.withdraw_citation("seed-officer", world.protected_citation, reason="gone")
    before = api.events()
    headers = {"If-Match": case.if_match} if case.if_match else {}
    response = api.client.post(case.path(world), json=case.body(world), headers={**api.headers(), **headers})
    body = assert_problem(response, case.status, field=case.field, says=case.says)
    if case.field:
        assert case.field in body["detail"]
    assert api.events() == before


def _raw(api: Api, path: str, content: bytes, content_type: str | None, **headers: str):
    h = {**api.headers(), "If-Match": '"2"', **headers}
    if content_type is not None:
        h["Content-Type"] = content_type
    return api.client.post(path, content=content, headers=h)


@pytest.mark.parametrize("content", [b'{"reason": ', b"{'reason': 'r'}", b'{"reason": "r",}', b'{"reason": NaN}',
                                     b'{"reason": "\\ud800"}', b"\xff\xfe"])
def test_malformed_json_is_400(api: Api, world: World, content: bytes) -> None:
    before = api.events()
    assert_problem(_raw(api, f"/figures/{world.figure}/retractions", content, "application/json"), 400,
                   says="not valid JSON")
    assert api.events() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          None])
def test_wrong_content_type_is_415(api: Api, world: World, content_type: str | None) -> None:
    before = api.events()
    response = _raw(api, f"/figures/{world.figure}/retractions", b'{"reason": "r"}', content_type)
    assert_problem(response, 415, says="application/json")
    assert api.events() == before
    ok = _raw(api, f"/figures/{world.figure}/retractions", b'{"reason": "r"}', "application/json; charset=utf-8")
    assert ok.status_code == 200


def test_oversized_body_is_413_before_parsing(api: Api, world: World) -> None:
    before = api.events()
    big = b'{"reason": "' + b"x" * (1024 * 1024) + b'"}'
    assert_problem(_raw(api, f"/figures/{world.figure}/retractions", big, "application/json"), 413, says="larger")

    def chunks():  # no Content-Length: refused while reading
        yield b'{"reason": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = api.client.post(f"/figures/{world.figure}/retractions", content=chunks(),
                               headers={**api.headers(), "If-Match": '"2"', "Content-Type": "application/json"})
    assert_problem(response, 413)
    # Invalid JSON that is also too large is refused for its size, unread.
    assert_problem(_raw(api, f"/figures/{world.figure}/retractions", b"{" * (2 * 1024 * 1024), "text/plain"), 413)
    assert api.events() == before


def test_routing_errors_are_problems(api: Api, world: World) -> None:
    assert_problem(api.get("/nowhere"), 404)
    response = api.client.delete(f"/figures/{world.figure}", headers=api.headers())
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]
    assert_problem(api.get(f"/figures/{world.figure}?version=0"), 422, field="version")
    # One bound for every version, read or expected (ledger/limits.py MAX_VERSION = 2^63 - 1).
    assert_problem(api.get(f"/figures/{world.figure}?version={2**63 - 1}"), 404, says="no version")
    for too_large in (2**63, 10**30):
        assert_problem(api.get(f"/figures/{world.figure}?version={too_large}"), 422, field="version")
    assert_problem(api.get(f"/figures/{uuid.uuid4()}"), 404, says="no figure")
    assert_problem(api.get("/sources/1234"), 422, field="source_id")


def test_a_bad_publication_cut_is_refused_on_a_report_of_no_figures(api: Api, world: World) -> None:
    """A report that states no figure reads none under a cut, and a bad cut must still be a 422
    (schemathesis found `published_by=null` answered 200 `[]` here)."""
    filed = api.post("/reports", {"source_id": world.public_source, "title": "A note, no counts", "language": "en"})
    assert filed.status_code == 201, filed.text
    path = f"/reports/{filed.json()['report_id']}/figures"
    assert api.get(f"{path}?published_by=2100-01-01", "reader").json() == []
    for bad in ("null", "2019-13-01", "soon"):
        assert_problem(api.get(f"{path}?published_by={bad}", "reader"), 422, field="published_by")


#: Times no read can hold (past datetime's range once in UTC, or at the end of their day, or a
#: microsecond on), and times the API never took: each a 422 naming its field, on every way in.
BAD_TIMES = {
    "as_of": ["9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59.999999Z", "2019-05-01T10:00:00",
              "1969-12-31T23:00:00Z", "soon", "9999-12-31", "2019-02-30", "2019-5-01"],
    "since": ["9999-12-31T23:59:59-12:00", "2019-05-01T10:00:00", "soon", "2019-02-30"],
    "until": ["9999-12-31T23:59:59-12:00", "1969-12-31T23:00:00Z", "1969-12-31"],
    "published_by": ["9999-12-31", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "garbage"],
}
API_TIMES = {"/tallies/civilians_killed": ("as_of", "published_by"), "/figures": ("as_of", "published_by"),
             "/tallies/civilians_killed/months": ("as_of", "published_by"),
             "/audit/log": ("since", "until")}
PAGE_TIMES = {"/": ("as_of", "published_by"), "/web/incidents": ("as_of", "published_by"),
              "/web/tallies/civilians_killed": ("as_of", "published_by"),
              "/web/audit": ("as_of", "since", "until", "published_by")}
HTML = {"Accept": "text/html"}


def _cases(routes: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    return [(path, field, value) for path, fields in routes.items() for field in fields for value in BAD_TIMES[field]]


@pytest.mark.parametrize(("path", "field", "value"), _cases(API_TIMES))
def test_a_time_no_read_can_hold_is_refused_naming_its_field(api: Api, path: str, field: str, value: str) -> None:
    assert_problem(api.client.get(path, params={field: value}, headers=api.headers("auditor")), 422, field=field)


@pytest.fixture(scope="module")
def pages(shared: tuple[Api, World]) -> Any:
    """A browser's client on the shared app (its own cookies), signed in as an auditor."""
    import re

    from fastapi.testclient import TestClient

    api = shared[0]
    client = TestClient(api.client.app, raise_server_exceptions=False)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/web/sign-in", headers=HTML).text).group(1)
    signed = client.post("/web/sign-in", data={"key": api.keys["auditor"], "csrf": csrf, "next": "/"}, headers=HTML,
                         follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return client


@pytest.mark.parametrize(("path", "field", "value"), _cases(PAGE_TIMES))
def test_a_page_refuses_the_times_the_api_refuses_naming_the_field(pages: Any, path: str, field: str,
                                                                   value: str) -> None:
    answer = pages.get(path, params={field: value}, headers=HTML)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html")
    assert f'role="alert">{field} ' in answer.text, answer.text


def _times() -> Any:
    """Text a query can carry (no lone surrogate: a URL cannot), times in any zone, and dates."""
    from datetime import timedelta, timezone

    from hypothesis import strategies as st

    zoned = st.builds(lambda at, minutes: at.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
                      st.datetimes(), st.integers(-1439, 1439))
    return st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=45), zoned,
                     st.datetimes().map(lambda at: at.isoformat()), st.dates().map(lambda day: day.isoformat()))


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_no_time_in_a_query_gets_a_5xx(api: Api, pages: Any) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    routes = [(path, field, False) for path, fields in API_TIMES.items() for field in fields] + [
        (path, field, True) for path, fields in PAGE_TIMES.items() for field in fields]
    before = api.events()

    @given(route=st.sampled_from(routes), value=_times())
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    def asked(route: tuple[str, str, bool], value: str) -> None:
        path, field, page = route
        answer = pages.get(path, params={field: value}, headers=HTML) if page else api.client.get(
            path, params={field: value}, headers=api.headers("auditor"))
        assert answer.status_code < 500, (path, field, value, answer.status_code, answer.text[:300])
        if answer.status_code == 422:
            if page:
                # "as_of must be ..." from the rule, "as_of: String should have ..." from the query's bounds
                assert f'role="alert">{field} ' in answer.text or f'role="alert">{field}: ' in answer.text
            else:
                assert answer.json()["field"] == field

    asked()
    assert api.events() == before
