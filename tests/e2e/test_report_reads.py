"""Reads of what reports say, through the API: tallies that hold approximate counts, the tally
source by source, one meaning of `sum`, answers as of before a record existed, tally history pages."""

from __future__ import annotations

import csv
import io
import re

from tests.e2e.conftest import MARK, Api, World, assert_problem

KILLED = "/tallies/civilians_killed"


def _file(api: Api, world: World, *figures: dict, source: str | None = None) -> dict:
    response = api.post("/reports", {"source_id": source or world.spare_source, "title": "Council list",
                                     "language": "ar", "figures": list(figures)})
    assert response.status_code == 201, response.text
    return response.json()


def _figure(world: World, value: dict, **extra) -> dict:
    return {"incident_id": world.incident, "metric": "civilians_killed", "value": value, **extra}


ABOUT_40 = {"qualifier": "approximate", "number": 40, "term": "about", "quote": "نحو 40 مدنياً"}


def test_the_tally_by_source_sums_each_sources_own_claims(api: Api, world: World) -> None:
    for role in ("reader", "officer"):
        answer = api.get(f"{KILLED}/by-source", role)
        assert answer.status_code == 200, answer.text
        assert MARK not in answer.text and world.protected_source not in answer.text
        sources = answer.json()["sources"]
        # The public source by name, then the protected one, unnamed: each with what it said.
        assert [(s["source"] if s["source"] == "protected" else s["source"]["source_id"], s["low"], s["high"],
                 s["kind"], s["superseded"]) for s in sources] == [
            (world.public_source, 108, None, "lower_bound", 0), ("protected", 112, 112, "exact", 0)]
    audited = api.get(f"{KILLED}/by-source", "auditor").json()["sources"]
    assert [s["source"]["source_id"] for s in audited] == sorted(
        [world.public_source, world.protected_source],
        key=lambda s: {world.public_source: "SNHR", world.protected_source: f"{MARK} cell"}[s])
    _file(api, world, _figure(world, {"qualifier": "at_least", "number": 71}, breakdown={"perpetrator": "syrian-regime"}),
          source=world.public_source)
    split = api.get(f"{KILLED}/by-source?breakdown=perpetrator:syrian-regime", "reader").json()
    assert split["breakdown"] == {"perpetrator": "syrian-regime"}
    assert [(s["low"], s["figures"]) for s in split["sources"]] == [(71, 1)]


def test_the_tally_by_source_refuses_a_breakdown_it_cannot_read(api: Api, world: World) -> None:
    assert_problem(api.get(f"{KILLED}/by-source?breakdown=perpetrator", "reader"), 422, field="breakdown")
    assert_problem(api.get(f"{KILLED}/by-source?breakdown=perpetrator:a,perpetrator:b", "reader"), 422,
                   field="breakdown")
    assert_problem(api.get(f"{KILLED}/by-source?breakdown=colour:red", "reader"), 422, field="breakdown.colour")
    assert_problem(api.get("/tallies/deaths/by-source", "reader"), 422)


def test_a_tally_that_holds_an_approximate_count_says_so(api: Api, world: World) -> None:
    plain = api.get(KILLED, "reader").json()["sum"]
    assert (plain["approximate"], plain["approximate_figures"]) == (False, 0)
    incident = api.post("/incidents", {"title": "Market strike", "places": ["Maarat al-Numan"],
                                       "valid_from": "2019-07-22"}).json()["incident_id"]
    filed = _file(api, world, {"incident_id": incident, "metric": "civilians_killed", "value": ABOUT_40},
                  {"incident_id": incident, "metric": "civilians_killed", "breakdown": {"perpetrator": "russian-forces"},
                   "value": ABOUT_40})
    total = api.get(KILLED, "reader").json()["sum"]
    assert (total["low"], total["high"], total["approximate"], total["approximate_figures"]) == (144, None, True, 1)
    by = api.get(f"{KILLED}?by=perpetrator", "reader").json()
    assert [(g["value"], g["low"], g["high"], g["approximate"]) for g in by["groups"]] == [
        ("russian-forces", 36, 44, True)]
    # The same from the figures (a window): one rule, whichever path answers.
    windowed = api.get(f"{KILLED}?valid_from=2019-01-01", "reader").json()["sum"]
    assert (windowed["approximate"], windowed["approximate_figures"]) == (True, 1)
    history = api.get(f"{KILLED}/history", "reader").json()["points"]
    assert [(p["low"], p["approximate"]) for p in history] == [(108, False), (144, True)]
    # Exports say it too: how many approximate figures each row holds.
    for path in (f"{KILLED}?format=csv", f"{KILLED}/history?format=csv"):
        rows = list(csv.reader(io.StringIO(api.get(path, "reader").text)))
        assert [r[rows[0].index("approximate_figures")] for r in rows[1:]][-1] == "1", path
    # Once the figure is read exactly, the tally stops saying so.
    total_id = filed["figures"][0]["figure_id"]
    corrected = api.post(f"/figures/{total_id}/corrections",
                         {"value": {"qualifier": "exact", "number": 42}, "reason": "the hospital's list"},
                         If_Match='"1"')
    assert corrected.status_code == 200, corrected.text
    now = api.get(KILLED, "reader").json()["sum"]
    assert (now["low"], now["approximate"], now["approximate_figures"]) == (150, False, 0)
    assert api.get(f"{KILLED}/history", "reader").json()["points"][-1]["approximate"] is False


