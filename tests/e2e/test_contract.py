"""The HTTP contract around the routes: the text rule in every text field and query parameter,
methods (OPTIONS, HEAD, 405 with Allow) and one Authorization header, on both stores."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Api, World, assert_problem

UNFIT = ["a\x00b", "a\x1bb", "a\rb", "a\x85b"]


def _concrete(path: str, world: World) -> str:
    ids = {"source_id": world.public_source, "incident_id": world.incident, "report_id": world.public_report,
           "figure_id": world.figure, "citation_id": world.public_citation, "metric": "civilians_killed",
           "size": "1"}
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def _query_parameters(api: Api) -> list[tuple[str, str, str]]:
    schema = api.client.get("/openapi.json").json()
    return [(path, name, operation.get("security") and "x" or "")
            for path, methods in schema["paths"].items() for method, operation in methods.items()
            if method == "get"
            for name in (p["name"] for p in operation.get("parameters", []) if p["in"] == "query")]


def test_every_query_parameter_refuses_control_characters(shared: tuple[Api, World]) -> None:
    api, world = shared
    parameters = _query_parameters(api)
    assert len(parameters) > 40  # every query parameter of every route, not a sample
    for path, name, _ in parameters:
        role = "auditor" if path.startswith("/audit/") else "officer"
        for value in UNFIT[:2]:
            response = api.client.get(_concrete(path, world), params={name: value}, headers=api.headers(role))
            problem = assert_problem(response, 422)
            assert name in [e["field"] for e in problem.get("errors") or [problem]], (path, problem)


BODIES: list[tuple[str, Callable[[World], str], Callable[[World], dict[str, Any]], list[str]]] = [
    ("source", lambda w: "/sources", lambda w: {"name": "n", "name_en": "n", "kind": "other", "language": "en",
                                                "url": "https://a.org/x"}, ["name", "name_en", "url"]),
    ("incident", lambda w: "/incidents", lambda w: {"title": "t", "title_en": "t", "places": ["p"],
                                                    "valid_from": "2019-01-01", "description": "d"},
     ["title", "title_en", "places.0", "description"]),
    ("report", lambda w: "/reports", lambda w: {
        "source_id": w.public_source, "title": "t", "title_en": "t", "language": "en", "reference": "r",
        "places": ["p"], "figures": [{"incident_id": w.incident, "metric": "displaced",
                                      "value": {"qualifier": "exact", "number": 3, "quote": "q", "quote_en": "q"}}]},
     ["title", "title_en", "reference", "places.0", "figures.0.value.quote", "figures.0.value.quote_en"]),
    ("citation", lambda w: "/citations", lambda w: {"target_id": w.figure, "source_id": w.public_source,
                                                    "quote": "q", "quote_en": "q", "page": "p"},
     ["quote", "quote_en", "page"]),
    ("correction", lambda w: f"/figures/{w.figure}/corrections",
     lambda w: {"value": {"qualifier": "exact", "number": 7, "quote": "q"}, "reason": "r"}, ["reason", "value.quote"]),
    ("retraction", lambda w: f"/figures/{w.figure}/retractions", lambda w: {"reason": "r"}, ["reason"]),
    ("grade", lambda w: f"/figures/{w.figure}/grades", lambda w: {"grade": "fair", "reason": "r"}, ["reason"]),
    ("withdrawal", lambda w: f"/citations/{w.public_citation}/withdrawals", lambda w: {"reason": "r"}, ["reason"]),
    ("protection", lambda w: f"/sources/{w.spare_source}/protection", lambda w: {"protected": True, "reason": "r"},
     ["reason"]),
    ("period", lambda w: f"/incidents/{w.incident}/period-revisions",
     lambda w: {"valid_from": "2019-04-20", "reason": "r"}, ["reason"]),
]


def _set(body: dict[str, Any], path: str, value: str) -> None:
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if last.isdigit():
        node[int(last)] = value
    elif last == "url":
        node[last] = f"https://a.org/{value}"
    else:
        node[last] = value


@pytest.mark.parametrize(("name", "path", "body", "fields"), BODIES, ids=[b[0] for b in BODIES])
def test_every_body_text_field_refuses_control_characters(shared: tuple[Api, World], name: str, path: Any,
                                                          body: Any, fields: list[str]) -> None:
    api, world = shared
    before = api.events()
    for field in fields:
        for value in UNFIT:
            sent = body(world)
            _set(sent, field, value)
            response = api.post(path(world), sent, If_Match='"1"')
            expected = field.replace(".0.", "[0].").replace(".0", "[0]")
            problem = assert_problem(response, 422, field=expected)
            assert "U+" in problem["detail"] or field == "url", problem
    assert api.events() == before


def test_tab_and_newline_are_text(shared: tuple[Api, World]) -> None:
    api, _ = shared
    response = api.post("/incidents", {"title": "two\tcolumns\nand lines", "valid_from": "2019-01-01"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("path", ["/incidents", "/sources", "/reports", "/citations"])
def test_options_and_405_name_every_method_of_the_path(shared: tuple[Api, World], path: str) -> None:
    api, _ = shared
    get = "GET, HEAD, " if path != "/citations" else ""
    options = api.client.options(path)
    assert options.status_code == 204 and options.headers["allow"] == f"{get}POST, OPTIONS"
    refused = api.client.put(path, headers=api.headers())
    assert_problem(refused, 405)
    assert refused.headers["allow"] == options.headers["allow"]


def test_head_answers_as_get_without_a_body(shared: tuple[Api, World]) -> None:
    api, world = shared
    for path in ("/health", f"/figures/{world.figure}", "/tallies/civilians_killed", "/incidents"):
        get, head = api.get(path), api.client.head(path, headers=api.headers())
        assert get.status_code == head.status_code == 200, (path, head.status_code)
        assert head.content == b"" and head.headers.get("etag") == get.headers.get("etag")
    refused = api.client.head(f"/figures/{world.figure}/corrections", headers=api.headers())
    assert refused.status_code == 405 and refused.headers["allow"] == "POST, OPTIONS" and refused.content == b""
    assert_problem(api.client.options("/nowhere"), 404)


@pytest.mark.parametrize("path", ["/health", "/incidents", "/tallies/civilians_killed", "/audit/checkpoints/latest"])
def test_two_authorization_headers_are_refused(shared: tuple[Api, World], path: str) -> None:
    api, _ = shared
    good = f"Bearer {api.keys['officer']}"
    for pair in ((good, good), (good, f"Bearer {api.keys['auditor']}"), ("Bearer nope", good)):
        for _ in range(2):  # the second time round a kept answer would be served, were the rule not first
            headers = [("Authorization", pair[0]), ("Authorization", pair[1])]
            assert_problem(api.client.get(path, headers=headers), 400, field="Authorization")
    before = api.events()
    response = api.client.post("/incidents", json={"title": "t", "valid_from": "2019-01-01"},
                               headers=[("Authorization", good), ("Authorization", good)])
    assert_problem(response, 400, field="Authorization")
    assert api.events() == before
