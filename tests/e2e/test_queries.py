"""The query routes over the projections: tallies, checks, spreads, histories, as-of, listings."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from tests.e2e.conftest import MARK, Api, World, assert_problem

KILLED = "/tallies/civilians_killed"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def test_a_tally_sees_a_correction_at_once_and_as_of_sees_before_it(api: Api, world: World) -> None:
    before = api.get(KILLED, "reader").json()
    # The public claim (at least 108) is the figure's value; the protected one (112) is not adopted.
    assert (before["sum"]["low"], before["sum"]["high"], before["sum"]["kind"]) == (108, None, "lower_bound")
    assert before["sum"]["figure_ids"] is None and before["from_parts"] is None  # the lists are opt-in
    assert api.get(f"{KILLED}?figure_ids=true", "reader").json()["sum"]["figure_ids"] == [world.figure]
    moment = _now()
    time.sleep(0.01)
    corrected = api.post(f"/figures/{world.figure}/corrections",
                         {"value": {"qualifier": "range", "low": 110, "high": 115}, "reason": "hospital lists"},
                         If_Match='"2"')
    assert corrected.status_code == 200
    after = api.get(KILLED, "reader").json()
    assert (after["sum"]["low"], after["sum"]["high"], after["sum"]["kind"]) == (110, 115, "range")
    then = api.get(f"{KILLED}?as_of={moment}", "reader").json()
    assert (then["sum"]["low"], then["sum"]["high"]) == (108, None)
    assert then["as_of"] is not None

    history = api.get(f"{KILLED}/history", "reader").json()
    assert [(p["low"], p["high"]) for p in history["points"]] == [(108, None), (110, 115)]
    assert history["points"][-1]["moved_by"][0]["event"] == "corrected"


def test_tally_filters(api: Api, world: World) -> None:
    assert api.get(f"{KILLED}?valid_from=2018-01-01&valid_to=2018-12-31").json()["sum"]["kind"] == "no_data"
    assert api.get(f"{KILLED}?valid_from=2019-05-01").json()["sum"]["low"] == 108  # the period is open-ended
    assert api.get(f"{KILLED}?place=idlib").json()["sum"]["low"] == 108
    assert api.get(f"{KILLED}?place=Aleppo").json()["sum"]["kind"] == "no_data"
    api.post("/reports", {"source_id": world.public_source, "title": "By perpetrator", "language": "en", "figures": [
        {"incident_id": world.incident, "metric": "civilians_killed", "breakdown": {"perpetrator": "syrian-regime"},
         "value": {"qualifier": "at_least", "number": 71}},
        {"incident_id": world.incident, "metric": "civilians_killed", "breakdown": {"perpetrator": "russian-forces"},
         "value": {"qualifier": "at_least", "number": 37}},
    ]})
    by = api.get(f"{KILLED}?by=perpetrator", "reader").json()
    assert {g["value"]: g["low"] for g in by["groups"]} == {"russian-forces": 37, "syrian-regime": 71}
    checks = api.get("/checks?metric=civilians_killed", "reader").json()
    assert [(c["dimension"], c["status"], c["parts_low"]) for c in checks] == [("perpetrator", "complete", 108)]


def test_checks_page_by_incident_and_the_pages_make_the_whole_list(api: Api, world: World) -> None:
    for title in ("Shelling of Kafr Nabl", "Shelling of Maarat"):
        incident = api.post("/incidents", {"title": title, "places": ["Idlib"], "valid_from": "2019-05-02"}).json()
        api.post("/reports", {"source_id": world.public_source, "title": title, "language": "en", "figures": [
            {"incident_id": incident["incident_id"], "metric": "civilians_killed", "breakdown": breakdown,
             "value": {"qualifier": "exact", "number": number}}
            for breakdown, number in (({}, 20), ({"perpetrator": "syrian-regime"}, 25))]})
    whole = api.get("/checks", "reader").json()
    assert isinstance(whole, list) and len({c["incident_id"] for c in whole}) == 2  # unpaged: the list, as before
    pages, cursor = [], None
    while True:
        page = api.get("/checks?limit=1" + (f"&cursor={cursor}" if cursor else ""), "reader").json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(pages) == 3  # the world's own incident has no parts: its page is empty
    assert [c for p in pages for c in p] == sorted(whole, key=lambda c: c["incident_id"])
    assert all(len({c["incident_id"] for c in p}) <= 1 for p in pages)
    assert [c["status"] for c in whole] == ["inconsistent", "inconsistent"]


def test_spread_and_history_withhold_the_protected_source(api: Api, world: World) -> None:
    correction = {"value": {"qualifier": "exact", "number": 112}, "reason": "the witness list",
                  "evidence": [world.protected_citation]}
    assert api.post(f"/figures/{world.figure}/corrections", correction, If_Match='"2"').status_code == 200
    for role in ("reader", "officer"):
        spread = api.get(f"/figures/{world.figure}/spread", role)
        assert spread.status_code == 200, spread.text
        sources = [c["source"] for c in spread.json()["claims"]]
        assert "protected" in sources and spread.json()["range"]["sources"] == 2
        history = api.get(f"/figures/{world.figure}/history", role)
        assert history.status_code == 200, history.text
        versions = history.json()["versions"]
        assert [v["event"] for v in versions] == ["stated", "claimed", "corrected"]
        assert versions[-1]["evidence"] == ["protected"] and versions[-1]["reason"] == "the witness list"
        citations = api.get(f"/figures/{world.figure}/citations", role).json()
        assert citations[1]["source"] == "protected" and citations[1]["withdrawn"] is False
        for response in (spread, history, api.get(f"/figures/{world.figure}/citations", role)):
            for marker in world.protected_markers():
                assert marker not in response.text, (role, marker)
    # An auditor sees who.
    audited = api.get(f"/figures/{world.figure}/history", "auditor").json()
    assert audited["versions"][-1]["evidence"] == [world.protected_citation]
    assert audited["versions"][-1]["actor"] == "officer-1"
    spread = api.get(f"/figures/{world.figure}/spread", "auditor").json()
    assert {c["source"]["source_id"] for c in spread["claims"]} == {world.public_source, world.protected_source}


def test_a_figure_history_is_sent_as_its_response_model_gives_it(api: Api, world: World) -> None:
    # The route sends the reads' own rendering, not the model's dump of it: the two must agree,
    # withheld citations (every field but when null) and all, for each caller and page.
    from api.query_models import FigureHistory

    correction = {"value": {"qualifier": "exact", "number": 112}, "reason": "the witness list",
                  "evidence": [world.protected_citation]}
    assert api.post(f"/figures/{world.figure}/corrections", correction, If_Match='"2"').status_code == 200
    for role in ("reader", "auditor"):
        for query in ("", "?limit=1", "?limit=2"):
            answer = api.get(f"/figures/{world.figure}/history{query}", role)
            assert answer.status_code == 200 and answer.headers["content-type"] == "application/json", answer.text
            body = answer.json()
            assert body == FigureHistory.model_validate(body).model_dump(mode="json"), (role, query)
        page = api.get(f"/figures/{world.figure}/history", role).json()
        cited = [page["citations"][n] for n in page["versions"][-1]["citations"]]
        assert any(c["source"] == "protected" for c in cited) == (role == "reader")


def test_a_figure_history_page_lists_each_citation_once(api: Api, world: World) -> None:
    # A hot figure's page repeated every live citation in every version (645 KB a page at the
    # median at 100k events); the page now lists each once and its versions name theirs by position.
    for n, version in ((112, 2), (113, 3)):
        correction = {"value": {"qualifier": "exact", "number": n}, "reason": "recount"}
        assert api.post(f"/figures/{world.figure}/corrections", correction, If_Match=f'"{version}"').status_code == 200
    for role in ("reader", "auditor"):
        page = api.get(f"/figures/{world.figure}/history", role).json()
        listed = page["citations"]
        seen = [(c["cited_at"], c.get("citation_id")) for c in listed]
        assert len(seen) == len(set(seen)) >= 2 and seen == sorted(seen, key=lambda s: s[0])
        positions = [n for v in page["versions"] for n in v["citations"]]
        assert all(isinstance(n, int) and 0 <= n < len(listed) for n in positions)
        assert len(positions) > len(listed)  # the same citations live on several versions, listed once
        assert page["versions"][-1]["citations"] == list(range(len(listed)))
    # A page with no versions (before the figure was recorded) has the list too, empty (schemathesis found it missing).
    empty = api.get(f"/figures/{world.figure}/history?as_of=2000-01-01T00:00:00Z", "reader").json()
    assert empty["versions"] == [] and empty["citations"] == [] and empty["state"] == "not_yet_recorded"


def test_a_protected_report_and_its_citations_answer_404_to_non_auditors(api: Api, world: World) -> None:
    path = f"/reports/{world.protected_report}/citations"
    hidden = api.get(path, "reader")
    unknown = api.get("/reports/3f0c1d9e-5b7a-4c2e-9d41-8a6b2e0f7c13/citations", "reader")
    assert_problem(hidden, 404)
    assert hidden.json() == unknown.json()
    assert MARK in api.get(path, "auditor").text
    listing = api.get("/reports", "reader").json()
    assert [r["report_id"] for r in listing["items"]] == [world.public_report]
    assert len(api.get("/reports", "auditor").json()["items"]) == 2
    listed = [s["source_id"] for s in api.get("/sources", "reader").json()["items"]]
    assert listed == sorted([world.public_source, world.spare_source])
    assert len(api.get("/sources", "auditor").json()["items"]) == 3


@pytest.mark.parametrize("kind", ["incidents", "figures", "sources"])
def test_listings_page_with_cursors(api: Api, world: World, kind: str) -> None:
    for n in range(5):
        source = api.post("/sources", {"name": f"Network {n}", "kind": "monitoring_network", "language": "en"})
        incident = api.post("/incidents", {"title": f"Strike {n}", "valid_from": f"2019-06-0{n + 1}"})
        api.post("/reports", {"source_id": source.json()["source_id"], "title": f"Report {n}", "language": "en",
                              "figures": [{"incident_id": incident.json()["incident_id"], "metric": "displaced",
                                           "value": {"qualifier": "exact", "number": 100 * (n + 1)}}]})
    everything = api.get(f"/{kind}?limit=500", "reader").json()
    assert everything["next_cursor"] is None
    seen, cursor, pages = [], None, 0
    while True:
        page = api.get(f"/{kind}?limit=2" + (f"&cursor={cursor}" if cursor else ""), "reader").json()
        pages += 1
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything["items"] and len(seen) == len({str(i) for i in seen}) and pages == -(-len(seen) // 2)
    id_field = {"incidents": "incident_id", "figures": "figure_id", "sources": "source_id"}[kind]
    ids = [item[id_field] for item in seen]
    assert ids == sorted(ids)


@pytest.mark.parametrize(("query", "field"), [
    ("/tallies/deaths", "metric"),
    (f"{KILLED}?by=colour", "by"),
    (f"{KILLED}?as_of=2019-05-01T10:00:00", "as_of"),
    (f"{KILLED}?as_of=yesterday", "as_of"),
    (f"{KILLED}?valid_from=2019-06-01&valid_to=2019-05-01", "valid_from"),
    (f"{KILLED}?valid_from=2019-02-30", "valid_from"),
    ("/figures?limit=0", "limit"),
    ("/figures?limit=501", "limit"),
    ("/figures?cursor=not-a-cursor", "cursor"),
    ("/incidents?cursor=WyJmaWd1cmVzIiwiYSJd", "cursor"),  # a figures cursor
    ("/figures?status=pending", "status"),
    ("/checks?incident_id=12", "incident_id"),
    ("/checks?limit=0", "limit"),
    ("/checks?cursor=WyJmaWd1cmVzIiwiYSJd", "cursor"),  # a figures cursor
])
def test_bad_queries_are_422_naming_the_parameter(api: Api, world: World, query: str, field: str) -> None:
    assert_problem(api.get(query, "reader"), 422, field=field)


def test_unknown_figure_history_and_spread_are_404(api: Api) -> None:
    for path in ("history", "spread", "citations"):
        assert_problem(api.get(f"/figures/3f0c1d9e-5b7a-4c2e-9d41-8a6b2e0f7c13/{path}", "reader"), 404)


def test_without_the_read_side_queries_answer_503(store) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(store, read_side=False)
    key, _ = app.state.ledger.issue_key("test-admin", owner="reader-1", role="reader")
    with TestClient(app) as client:
        response = client.get(KILLED, headers={"Authorization": f"Bearer {key}"})
    assert_problem(response, 503)


def test_an_unknown_query_parameter_is_refused(api: Api, world: World) -> None:
    body = assert_problem(api.get(f"{KILLED}?valid_form=2019-05-01", "reader"), 422, field="valid_form")
    assert "valid_from" in body["detail"]
    # A by-id read takes as_of now (tests/e2e/test_by_id_as_of.py), and still no misspelling of it.
    assert_problem(api.get(f"/figures/{world.figure}?asof=2019-05-01T00:00:00Z", "reader"), 422, field="asof")


def test_a_long_figure_history_reads_to_its_last_version_a_page_at_a_time(api: Api, world: World) -> None:
    # 250 versions beyond the first two: each correction writes one.
    for n in range(250):
        api.ledger.correct_figure("seed-officer", world.figure, reason="recount",
                                  value={"qualifier": "exact", "number": 200 + n})
    expected = api.get(f"/figures/{world.figure}", "reader").json()["version"]
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/figures/{world.figure}/history?limit=100" + ("" if cursor is None else f"&cursor={cursor}")
        response = api.get(url, "reader")
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [v["version"] for v in body["versions"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, expected + 1)) and expected == 252
    assert pages == 3
    assert body["versions"][-1]["value"]["number"] == 449


def test_a_figure_history_refuses_a_cursor_it_did_not_give(api: Api, world: World) -> None:
    listing = api.get("/figures?limit=1", "reader").json()["next_cursor"]
    for bad in ("nonsense", listing or "x", "WyJmaWd1cmVfaGlzdG9yeSIsImFiYyJd"):  # the last: right kind, bad key
        assert_problem(api.get(f"/figures/{world.figure}/history?cursor={bad}", "reader"), 422, field="cursor")