def test_sum_is_the_total_with_or_without_by_and_the_groups_add_up_to_groups_sum(api: Api, world: World) -> None:
    # The total is 108; a source splits only 71 of them by perpetrator.
    _file(api, world, _figure(world, {"qualifier": "at_least", "number": 71}, breakdown={"perpetrator": "syrian-regime"}),
          source=world.public_source)
    for query in ("", "&figure_ids=true", "&valid_from=2019-01-01"):  # the running tallies and the figures agree
        plain = api.get(f"{KILLED}?{query}", "reader").json()
        by = api.get(f"{KILLED}?by=perpetrator{query}", "reader").json()
        assert by["sum"] == plain["sum"] and (by["sum"]["low"], by["sum"]["high"]) == (108, None), query
        assert plain["groups_sum"] is None
        assert (by["groups_sum"]["low"], by["groups_sum"]["figures"]) == (71, 1), query
    points = api.get(f"{KILLED}/history?by=perpetrator", "reader").json()["points"]
    assert [(p["low"], [g["low"] for g in p["groups"]]) for p in points] == [(108, []), (108, [71])]


BEFORE = "2000-01-01T00:00:00Z"  # before anything in the test ledger was recorded
UNKNOWN = "00000000-0000-4000-8000-00000000abcd"


def test_as_of_before_a_record_existed_answers_what_the_ledger_said_then(api: Api, world: World) -> None:
    api.ledger.cite("seed-officer", target_id=world.public_report, source_id=world.public_source,
                    url="https://snhr.org/r/1")
    history = api.get(f"/figures/{world.figure}/history?as_of={BEFORE}", "reader")
    assert history.status_code == 200, history.text
    body = history.json()
    assert (body["state"], body["versions"], body["next_cursor"], body["metric"]) == (
        "not_yet_recorded", [], None, "civilians_killed")
    assert api.get(f"/figures/{world.figure}/history", "reader").json()["state"] == "recorded"
    spread = api.get(f"/figures/{world.figure}/spread?as_of={BEFORE}", "reader").json()
    assert (spread["state"], spread["current"], spread["claims"], spread["range"]["sources"]) == (
        "not_yet_recorded", None, [], 0)
    assert api.get(f"/figures/{world.figure}/spread", "reader").json()["state"] == "recorded"
    for path in (f"/figures/{world.figure}/citations", f"/reports/{world.public_report}/citations"):
        then = api.get(f"{path}?as_of={BEFORE}", "reader")
        assert (then.status_code, then.json()) == (200, []), path
        assert len(api.get(path, "reader").json()) >= 1, path


def test_an_id_never_recorded_or_protected_stays_a_404_whatever_the_time(api: Api, world: World) -> None:
    for path in ("/figures/{}/history", "/figures/{}/spread", "/figures/{}/citations"):
        for query in ("", f"?as_of={BEFORE}"):
            assert_problem(api.get(path.format(UNKNOWN) + query, "reader"), 404)
    for role in ("reader", "officer"):
        for query in ("", f"?as_of={BEFORE}"):
            hidden = api.get(f"/reports/{world.protected_report}/citations{query}", role)
            unknown = api.get(f"/reports/{UNKNOWN}/citations{query}", role)
            assert hidden.status_code == unknown.status_code == 404
            # Byte for byte the same answer, once the id asked is set aside.
            assert hidden.text.replace(world.protected_report, UNKNOWN) == unknown.text
            assert dict(hidden.headers) == dict(unknown.headers) | {"content-length": hidden.headers["content-length"]}
    assert api.get(f"/reports/{world.protected_report}/citations?as_of={BEFORE}", "auditor").json() == []


