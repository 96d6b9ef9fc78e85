"""``GET /tallies/{metric}/months``: a tally month by month of valid time, each month the
windowed tally of that month; the same file from the API, the count's web page and ``ledger export``."""

from __future__ import annotations

import calendar

import orjson
import pytest

from api.cli import main
from tests.e2e.web.test_pages import HTML, sign_in

MONTHS = "/tallies/civilians_killed/months"


@pytest.fixture
def world(cli_world):
    return cli_world


def test_each_month_is_the_tally_with_that_month_as_its_window(api, world):
    answer = api.get(f"{MONTHS}?months_from=2019-03&months_to=2019-06", role="reader")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [m["month"] for m in body["months"]] == ["2019-03", "2019-04", "2019-05", "2019-06"]
    assert body["metric"] == "civilians_killed" and body["population"] == "counted"
    for month in body["months"]:
        year, number = int(month["month"][:4]), int(month["month"][5:])
        first, last = f"{month['month']}-01", f"{month['month']}-{calendar.monthrange(year, number)[1]:02d}"
        assert (month["valid_from"], month["valid_to"]) == (first, last)
        windowed = api.get(f"/tallies/civilians_killed?valid_from={first}&valid_to={last}", role="reader").json()["sum"]
        assert {k: month[k] for k in ("low", "high", "kind", "figures")} == {
            k: windowed[k] for k in ("low", "high", "kind", "figures")}, month
    assert {m["kind"] for m in body["months"]} - {"no_data"}, "the world's incident is in one of these months"
    assert body["months"][0]["kind"] == "no_data"  # March 2019: before the incident, never zero


def test_without_months_the_latest_year_the_incidents_cover(api, world):
    months = api.get(MONTHS, role="reader").json()["months"]
    assert 1 <= len(months) <= 12 and months[-1]["kind"] != "no_data"


@pytest.mark.parametrize("query, field", [("months_from=2019-13", "months_from"), ("months_to=May", "months_to"),
                                          ("months_from=2019-06&months_to=2019-01", "months_from")])
def test_a_bad_month_is_refused_naming_it(api, world, query, field):
    refused = api.get(f"{MONTHS}?{query}", role="reader")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert field in refused.text


def test_the_page_download_and_ledger_export_are_the_apis_file(api, world, tmp_path):
    asked = "months_from=2019-01&months_to=2019-12"
    for fmt in ("csv", "hxl", "ndjson"):
        theirs = api.get(f"{MONTHS}?{asked}&format={fmt}", role="reader")
        assert theirs.status_code == 200, theirs.text
        out = tmp_path / f"months.{fmt}"
        assert main(["export", "tally-months", "civilians_killed", "--months-from", "2019-01", "--months-to",
                     "2019-12", "--format", fmt, "--out", str(out)]) == 0
        assert out.read_bytes() == theirs.content, fmt
        sign_in(api, "reader")
        page = api.client.get(f"/web/tallies/civilians_killed/months/download?{asked}&format={fmt}"
                              if fmt != "ndjson" else f"/web/tallies/civilians_killed?{asked}", headers=HTML)
        if fmt != "ndjson":
            assert page.content == theirs.content, fmt
    lines = [orjson.loads(line) for line in (tmp_path / "months.ndjson").read_bytes().splitlines()]
    assert [line["month"] for line in lines[1:]] == [f"2019-{m:02d}" for m in range(1, 13)]
    assert main(["export", "figures", "--months-from", "2019-01"]) == 2  # a month applies to tally-months only
    assert main(["export", "tally-months", "civilians_killed", "--months-to", "2019-14"]) == 2