def _all_points(api: Api, url: str, limit: int) -> tuple[list[dict], int]:
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get(f"{url}{'&' if '?' in url else '?'}limit={limit}" + ("" if cursor is None else f"&cursor={cursor}"),
                           "reader")
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["points"]) <= limit
        seen += body["points"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_a_tally_history_reads_to_its_last_point_a_page_at_a_time(api: Api, world: World) -> None:
    for n in range(24):  # each correction moves the tally: 25 points in all
        api.ledger.correct_figure("seed-officer", world.figure, reason="recount",
                                  value={"qualifier": "exact", "number": 200 + n})
    for url in (f"{KILLED}/history", f"{KILLED}/history?by=perpetrator", f"{KILLED}/history?valid_from=2019-01-01"):
        whole = api.get(f"{url}{'&' if '?' in url else '?'}limit=500", "reader").json()
        assert whole["next_cursor"] is None and len(whole["points"]) == 25, url
        paged, pages = _all_points(api, url, 10)
        assert paged == whole["points"] and pages == 3, url
        assert paged[-1]["low"] == 223
    assert len(api.get(f"{KILLED}/history", "reader").json()["points"]) == 25  # 100 a page unless asked
    listing = api.get("/figures?limit=1", "reader").json()["next_cursor"]
    for bad in ("nonsense", listing, "WyJ0YWxseV9oaXN0b3J5IiwiMjAxOSJd"):  # the last: right kind, not a point's time
        assert_problem(api.get(f"{KILLED}/history?cursor={bad}", "reader"), 422, field="cursor")


def _checked_incident(api: Api, world: World, total: dict, *parts: tuple[str, int]) -> tuple[str, list[dict]]:
    incident = api.post("/incidents", {"title": "Ministry count", "places": ["Gaza"],
                                       "valid_from": "2024-05-01"}).json()["incident_id"]
    filed = _file(api, world, {"incident_id": incident, "metric": "civilians_killed", "value": total},
                  *({"incident_id": incident, "metric": "civilians_killed", "breakdown": {"victim_group": group},
                     "value": {"qualifier": "exact", "number": n}} for group, n in parts))
    answer = api.get(f"/checks?incident_id={incident}", "reader")
    assert answer.status_code == 200, answer.text
    return filed["figures"][0]["figure_id"], answer.json()


def test_a_check_against_an_approximate_total_says_its_remainder_is_approximate(api: Api, world: World) -> None:
    about = {"qualifier": "approximate", "number": 35173, "term": "about", "quote": "نحو 35,173"}
    total_id, (check,) = _checked_incident(api, world, about, ("children", 14000), ("women", 9000))
    # "About 35,173" reads 31,655 to 38,691: the remainder is the ledger's reading, and says so.
    assert (check["status"], check["remainder"], check["total"]["approximate"]) == (
        "remainder", {"low": 8655, "high": 15691}, True)
    assert [(p["value"], p["approximate"]) for p in check["parts"]] == [("children", False), ("women", False)]
    spread = api.get(f"/figures/{total_id}/spread", "reader").json()
    assert (spread["range"]["approximate"], spread["live_range"]["approximate"]) == (True, True)
    rows = list(csv.DictReader(io.StringIO(api.get(f"/checks?format=csv&incident_id={check['incident_id']}",
                                                   "reader").text)))
    assert [(r["total_approximate"], r["parts_approximate"]) for r in rows] == [("1", "0")]
    claims = list(csv.DictReader(io.StringIO(api.get(f"/figures/{total_id}/spread?format=csv", "reader").text)))
    assert [c["approximate"] for c in claims] == ["1"]
    # The checks table on the pages marks the approximate total, and only it.
    page = _checks_page(api)
    row = next(r for r in page.split("<tr ")[1:] if total_id in r)
    assert row.count('class="approximate"') == 1


def _checks_page(api: Api) -> str:
    html = {"accept": "text/html"}
    api.client.cookies.clear()
    token = re.compile(r'name="csrf" value="([^"]+)"')
    form = api.client.get("/web/sign-in", headers=html)
    api.client.post("/web/sign-in", data={"key": api.keys["reader"], "csrf": token.search(form.text).group(1),
                                          "next": "/"}, headers=html, follow_redirects=False)
    page = api.client.get("/web/checks", headers=html)
    api.client.cookies.clear()
    assert page.status_code == 200, page.text
    return page.text


def test_a_check_of_exact_counts_says_nothing_is_approximate(api: Api, world: World) -> None:
    exact = {"qualifier": "exact", "number": 35173}
    total_id, (check,) = _checked_incident(api, world, exact, ("children", 14000), ("women", 9000))
    assert (check["status"], check["remainder"], check["total"]["approximate"]) == (
        "remainder", {"low": 12173, "high": 12173}, False)
    assert not any(p["approximate"] for p in check["parts"])
    spread = api.get(f"/figures/{total_id}/spread", "reader").json()
    assert (spread["range"]["approximate"], spread["live_range"]["approximate"]) == (False, False)
