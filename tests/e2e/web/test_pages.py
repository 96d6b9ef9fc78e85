"""The web pages through the app in-process (no browser): JSON clients unchanged, sessions
follow the key, forms record once and refuse with the API's words next to the field."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from api.web.i18n import Language
from tests.e2e.conftest import MARK, count_events

HTML = {"Accept": "text/html"}


def _csrf(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def sign_in(api, role: str) -> str:
    """Sign the test client in; the CSRF token of the new session."""
    api.client.cookies.clear()
    page = api.client.get("/web/sign-in", headers=HTML)
    answer = api.client.post("/web/sign-in", data={"key": api.keys[role], "csrf": _csrf(page.text), "next": "/"},
                             headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return _csrf(api.client.get("/", headers=HTML).text)


def test_json_clients_keep_their_answers(api):
    answer = api.client.get("/")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/health").json()["status"] == "ok"
    docs = api.client.get("/docs/try")
    assert docs.status_code == 200 and "/web/static/vendor/rapidoc/rapidoc-min.js" in docs.text
    assert "default-src 'self'" in docs.headers["content-security-policy"]
    assert "unsafe-inline" not in api.client.get("/docs").headers["content-security-policy"]  # RapiDoc's alone
    assert api.client.get("/web/static/vendor/uplot/uPlot.iife.min.js").status_code == 200
    bundle = api.client.get("/web/static/vendor/rapidoc/rapidoc-min.js", headers={"Accept-Encoding": "gzip"})
    assert bundle.headers["content-encoding"] == "gzip"  # static files go compressed; pages do not (BREACH)
    page = api.client.get("/web/sign-in", headers={"Accept-Encoding": "gzip", **HTML})
    assert "content-encoding" not in page.headers  # it holds a CSRF token
    reference = api.client.get("/docs", headers={"Accept-Encoding": "gzip"})  # holds no secret: no session read
    assert reference.headers["content-encoding"] == "gzip" and 'name="csrf"' not in reference.text


def test_a_page_without_a_session_asks_to_sign_in(api):
    answer = api.client.get("/web/incidents", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/web/sign-in?next=")


def test_a_revoked_key_ends_its_session(api):
    key, info = api.ledger.issue_key("test-admin", owner="leaving-1", role="reader")
    api.keys["leaving"] = key
    sign_in(api, "leaving")
    assert api.client.get("/web/incidents", headers=HTML, follow_redirects=False).status_code == 200
    api.ledger.revoke_key("test-admin", info["key_id"], reason="left the team")
    assert api.client.get("/web/incidents", headers=HTML, follow_redirects=False).status_code == 303


def test_a_tampered_session_cookie_is_not_accepted(api):
    sign_in(api, "officer")
    cookie = api.client.cookies.get("ledger_session")
    api.client.cookies.set("ledger_session", cookie[:-1] + ("A" if cookie[-1] != "A" else "B"))
    assert api.client.get("/web/incidents", headers=HTML, follow_redirects=False).status_code == 303


def test_a_reader_may_not_record(api, world):
    csrf = sign_in(api, "reader")
    events = api.events()
    answer = api.client.post(f"/web/figures/{world.figure}/grades", headers=HTML,
                             data={"csrf": csrf, "grade": "weak", "reason": "x", "version": "1"})
    assert answer.status_code == 403 and "officer" in answer.text
    assert api.events() == events


def test_a_double_submit_records_once(api, world):
    csrf = sign_in(api, "officer")
    version = str(api.ledger.figure(world.figure).version)
    form = {"csrf": csrf, "request_key": "form-1", "version": version, "value.qualifier": "at_least",
            "value.number": "110", "reason": "update"}
    first = api.client.post(f"/web/figures/{world.figure}/corrections", data=form, headers=HTML,
                            follow_redirects=False)
    events = count_events(api.ledger)
    second = api.client.post(f"/web/figures/{world.figure}/corrections", data=form, headers=HTML,
                             follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert count_events(api.ledger) == events
    assert api.ledger.figure(world.figure).version == int(version) + 1


@pytest.mark.parametrize(("form", "field", "words"), [
    ({"value.qualifier": "at_least", "value.number": "-3", "reason": "x"}, "value.number", "integer"),
    ({"value.qualifier": "at_least", "value.number": "3"}, "reason", "required"),
])
def test_a_refusal_shows_the_apis_words_next_to_the_field(api, world, form, field, words):
    csrf = sign_in(api, "officer")
    events = api.events()
    answer = api.client.post(f"/web/figures/{world.figure}/corrections", headers=HTML,
                             data={"csrf": csrf, "version": "1", **form})
    assert answer.status_code == 422
    error_id = "err-c-" + field.replace(".", "-")
    assert re.search(f'id="{error_id}">[^<]*{words}', answer.text, re.IGNORECASE), answer.text[-3000:]
    assert api.events() == events


def test_a_report_with_several_figures_is_filed_from_the_form(api, world):
    csrf = sign_in(api, "officer")
    form = {"csrf": csrf, "request_key": "report-1", "source_id": world.public_source, "title": "Update",
            "language": "en",
            "figures[0].incident_id": world.incident, "figures[0].metric": "civilians_injured",
            "figures[0].value.qualifier": "vague", "figures[0].value.term": "hundreds",
            "figures[1].incident_id": world.incident, "figures[1].metric": "civilians_killed",
            "figures[1].breakdown[0].dimension": "victim_group", "figures[1].breakdown[0].part": "children",
            "figures[1].value.qualifier": "range", "figures[1].value.low": "10", "figures[1].value.high": "14",
            "figures[1].population": "",
            "figures[2].incident_id": "", "figures[2].metric": "", "figures[2].population": "",
            "figures[3].incident_id": world.incident, "figures[3].metric": "civilians_killed",
            "figures[3].population": "identified", "figures[3].value.qualifier": "exact", "figures[3].value.number": "90"}
    answer = api.client.post("/web/new/report", data=form, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text[-2000:]
    report = api.client.get(answer.headers["location"], headers=HTML)
    assert report.status_code == 200 and "10 to 14" in report.text  # the new children's figure
    assert report.text.count("/web/figures/") == 3  # the rows filed, the empty third left out
    assert "those identified" in report.text  # the subset population, beside its breakdown
    assert 'name="figures[0].population"' in api.client.get("/web/new/report", headers=HTML).text
    identified = api.get(f"/figures?population=identified&incident_id={world.incident}").json()["items"]
    assert [f["value"]["number"] for f in identified] == [90]


def test_sources_incidents_and_citations_from_their_forms(api, world):
    csrf = sign_in(api, "officer")
    made = api.client.post("/web/new/source", headers=HTML, follow_redirects=False, data={
        "csrf": csrf, "name": "مجلس محلي", "kind": "official_body", "language": "ar"})
    assert made.status_code == 303 and made.headers["location"].startswith("/web/sources/")
    assert 'dir="auto">مجلس محلي<' in api.client.get(made.headers["location"], headers=HTML).text
    made = api.client.post("/web/new/incident", headers=HTML, follow_redirects=False, data={
        "csrf": csrf, "title": "Strike on a market", "places": ["Maarat al-Numan", "Idlib"],
        "valid_from": "2019-07-22"})
    assert made.status_code == 303, made.text[-2000:]
    page = api.client.get(made.headers["location"], headers=HTML).text
    assert "Maarat al-Numan" in page and "Idlib" in page
    refused = api.client.post("/web/new/incident", headers=HTML, data={
        "csrf": csrf, "title": "No date", "places": "Idlib"})
    assert refused.status_code == 422 and 'id="err-valid_from"' in refused.text
    cited = api.client.post("/web/new/citation", headers=HTML, follow_redirects=False, data={
        "csrf": csrf, "target_id": world.public_report, "source_id": world.public_source,
        "quote": "as the report says"})
    assert cited.status_code == 303, cited.text[-2000:]
    where = cited.headers["location"]
    withdrawn = api.client.post(where + "/withdrawals", headers=HTML, follow_redirects=False,
                                data={"csrf": csrf, "reason": "the page was taken down"})
    assert withdrawn.status_code == 303
    assert "withdrawn" in api.client.get(where, headers=HTML).text


def test_the_ledger_as_of_a_moment_keeps_the_choice_in_its_links(api, world):
    sign_in(api, "reader")
    before = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    moment = re.search(r'<time datetime="([^"]+)"', before).group(1)
    api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 120},
                              reason="final count", expected_version=api.ledger.figure(world.figure).version)
    now = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    then = api.client.get(f"/web/figures/{world.figure}", params={"as_of": moment}, headers=HTML).text
    assert 'id="current-value">120<' in now
    assert 'id="current-value">at least 108<' in then and 'class="banner"' in then
    assert f"as_of={moment.replace(':', '%3A')}" in then  # links keep the choice
    assert "final count" not in then


def test_a_page_as_of_a_bare_date_is_the_page_as_of_the_end_of_that_day(api, world):
    """The footer takes a date as the API does (the end of that day in UTC), and says so."""
    from datetime import UTC, datetime, timedelta

    sign_in(api, "reader")
    today = datetime.now(UTC).date()
    for day, shown in ((today, True), (today - timedelta(days=1), False)):
        bare = api.client.get(f"/web/figures/{world.figure}", params={"as_of": str(day)}, headers=HTML)
        full = api.client.get(f"/web/figures/{world.figure}", params={"as_of": f"{day}T23:59:59.999999Z"},
                              headers=HTML)
        assert bare.status_code == full.status_code == 200
        assert ('id="current-value"' in bare.text) == ('id="current-value"' in full.text) == shown, day
        assert "as it stood at the end of" in bare.text and re.search(rf"as_of={day}[\"&]", bare.text)  # links keep it
    footer = api.client.get("/", headers=HTML).text
    assert "View the ledger as of (a date, or a date and time, UTC)" in footer
    for bad in ("2019-05-1", "2019-02-30", "yesterday"):
        refused = api.client.get(f"/web/figures/{world.figure}", params={"as_of": bad}, headers=HTML)
        assert refused.status_code == 422 and "as_of" in refused.text, bad


def test_a_source_beyond_the_first_two_hundred_can_be_picked(api):
    """The picker offers at most 200 at once; searching by name reaches any source."""
    for n in range(205):
        assert api.post("/sources", {"name": f"Monitor {n:03d}", "kind": "media_office",
                                     "language": "en"}).status_code == 201
    sign_in(api, "officer")
    everyone = api.client.get("/web/new/report", headers=HTML).text
    found = api.client.get("/web/new/report?source_q=monitor%20204", headers=HTML).text
    assert everyone.count('dir="auto">Monitor ') <= 200
    assert 'dir="auto">Monitor 204</option>' in found and 'Monitor 203</option>' not in found
    assert '<label for="f-source_q">' in found


def test_a_source_is_protected_and_unprotected_from_its_forms(api, world):
    csrf = sign_in(api, "officer")
    where = f"/web/sources/{world.spare_source}"
    page = api.client.get(where, headers=HTML).text
    assert re.search(r"<title>[^<]*</title>", page) and page.count('id="form-protect"') == 1
    key = re.search(r'id="form-protect">\s*<input type="hidden" name="csrf" value="[^"]+">\s*'
                    r'<input type="hidden" name="request_key" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "request_key": key, "version": "1", "protected": "true"}
    events = api.events()
    refused = api.client.post(where + "/protection", headers=HTML, data=form)
    assert refused.status_code == 422 and re.search(r'id="err-p-reason">[^<]*required', refused.text, re.I)
    assert api.events() == events
    stale = api.client.post(where + "/protection", headers=HTML, data={**form, "version": "7", "reason": "r"})
    assert stale.status_code == 412 and 'id="conflict"' in stale.text and api.events() == events
    done = api.client.post(where + "/protection", headers=HTML, follow_redirects=False,
                           data={**form, "reason": "the witness asked"})
    assert done.status_code == 303 and done.headers["location"] == "/web/sources"
    events = api.events()
    again = api.client.post(where + "/protection", headers=HTML, follow_redirects=False,
                            data={**form, "reason": "the witness asked"})
    assert again.status_code == 303 and api.events() == events  # the second click records nothing
    assert api.client.get(where, headers=HTML).status_code == 404  # an officer no longer reads it
    unprotect = {"csrf": csrf, "request_key": "unprotect-1", "protected": "false", "reason": "safe again"}
    bad_id = api.client.post("/web/sources/protection", headers=HTML, data={**unprotect, "source_id": "nope"})
    assert bad_id.status_code == 422 and 'id="err-u-source_id"' in bad_id.text
    unversioned = api.client.post("/web/sources/protection", headers=HTML,
                                  data={**unprotect, "source_id": world.spare_source})
    assert unversioned.status_code == 428 and 'id="err-u-version"' in unversioned.text and api.events() == events
    made_public = api.client.post("/web/sources/protection", headers=HTML, follow_redirects=False,
                                  data={**unprotect, "source_id": world.spare_source, "version": "2"})
    assert made_public.status_code == 303 and made_public.headers["location"] == where
    assert api.client.get(where, headers=HTML).status_code == 200


def test_an_incidents_period_is_revised_from_its_form(api, world):
    csrf = sign_in(api, "officer")
    where = f"/web/incidents/{world.incident}"
    version = api.client.get(where, headers=HTML).text
    assert re.search(r"<title>[^<]*</title>", version) and version.count('id="form-period"') == 1
    listing = api.client.get("/web/sources", headers=HTML).text
    assert re.search(r"<title>[^<]*</title>", listing) and listing.count('id="form-unprotect"') == 1
    version = re.search(r'id="form-period">.*?name="version" value="(\d+)"', version, re.S).group(1)
    form = {"csrf": csrf, "request_key": "period-1", "version": version, "valid_from": "2019-05-06",
            "valid_to": "2019-05-09"}
    events = api.events()
    no_reason = api.client.post(where + "/period-revisions", headers=HTML, data=form)
    assert no_reason.status_code == 422 and 'id="err-v-reason"' in no_reason.text
    bad_day = api.client.post(where + "/period-revisions", headers=HTML,
                              data={**form, "valid_from": "6 May", "reason": "r"})
    assert bad_day.status_code == 422 and 'id="err-v-valid_from"' in bad_day.text
    assert 'value="6 May"' in bad_day.text  # the officer's input, shown again
    assert api.events() == events
    done = api.client.post(where + "/period-revisions", headers=HTML, follow_redirects=False,
                           data={**form, "reason": "the hospital's records"})
    assert done.status_code == 303
    page = api.client.get(where, headers=HTML).text
    assert '<time datetime="2019-05-06">May 6, 2019</time> – <time datetime="2019-05-09">May 9, 2019</time>' in page
    stale = api.client.post(where + "/period-revisions", headers=HTML,
                            data={**form, "request_key": "period-2", "valid_from": "2019-05-01", "reason": "x"})
    assert stale.status_code == 412 and 'id="conflict"' in stale.text and "the hospital&#39;s records" in stale.text
    assert 'value="2019-05-01"' in stale.text  # the officer decides again on the new version


def test_a_long_history_is_paged_to_its_last_version_and_back(api, world, monkeypatch):
    """Every version can be reached, forward with the history's cursor and back by the links' trail;
    a tally step's why and source are found however far down the figure's history they are."""
    from api.web import pages

    monkeypatch.setattr(pages, "LOOKUP", 7)  # the by-version lookup pages too: a few reads here
    for n in range(120):
        api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 200 + n},
                                  reason=f"recount {n}", expected_version=api.ledger.figure(world.figure).version)
    last = api.ledger.figure(world.figure).version
    sign_in(api, "reader")
    where, seen, trail = f"/web/figures/{world.figure}", [], []
    while where:
        trail.append(where)
        text = api.client.get(where.replace("&amp;", "&"), headers=HTML).text
        table = text.split('id="figure-history"')[1].split("</table>")[0]
        seen += [int(v) for v in re.findall(r"<tr>\s*<td>(\d+)</td>", table)]
        found = re.search(r'href="([^"]+)" id="history-next"', text)
        where = found and found.group(1)
    assert seen == list(range(1, last + 1))
    for page_before in reversed(trail[:-1]):  # each "earlier" link leads to the page walked before
        back = re.search(r'href="([^"]+)" id="history-previous"', text).group(1).replace("&amp;", "&")
        text = api.client.get(back, headers=HTML).text
        assert text == api.client.get(page_before.replace("&amp;", "&"), headers=HTML).text
    assert 'id="history-previous"' not in text and 'id="history-first"' not in text
    tally = api.client.get("/web/tallies/civilians_killed", headers=HTML).text
    assert "recount 119" in tally


def test_the_count_by_month_of_valid_time_draws_no_data_as_no_data(api, world):
    """Each month is the API's tally with that month as its window; a month with nothing is "no data"
    (an outlined mark, not a zero bar), and the span can be chosen."""
    api.ledger.revise_incident_period("officer-1", world.incident, valid_from="2019-04-26", valid_to="2019-05-02",
                                      reason="ended", expected_version=1)
    api.ledger.record_incident("officer-1", title="Later strike", places=["Idlib"], valid_from="2019-07-03",
                               valid_to="2019-07-03")
    sign_in(api, "reader")
    page = api.client.get("/web/tallies/civilians_killed", headers=HTML).text
    months = re.findall(r'<tr data-month="([\d-]+)"><td><time datetime="[\d-]+">[^<]*</time></td><td class="num">(.*?)</td>', page)
    assert [m for m, _ in months] == ["2019-04", "2019-05", "2019-06", "2019-07"]
    for month, shown in months:
        last = {"04": 30, "05": 31, "06": 30, "07": 31}[month[5:]]
        api_sum = api.get(f"/tallies/civilians_killed?valid_from={month}-01&valid_to={month}-{last}").json()["sum"]
        if api_sum["kind"] == "no_data":
            assert "no data" in shown
            assert re.search(f'data-month="{month}">\\s*<title>[^<]*</title>\\s*<rect class="no-data"', page)
        else:
            assert str(api_sum["low"]) in shown and "no data" not in shown
    assert "no data" in dict(months)["2019-06"]
    chosen = api.client.get("/web/tallies/civilians_killed?months_from=2019-05&months_to=2019-06", headers=HTML)
    assert re.findall(r'<tr data-month="([\d-]+)">', chosen.text) == ["2019-05", "2019-06"]
    wrong = api.client.get("/web/tallies/civilians_killed?months_from=May", headers=HTML)
    assert wrong.status_code == 422 and "months_from" in wrong.text


def test_a_counts_page_its_months_and_its_downloads_count_the_population_chosen(api, world):
    """``?population=`` on a count's page (chosen in the page's selector) counts that population in
    its steps, its months and the files its links give, as the API's ``?population=`` does."""
    filed = api.post("/reports", {"source_id": world.public_source, "title": "Names", "language": "en", "figures": [
        {"incident_id": world.incident, "metric": "civilians_killed", "value": {"qualifier": "exact", "number": 24},
         "population": "identified"}]})
    assert filed.status_code == 201, filed.text
    sign_in(api, "reader")
    whole = api.client.get("/web/tallies/civilians_killed", headers=HTML).text
    assert '<option value="identified">' in whole and '<option value="counted" selected>' in whole
    page = api.client.get("/web/tallies/civilians_killed?population=identified", headers=HTML).text
    assert '<option value="identified" selected>' in page
    months = re.findall(r'<tr data-month="([\d-]+)"><td><time datetime="[\d-]+">[^<]*</time></td><td class="num">(.*?)</td>', page)
    assert months and any(">24<" in shown or shown.strip() == "24" for _, shown in months), months
    month = next(m for m, shown in months if "24" in shown)
    api_month = api.get(f"/tallies/civilians_killed?population=identified&valid_from={month}-01"
                        f"&valid_to={month}-28").json()["sum"]
    assert api_month["low"] == 24
    links = [u.replace("&amp;", "&") for u in re.findall(r'href="(/web/[^"]+/download\?[^"]*format=csv[^"]*)"', page)]
    assert links and all("population=identified" in u for u in links)
    history = next(u for u in links if "/history/" in u)
    assert api.client.get(history).text == api.get(
        "/tallies/civilians_killed/history?population=identified&format=csv").text
    rows = list(csv.DictReader(io.StringIO(api.client.get(next(u for u in links if "/months/" in u)).text)))
    assert {r["population"] for r in rows} == {"identified"}
    assert [r["low"] for r in rows if r["valid_from"].startswith(month)] == ["24"]
    assert "population=identified" in re.search(r'<form method="get" action="[^"]*#by-month".*?</form>', page,
                                                re.S).group(0).replace('name="population" value="identified"',
                                                                       "population=identified")
    wrong = api.client.get("/web/tallies/civilians_killed?population=everyone", headers=HTML)
    assert wrong.status_code == 422 and "population" in wrong.text


def test_the_tables_download_links_give_the_apis_exports(api, world):
    """Each page's download link gives, to a signed-in browser, the file the API's export gives to its key."""
    sign_in(api, "reader")
    links = {}
    for where in ("/", "/web/tallies/civilians_killed", f"/web/incidents/{world.incident}",
                  f"/web/figures/{world.figure}"):
        text = api.client.get(where, headers=HTML).text
        found = re.findall(r'href="(/web/[^"]+/download\?[^"]*format=csv[^"]*)"', text)
        assert found, where
        links[where] = [link.replace("&amp;", "&") for link in found]
    tally = next(u for u in links["/"] if "/tallies/civilians_killed/" in u)
    assert api.client.get(tally).text.splitlines()[1:] == api.get(
        "/tallies/civilians_killed?format=csv").text.splitlines()[1:]
    history = next(u for u in links["/web/tallies/civilians_killed"] if "/history/" in u)
    assert api.client.get(history).text == api.get("/tallies/civilians_killed/history?format=csv").text
    figures = api.client.get(links[f"/web/incidents/{world.incident}"][0])
    assert figures.headers["content-type"].startswith("text/csv")
    assert figures.text == api.get(f"/figures?incident_id={world.incident}&format=csv").text
    for mark in world.protected_markers():
        assert mark not in figures.text
    history_link = next(u for u in links[f"/web/figures/{world.figure}"] if "/history/" in u)
    versions = api.client.get(history_link).text.splitlines()
    assert len(versions) - 1 == api.ledger.figure(world.figure).version
    months = next(u for u in links["/web/tallies/civilians_killed"] if "/months/" in u)
    xlsx = api.client.get(months.replace("format=csv", "format=xlsx"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    api.client.cookies.clear()
    assert api.client.get(history, headers=HTML, follow_redirects=False).status_code == 303  # signed in only


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_pickers_find_names_sealed_at_rest(kind, tmp_path, monkeypatch):
    """With encryption at rest no SQL pattern matches a name: the search reads the opened names, says
    when it stopped short, and never offers a protected source to an officer."""
    import base64
    import os

    from projections import search
    from tests.conftest import make_store
    from tests.e2e.conftest import open_api

    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    stores = make_store(kind, tmp_path, base64.b64encode(os.urandom(32)).decode())
    try:
        with open_api(next(stores)) as api:
            for name, protected in (("Monitor Alpha", False), ("مرصد حلب", False), ("Monitor Beta", False),
                                    ("Monitor Hidden", True)):
                assert api.post("/sources", {"name": name, "kind": "media_office", "language": "en",
                                             "protected": protected}).status_code == 201
            sign_in(api, "officer")
            alpha = api.client.get("/web/new/report?source_q=ALPHA", headers=HTML)
            assert alpha.status_code == 200, alpha.text[-2000:]
            assert 'dir="auto">Monitor Alpha</option>' in alpha.text and "Monitor Beta</option>" not in alpha.text
            assert 'id="search-partial"' not in alpha.text
            arabic = api.client.get("/web/new/citation?source_q=حلب", headers=HTML).text
            assert 'dir="auto">مرصد حلب</option>' in arabic and "Monitor Alpha</option>" not in arabic
            assert "Monitor Hidden" not in api.client.get("/web/new/report?source_q=monitor", headers=HTML).text
            monkeypatch.setattr(search, "SCAN", 1)
            short = api.client.get("/web/new/report?source_q=monitor", headers=HTML).text
            assert 'id="search-partial"' in short  # it says it stopped, not that nothing matched
    finally:
        stores.close()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_checks_sources_incidents_and_spread_download_what_the_api_gives(api, world):
    """The new tables' links give the API's export to the signed-in caller: a reader's has no protected marker."""
    for source, n in ((world.public_source, 30), (world.protected_source, 31)):  # parts, so there are checks
        api.ledger.file_report("o", source_id=source, title=f"parts {n}", language="en", figures=[
            {"incident_id": world.incident, "metric": "civilians_killed", "breakdown": {"victim_group": "children"},
             "value": {"qualifier": "exact", "number": n, "quote": f"zqx7741 children {n}"}}])
    assert api.get("/checks", role="reader").json()
    pages = {"/web/checks": "/checks", "/web/sources": "/sources", "/web/incidents": "/incidents",
             f"/web/figures/{world.figure}": f"/figures/{world.figure}/spread"}
    for role in ("reader", "auditor"):
        sign_in(api, role)
        for where, route in pages.items():
            text = api.client.get(where, headers=HTML).text
            link = next(u.replace("&amp;", "&") for u in re.findall(r'href="(/web/[^"]+/download\?[^"]*)"', text)
                        if route.rsplit("/", 1)[-1] + "/download" in u and "format=csv" in u)
            got = api.client.get(link)
            assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv"), (where, got.text)
            assert _rows(got.text) == _rows(api.get(f"{route}?format=csv", role=role).text), where
            book = load_workbook(io.BytesIO(api.client.get(link.replace("format=csv", "format=xlsx")).content),
                                 read_only=True)
            sheet = list(book.worksheets[0].iter_rows(values_only=True))
            assert len(sheet) - 1 == len(_rows(got.text)), where
            if role == "reader":
                for mark in world.protected_markers():
                    assert mark not in got.text, (where, mark)
    sign_in(api, "auditor")
    sources = _rows(api.client.get("/web/sources/download?format=csv").text)
    assert {world.public_source, world.protected_source} <= {r["source_id"] for r in sources}
    assert next(r for r in sources if r["source_id"] == world.protected_source)["protected"] == "1"
    listed = api.get("/sources", role="auditor").json()["items"]
    assert [r["source_id"] for r in sources] == [s["source_id"] for s in listed]
    checks = _rows(api.client.get("/web/checks/download?format=csv&metric=civilians_killed").text)
    assert checks and {r["metric"] for r in checks} == {"civilians_killed"}
    assert not _rows(api.client.get("/web/checks/download?format=csv&metric=civilians_detained").text)


def test_the_checks_page_pages_by_incident_keeping_as_of_and_flags_first(api, world, monkeypatch):
    from api.web import pages

    monkeypatch.setattr(pages, "CHECKS_PAGE", 1)
    for title, parts in (("Kafr Nabl", (20, 12, 8)), ("Maarat", (20, 25, 1))):  # complete; inconsistent
        incident = api.post("/incidents", {"title": title, "places": ["Idlib"], "valid_from": "2019-05-02"}).json()
        api.post("/reports", {"source_id": world.public_source, "title": title, "language": "en", "figures": [
            {"incident_id": incident["incident_id"], "metric": "civilians_killed", "breakdown": breakdown,
             "value": {"qualifier": "exact", "number": number}}
            for breakdown, number in zip(({}, {"perpetrator": "syrian-regime"}, {"perpetrator": "russian-forces"}),
                                         parts)]})
    later = api.get("/checks", role="reader").json()
    assert sorted(c["status"] for c in later) == ["complete", "inconsistent"]
    now = "2100-01-01T00:00:00Z"
    sign_in(api, "reader")

    def walk(where: str, kept: str) -> list[str]:
        """The checks' rows of every page from ``where`` on, following "Next page" (which keeps ``kept``)."""
        rows: list[str] = []
        for _ in range(10):
            text = api.client.get(where, headers=HTML).text
            rows += re.findall(r'<tr class="check-(\w+)">', text)
            following = re.search(r'href="(/web/checks\?[^"]*cursor=[^"]+)">Next page', text)
            if following is None:
                break
            where = following.group(1).replace("&amp;", "&")
            assert kept in where
        return rows

    seen = walk(f"/web/checks?as_of={now}", "as_of=2100-01-01")
    assert sorted(seen) == ["complete", "inconsistent"] and len(seen) == len(later)
    assert walk("/web/checks?status=flagged", "status=flagged") == ["inconsistent"]
    assert api.client.get("/web/checks?status=odd", headers=HTML).status_code == 422


def test_the_audit_log_downloads_to_auditors_only_with_the_pages_filters(api, world):
    sign_in(api, "auditor")
    text = api.client.get(f"/web/audit?figure_id={world.figure}", headers=HTML).text
    link = next(u.replace("&amp;", "&") for u in re.findall(r'href="(/web/audit/download\?[^"]*)"', text)
                if "format=csv" in u)
    assert f"figure_id={world.figure}" in link
    got = _rows(api.client.get(link).text)
    wanted = _rows(api.get(f"/audit/log?figure_id={world.figure}&format=csv", role="auditor").text)
    assert got and got == wanted and {r["figure_id"] for r in got} == {world.figure}
    every = _rows(api.client.get("/web/audit/download?format=csv").text)
    assert len(every) > len(got)
    for role in ("reader", "officer"):
        sign_in(api, role)
        assert api.client.get("/web/audit", headers=HTML).status_code == 403
        refused = api.client.get("/web/audit/download?format=csv")
        assert refused.status_code == api.get("/audit/log?format=csv", role=role).status_code == 403
        assert "position" not in refused.text


#: Where the audit page's "Record" links each kind of record (a key and a receipt have no page).
RECORD_PAGES = {"Figure": "/web/figures/", "Incident": "/web/incidents/", "Source": "/web/sources/",
                "Report": "/web/reports/", "Citation": "/web/citations/", "Vocabulary": "/web/vocabulary"}


def _audit_rows(text: str) -> list[tuple[int, str]]:
    """The audit table's rows: each event's position and its "Record" cell."""
    table = re.search(r'<table class="audit">.*?</table>', text, re.S).group(0)
    return [(int(n), re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)[3].strip()) for n, cells in
            re.findall(r'<tr><td><a href="/web/audit/leaves/(\d+)">.*?</a></td>(.*?)</tr>', table, re.S)]


def test_the_audit_log_names_the_record_of_each_event_and_its_version(api, world):
    """Each row names the record its event belongs to, with that record's version: a citation's
    row links the citation (and the figure it backs), not the figure with the citation's version."""
    api.post("/incidents", {"title": "Shelling of Maarat", "places": ["Maarat"], "valid_from": "2019-05-02"},
             Idempotency_Key="k-audit-record")  # a receipt too
    api.client.app.state.audit.catch_up()
    logged = {e["position"]: e for e in api.get("/audit/log?limit=500", role="auditor").json()["items"]}
    sign_in(api, "auditor")
    rows = _audit_rows(api.client.get("/web/audit", headers=HTML).text)
    seen, reports_cited = set(), 0
    for position, cell in rows:
        event = logged[position]
        of = event["kind"].split(".")[0]
        seen.add(of)
        assert cell.endswith(f"v{event['aggregate_version']}") or f"v{event['aggregate_version']} (" in cell, cell
        first = re.search(r'href="([^"]+)"', cell)
        if of in RECORD_PAGES:
            wanted = RECORD_PAGES[of] + ("" if of == "Vocabulary" else event["aggregate_id"])
            assert first and first.group(1) == wanted, (event["kind"], cell)
        else:
            assert first is None and f"<code>{event['aggregate_id'][:8]}</code>" in cell, (event["kind"], cell)
        backs = re.findall(r'href="/web/figures/([^"]+)"', cell)
        assert backs == ([event["figure_id"]] if of == "Figure" or (of == "Citation" and event["figure_id"]) else []), cell
        if of == "Citation" and not event["figure_id"]:  # a report's citation: the report it backs
            cited = api.get(f"/citations/{event['aggregate_id']}", role="auditor").json()
            assert re.findall(r'href="/web/reports/([^"]+)"', cell) == [cited["target_id"]], cell
            reports_cited += 1
    assert {"Figure", "Incident", "Source", "Report", "Citation", "Receipt"} <= seen, seen
    assert reports_cited, "the world's log has a report's citation on its first page"


def test_the_audit_page_reads_newest_first_by_kind_and_keeps_both_in_its_links(api, world):
    for n in range(3):
        api.ledger.register_source("seed-officer", name=f"Listed {n}", kind="witness", language="en")
    api.client.app.state.audit.catch_up()
    logged = api.get("/audit/log?limit=500", role="auditor").json()["items"]
    sign_in(api, "auditor")
    text = api.client.get("/web/audit?order=newest", headers=HTML).text
    assert [p for p, _ in _audit_rows(text)] == [e["position"] for e in logged][::-1][:100]
    assert '<option value="newest" selected>' in text
    kinds = re.findall(r'<option value="([A-Za-z]+\.[A-Za-z]+)"', text)
    assert kinds == sorted({e["kind"] for e in logged})
    chosen = api.client.get("/web/audit?order=newest&kind=Source.Registered", headers=HTML).text
    assert [p for p, _ in _audit_rows(chosen)] == [e["position"] for e in logged
                                                  if e["kind"] == "Source.Registered"][::-1]
    assert '<option value="Source.Registered" lang="en" selected>' in chosen
    download = next(u.replace("&amp;", "&") for u in re.findall(r'href="(/web/audit/download\?[^"]*)"', chosen)
                    if "format=csv" in u)
    assert "order=newest" in download and "kind=Source.Registered" in download
    assert _rows(api.client.get(download).text) == _rows(
        api.get("/audit/log?order=newest&kind=Source.Registered&format=csv", role="auditor").text)
    # A page of the latest first pages on to earlier events, keeping the order and the kind.
    registered = sum(e["kind"] == "Source.Registered" for e in logged)
    for n in range(max(0, 101 - registered)):
        api.ledger.register_source("seed-officer", name=f"More {n}", kind="witness", language="en")
    api.client.app.state.audit.catch_up()
    first = api.client.get("/web/audit?order=newest&kind=Source.Registered", headers=HTML).text
    following = re.search(r'<a href="(/web/audit\?[^"]*)">Next page</a>', first).group(1).replace("&amp;", "&")
    assert "order=newest" in following and "kind=Source.Registered" in following
    more = _audit_rows(api.client.get(following, headers=HTML).text)
    assert more and max(p for p, _ in more) < min(p for p, _ in _audit_rows(first))
    for bad in ("order=latest", "kind=not%20a%20kind", "until=2019-13-01"):
        assert api.client.get(f"/web/audit?{bad}", headers=HTML).status_code == 422, bad


def test_the_audit_page_lists_checkpoints_a_page_at_a_time_newest_first(api, world):
    trail = api.client.app.state.audit
    signed = []
    for n in range(23):
        api.ledger.register_source("seed-officer", name=f"Checkpointed {n}", kind="witness", language="en")
        signed.append(trail.make_checkpoint().size)
    sign_in(api, "auditor")
    shown, where, pages = [], "/web/audit", 0
    while where:
        text = api.client.get(where, headers=HTML).text
        sizes = re.search(r"<h2>Checkpoints</h2>.*?</table>", text, re.S).group(0)
        shown += [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", sizes)]
        earlier = re.search(r'<a href="(/web/audit\?checkpoints=[^"]+)">Earlier checkpoints</a>', text)
        where, pages = earlier and earlier.group(1).replace("&amp;", "&"), pages + 1
    assert shown == sorted(signed, reverse=True) and pages == 2
    refused = api.client.get("/web/audit?checkpoints=abc", headers=HTML)
    assert refused.status_code == 422


def test_the_dashboard_and_audit_page_as_of_a_time_show_the_checkpoints_signed_by_then(api, world):
    from datetime import UTC, datetime

    trail = api.client.app.state.audit
    early = trail.make_checkpoint(now=datetime(2020, 1, 1, tzinfo=UTC)).size
    api.ledger.register_source("seed-officer", name="Checkpointed later", kind="witness", language="en")
    late = trail.make_checkpoint(now=datetime(2021, 1, 1, tzinfo=UTC)).size
    sign_in(api, "auditor")
    for as_of, shown in (("2019-06-01T00:00:00Z", []), ("2020-06-01T00:00:00Z", [early]), (None, [late, early])):
        query = f"?as_of={as_of}" if as_of else ""
        audit = api.client.get(f"/web/audit{query}", headers=HTML).text
        table = re.search(r"<h2>Checkpoints</h2>.*?</table>", audit, re.S).group(0)
        assert [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", table)] == shown, as_of
        dashboard = api.client.get(f"/{query}", headers=HTML).text
        latest = re.search(r"Latest signed checkpoint: ([\d,]+) events", dashboard)
        assert (int(latest.group(1).replace(",", "")) if latest else None) == (shown[0] if shown else None), as_of


def test_the_reports_sources_reports_and_checkpoints_download_what_the_api_gives(api, world):
    """The report page's figures and citations, a source's reports and the auditor's checkpoints:
    each link gives the API's export of the same reading; a reader's has no protected marker."""
    api.ledger.cite("o", target_id=world.public_report, source_id=world.protected_source,
                    url=f"https://{world.protected_markers()[0]}.example/x")  # a protected citation on a public report
    api.client.app.state.audit.make_checkpoint()
    report, source = f"/web/reports/{world.public_report}", f"/web/sources/{world.public_source}"
    pages = {report: (f"/reports/{world.public_report}/figures", f"/reports/{world.public_report}/citations"),
             source: (f"/reports?source_id={world.public_source}",),
             f"/web/sources/{world.protected_source}": (f"/reports?source_id={world.protected_source}",),
             "/web/audit": ("/audit/checkpoints",)}
    for role in ("reader", "auditor"):
        sign_in(api, role)
        for where, routes in pages.items():
            text = api.client.get(where, headers=HTML)
            if role == "reader" and where != report and where != source:
                assert text.status_code in (403, 404), where  # the protected source's page, the audit page
                continue
            links = [u.replace("&amp;", "&") for u in re.findall(r'href="(/web/[^"]+/download\?[^"]*)"', text.text)]
            for route in routes:
                wanted = "/reports/download" if "source_id" in route else route.rsplit("?")[0] + "/download"
                link = next(u for u in links if u.endswith("format=csv") and wanted.split("/")[-2] in u
                            and wanted.split("/")[-1] in u)
                got = api.client.get(link)
                assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv"), (where, got.text)
                from_api = _rows(api.get(f"{route}{'&' if '?' in route else '?'}format=csv", role=role).text)
                assert from_api and _rows(got.text) == from_api, (where, route)
                book = load_workbook(io.BytesIO(api.client.get(link.replace("format=csv", "format=xlsx")).content),
                                     read_only=True)
                assert len(list(book.worksheets[0].iter_rows(values_only=True))) - 1 == len(from_api), where
                if role == "reader":
                    assert not [m for m in world.protected_markers() if m in got.text], (where, route)
                    if route.endswith("/citations"):
                        assert "protected" in {r["source"] for r in from_api}
    sign_in(api, "reader")
    assert api.client.get("/web/audit/checkpoints/download?format=csv").status_code == 403
    assert api.client.get(f"/web/reports/{world.protected_report}/citations/download?format=csv").status_code == 404
    assert api.client.get(f"/web/reports/{world.protected_report}/figures/download?format=csv").status_code == 404
    hidden = api.client.get(f"/web/sources/{world.protected_source}/reports/download?format=csv")
    assert hidden.status_code == 200 and _rows(hidden.text) == []  # as GET /reports?source_id= answers a reader

def _history_table(text: str) -> str:
    return text.split('id="figure-history"')[1].split("</table>")[0]


def test_the_figure_and_tally_pages_say_what_each_source_said_and_where(api, world):
    """Each version shows the source's own words, its report and publication date and whether it was
    adopted; a protected source's word reads "protected" to a reader, in full to an auditor."""
    report = api.post("/reports", {
        "source_id": world.spare_source, "title": "Council list", "language": "ar", "published_on": "2019-06-01",
        "figures": [{"incident_id": world.incident, "metric": "civilians_killed",
                     "value": {"qualifier": "approximate", "number": 130, "term": "about",
                               "quote": "نحو 130 مدنياً"}}]}).json()["report_id"]
    sign_in(api, "reader")
    text = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    rows = re.findall(r"<tr>.*?</tr>", _history_table(text).split("<tbody>")[1], re.S)
    council = next(r for r in rows if report in r)
    assert '<q dir="auto">نحو 130 مدنياً</q>' in council and "about" in council and "130" in council
    assert f'/web/reports/{report}"' in council and '<time datetime="2019-06-01">' in council
    assert re.search(r"<td>no</td>", council)  # a claim the figure did not take
    assert re.search(r"<td>yes</td>", rows[0]) and f"/web/reports/{world.public_report}" in rows[0]
    hidden = rows[1]  # the protected source's claim: its number, not its name, words or report
    assert "protected source" in hidden and "112" in hidden and "/web/reports/" not in hidden
    assert MARK not in text and world.protected_source not in text and world.protected_report not in text
    tally = api.client.get("/web/tallies/civilians_killed", headers=HTML).text
    steps = tally.split('id="steps"')[1].split("</table>")[0]
    assert f"/web/reports/{world.public_report}" in steps and "said by" in steps
    assert MARK not in tally and world.protected_report not in tally
    sign_in(api, "auditor")
    audited = _history_table(api.client.get(f"/web/figures/{world.figure}", headers=HTML).text)
    assert f"/web/reports/{world.protected_report}" in audited and f"{MARK} counted 112" in audited


def test_a_figure_with_many_claims_citations_and_versions_stays_under_300_kb(api, world):
    """The claims and citations are paged as the history is: every one reachable, no page too heavy."""
    sources = [api.ledger.register_source("officer-1", name=f"مرصد المدنيين رقم {n}", name_en=f"Civilian monitor {n}",
                                          kind="monitoring_network", language="ar")["source_id"] for n in range(300)]
    for n, source in enumerate(sources):
        api.ledger.file_report("officer-1", source_id=source, title=f"تقرير {n}", language="ar",
                               published_on="2019-06-01", figures=[{
                                   "incident_id": world.incident, "metric": "civilians_killed",
                                   "value": {"qualifier": "at_least", "number": 100 + n,
                                             "quote": "قُتل ما لا يقل عن مئة مدني في القصف " * 4}}])
        api.ledger.cite("officer-1", target_id=world.figure, source_id=source, url=f"https://example.org/{n}",
                        quote="شهادة أحد الناجين من القصف " * 6, sha256="ab" * 32)
    sign_in(api, "reader")
    where, claims, citations, biggest = f"/web/figures/{world.figure}", 0, 0, 0
    while where:
        text = api.client.get(where.replace("&amp;", "&"), headers=HTML).text
        biggest = max(biggest, len(text.encode()))
        claims += text.split("What each source claims", 1)[1].split("</table>")[0].count("<tr><td>")
        found = re.search(r'href="([^"]+)" id="claims-next"', text)
        where = found and found.group(1)
    where = f"/web/figures/{world.figure}"
    while where:
        text = api.client.get(where.replace("&amp;", "&"), headers=HTML).text
        biggest = max(biggest, len(text.encode()))
        citations += text.split('class="citations"')[1].split("</ul>")[0].count("<li>")
        found = re.search(r'href="([^"]+)" id="citations-next"', text)
        where = found and found.group(1)
    spread = api.get(f"/figures/{world.figure}/spread", "reader").json()["claims"]
    assert claims == len(spread) > 300 and citations == len(api.get(f"/figures/{world.figure}/citations",
                                                                    "reader").json()) >= 300
    assert biggest < 300_000, biggest


def test_an_events_page_is_for_auditors_only_and_holds_what_the_api_gives(api, world):
    trail = api.client.app.state.audit
    trail.make_checkpoint()
    size = trail.size()
    sign_in(api, "auditor")
    listed = api.client.get("/web/audit", headers=HTML).text
    assert f'href="/web/audit/leaves/{0}"' in listed
    text = api.client.get(f"/web/audit/leaves/{size - 1}", headers=HTML)
    assert text.status_code == 200, text.text
    data = re.search(r'<script type="application/json" id="leaf-data">(.*?)</script>', text.text, re.S).group(1)
    import json
    from html import unescape
    held = json.loads(unescape(data))
    given = api.get(f"/audit/leaves/{size - 1}", role="auditor").json()
    assert held == {"record": given["record"], "proof": given["proof"], "checkpoint": given["checkpoint"]}
    assert api.client.get(f"/web/audit/leaves/{size + 5}", headers=HTML).status_code == 404
    assert api.client.get("/web/audit/leaves/-1", headers=HTML).status_code == 422
    for role in ("reader", "officer"):
        sign_in(api, role)
        refused = api.client.get("/web/audit/leaves/0", headers=HTML)
        assert refused.status_code == api.get("/audit/leaves/0", role=role).status_code == 403
        assert "leaf-data" not in refused.text


def test_the_audit_page_answers_at_once_while_a_far_behind_tree_is_built(api, world, monkeypatch):
    """A tree behind by more than audit_build.INLINE events is built in the background: the page
    says how far it has got (and reloads itself) instead of waiting, then shows the log."""
    from api.web import audit_build

    trail = api.client.app.state.audit
    sign_in(api, "auditor")
    assert "tree-building" not in api.client.get("/web/audit", headers=HTML).text  # caught up: the log at once
    for n in range(3):
        api.ledger.record_incident("o", title=f"Shelling {n}", places=["Kafr Nabl"], valid_from="2019-05-02")
    monkeypatch.setattr(audit_build, "INLINE", 1)
    slow = trail.catch_up

    def held_back(*args, **kwargs):
        held.wait(10)
        return slow(*args, **kwargs)

    import threading
    held = threading.Event()
    monkeypatch.setattr(trail, "catch_up", held_back)
    first = api.client.get("/web/audit", headers=HTML)
    assert first.status_code == 200 and 'id="tree-building"' in first.text, first.text
    assert first.headers["refresh"] == str(2) and 'http-equiv="refresh"' in first.text
    assert "<progress" in first.text and '<table class="audit">' not in first.text
    head = api.ledger.recorder.max_notification_id()
    assert f'data-head="{head}"' in first.text
    assert 'id="tree-building"' in api.client.get("/web/audit", headers=HTML).text  # one build, still running
    held.set()
    audit_build.wait(trail, 10)
    after = api.client.get("/web/audit", headers=HTML).text
    assert 'id="tree-building"' not in after and trail.position() == head
    assert '<table class="audit">' in after


def test_words_a_page_filters_by_are_text_by_the_apis_rule(api, world):
    """A NUL in a picker's or the audit page's words was a 500 on PostgreSQL (its text holds none)."""
    sign_in(api, "auditor")
    for path in ("/web/audit?actor=%00", "/web/audit/download?format=csv&actor=%01"):
        assert api.client.get(path, headers=HTML).status_code == 422, path
    assert api.client.get("/web/audit?actor=", headers=HTML).status_code == 200  # an empty filter field: none
    sign_in(api, "officer")
    for path in ("/web/new/report?source_q=%00", "/web/new/citation?incident_q=a%00b"):
        assert api.client.get(path, headers=HTML).status_code == 422, path
    assert api.client.get("/web/new/report?source_q=&incident_q=", headers=HTML).status_code == 200


CUT, LATE = "2019-01-01", "2100-01-01"  # before anything the seed filed (nothing counts), and after all of it


def _api_route(download: str) -> str:
    """The API's route a page's download link hands to (``/web/figures/X/history/download?q`` → ``/figures/X/history?q``)."""
    path, _, query = download.partition("?")
    if found := re.fullmatch(r"/web/sources/([^/]+)/reports/download", path):  # GET /reports?source_id=
        return f"/reports?source_id={found.group(1)}&{query}"
    return path.removeprefix("/web").removesuffix("/download") + "?" + query


def test_a_download_under_the_pages_cut_gives_the_apis_export_under_that_cut(api, world):
    """The cut a page is viewed under reaches its downloads: the file is the API's export under the same cut."""
    sign_in(api, "reader")
    links = []
    for where in ("/", "/web/checks", f"/web/figures/{world.figure}", "/web/tallies/civilians_killed",
                  f"/web/reports/{world.public_report}", f"/web/sources/{world.public_source}"):
        text = api.client.get(where, params={"published_by": LATE}, headers=HTML).text
        for found in re.findall(r'href="(/web/[^"]+/download\?[^"]*format=csv[^"]*)"', text):
            link = found.replace("&amp;", "&")
            assert f"published_by={LATE}" in link, (where, link)  # the link keeps the cut
            if "/months/" not in link and "/citations/" not in link:  # no API route; the API's takes no cut
                links.append(link)
    assert len(links) >= 7, links
    cut = {}
    for link in links:
        for when in (LATE, CUT):
            asked = link.replace(f"published_by={LATE}", f"published_by={when}")
            got, expected = api.client.get(asked), api.get(_api_route(asked), role="reader")
            assert got.status_code == expected.status_code, (asked, got.text)
            assert _rows(got.text) == _rows(expected.text), asked
            cut[asked] = _rows(got.text)
    tally = "/web/tallies/civilians_killed/download?format=csv&published_by="
    assert cut[tally + LATE] != cut[tally + CUT]  # the cut does cut


def _withdrawn_after_a_moment(api, world) -> str:
    """A moment (ISO 8601) after the world was recorded; then the public citation is withdrawn."""
    import time
    from datetime import datetime, timezone

    time.sleep(0.01)
    then = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    api.ledger.withdraw_citation("officer-1", world.public_citation, reason="the page was taken down")
    return then


def test_a_citations_page_reads_as_of_the_chosen_time(api, world):
    """As GET /citations/{id}?as_of= answers: withdrawn only if it was by then."""
    from urllib.parse import quote

    sign_in(api, "reader")
    then = _withdrawn_after_a_moment(api, world)
    where = f"/web/citations/{world.public_citation}"
    assert api.get(f"/citations/{world.public_citation}?as_of={quote(then)}", role="reader").json()["withdrawn"] is False
    assert '<dd id="cited-status">withdrawn:' in api.client.get(where, headers=HTML).text
    past = api.client.get(where, params={"as_of": then}, headers=HTML).text
    assert '<dd id="cited-status">live</dd>' in past and 'class="banner"' in past


@pytest.mark.parametrize("role", ["reader", "officer", "auditor"])
def test_every_link_in_a_page_viewed_as_of_and_cut_keeps_both(api, world, role):
    """From the count, figure, report, citation, incident, vocabulary and audit pages viewed as of a time
    and under a cut, every link to another page, the header's too, keeps both choices, and each page
    the header links to answers under them."""
    sign_in(api, role)
    chosen = {"as_of": "2100-01-01T00:00:00Z", "published_by": "2100-01-01"}
    pages = ["/web/tallies/civilians_killed", f"/web/figures/{world.figure}", f"/web/reports/{world.public_report}",
             f"/web/citations/{world.public_citation}", f"/web/incidents/{world.incident}", "/web/vocabulary"] \
        + (["/web/audit"] if role == "auditor" else [])
    header: set[str] = set()
    for where in pages:
        answer = api.client.get(where, params=chosen, headers=HTML)
        assert answer.status_code == 200, (where, answer.text)
        links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/web/[^"]*)"', answer.text)]
        # Not links to another page as chosen: the style sheet, the language switch (it carries the
        # whole address in ``next``) and "Back to now" / "Go to the present" (they drop the choice).
        links = [h for h in links if not h.startswith(("/web/static/", "/web/language/")) and h != where]
        assert links, where
        dropped = [h for h in links if "as_of=2100-01-01T00%3A00%3A00Z" not in h or "published_by=2100-01-01" not in h]
        assert not dropped, (where, dropped)
        top = answer.text.split('<header class="top">', 1)[1].split("</header>", 1)[0]
        header.update(h.replace("&amp;", "&") for h in re.findall(r'href="(/web/(?!language/)[^"]*)"', top))
    expected = {"/web/incidents", "/web/sources", "/web/vocabulary"} | (
        {"/web/new/report", "/web/imports"} if role == "officer" else set()) | (
        {"/web/audit"} if role == "auditor" else set())
    assert {h.split("?")[0] for h in header} == expected
    for link in header:
        assert api.client.get(link, headers=HTML).status_code == 200, link


def test_the_incident_page_and_the_counts_months_apply_the_cut(api, world):
    """Under ``?published_by=`` the incident page's figures and checks, and a count's months (page and
    file), are those the sources had published by then, as the API's ``?published_by=`` gives them."""
    sign_in(api, "reader")
    where = f"/web/incidents/{world.incident}"
    now, cut = (api.client.get(where, params=p, headers=HTML).text for p in ({}, {"published_by": CUT}))
    figure_links = lambda text: set(re.findall(r'href="/web/figures/([0-9a-f]{8}-[0-9a-f-]+)', text))  # noqa: E731
    api_figures = lambda q: {f["figure_id"] for f in api.get(f"/figures?incident_id={world.incident}{q}").json()["items"]}  # noqa: E731
    assert figure_links(now) == api_figures("") and world.figure in figure_links(now)
    assert figure_links(cut) == api_figures(f"&published_by={CUT}") == set()
    told = Language("en").told(CUT)  # the banner tells the cut as the language writes a date
    assert f"Only what the sources had published by {told} counts." in cut
    assert "Only what the sources had published by" not in now
    tally = "/web/tallies/civilians_killed"
    months = lambda text: re.findall(r'<tr data-month="([\d-]+)"><td><time datetime="[\d-]+">[^<]*</time></td><td class="num">(.*?)</td>', text)  # noqa: E731
    whole, cut_months = (months(api.client.get(tally, params=p, headers=HTML).text) for p in ({}, {"published_by": CUT}))
    assert [m for m, _ in whole] == [m for m, _ in cut_months] and whole
    assert any("no data" not in shown for _, shown in whole)
    assert all("no data" in shown for _, shown in cut_months), cut_months
    cut_page = api.client.get(tally, params={"published_by": CUT}, headers=HTML).text
    assert f"Only what the sources had published by {told} counts." in cut_page
    download = next(u.replace("&amp;", "&") for u in re.findall(r'href="(/web/[^"]+/months/download\?[^"]*format=csv[^"]*)"', cut_page))
    assert f"published_by={CUT}" in download
    rows = _rows(api.client.get(download).text)
    echoed = api.get(f"/tallies/civilians_killed?published_by={CUT}", role="reader").json()["published_by"]
    assert rows and {r["kind"] for r in rows} == {"no_data"} and {r["published_by"] for r in rows} == {echoed}
    assert {r["kind"] for r in _rows(api.client.get(download.replace(CUT, LATE)).text)} != {"no_data"}


def test_the_hxl_links_under_the_tables_give_the_apis_hxl(api, world):
    """Each table's downloads offer HXL (the API's ``?format=hxl``: CSV with the hashtag row under the
    header); the incident page's checks table has its own download."""
    api.ledger.file_report("o", source_id=world.public_source, title="parts", language="en", figures=[
        {"incident_id": world.incident, "metric": "civilians_killed", "breakdown": {"victim_group": "children"},
         "value": {"qualifier": "exact", "number": 30}}])  # a part, so there is a check
    sign_in(api, "reader")
    text = api.client.get(f"/web/incidents/{world.incident}", headers=HTML).text
    hxl = [u.replace("&amp;", "&") for u in re.findall(r'href="(/web/[^"]+/download\?[^"]*format=hxl[^"]*)"', text)]
    checks = next(u for u in hxl if u.startswith("/web/checks/download"))
    assert f"incident_id={world.incident}" in checks
    for link in hxl:
        got = api.client.get(link)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv"), (link, got.text)
        header, tags = got.text.lstrip("\ufeff").splitlines()[:2]
        assert tags.startswith("#") and len(tags.split(",")) == len(header.split(",")), (link, tags)
        assert got.text == api.get(_api_route(link)).text, link
    assert _rows(api.client.get(checks.replace("format=hxl", "format=csv")).text)[0]["incident_id"] == world.incident
    months = next(u.replace("&amp;", "&") for u in re.findall(
        r'href="(/web/[^"]+/months/download\?[^"]*format=hxl[^"]*)"',
        api.client.get("/web/tallies/civilians_killed", headers=HTML).text))
    assert api.client.get(months).text.lstrip("\ufeff").splitlines()[1].startswith("#indicator+name")


def test_the_audit_log_as_of_a_time_lists_the_events_recorded_by_then(api, world):
    sign_in(api, "auditor")
    then = _withdrawn_after_a_moment(api, world)
    now = api.client.get("/web/audit", headers=HTML).text
    past = api.client.get("/web/audit", params={"as_of": then}, headers=HTML)
    assert past.status_code == 200 and 'class="banner"' in past.text
    leaves = lambda text: re.findall(r'href="/web/audit/leaves/(\d+)', text)  # noqa: E731
    assert len(leaves(past.text)) == len(leaves(now)) - 1  # the withdrawal is after then


def test_a_part_of_check_shows_on_the_incident_and_checks_pages(api, world):
    """Civilians killed is part of killed (the built-in vocabulary): the check of one against the
    other has no dimension, and the pages answered 500 on it (found by bench/page_times.py at 100k)."""
    api.ledger.file_report("o", source_id=world.public_source, title="all killed", language="en", figures=[
        {"incident_id": world.incident, "metric": "killed", "breakdown": {},
         "value": {"qualifier": "exact", "number": 900, "quote": "900 killed"}}])
    assert any(c["check"] == "part_of" for c in api.get("/checks", role="auditor").json())
    sign_in(api, "auditor")
    for where in (f"/web/incidents/{world.incident}", "/web/checks", "/"):
        answer = api.client.get(where, headers=HTML)
        assert answer.status_code == 200, (where, answer.text[-500:])
    # The "Along" cell names the metric that is the part.
    assert re.search(r"</a></td>\s*<td>civilians killed", api.client.get("/web/checks", headers=HTML).text)


def test_a_sources_reports_are_paged_to_the_last_keeping_as_of_and_the_cut(api, world, monkeypatch):
    """A source's page lists its reports a page at a time; "more" reaches every one, as of a time
    and under a cut, and each link keeps both (it listed 500 and stopped)."""
    from api.web import pages

    monkeypatch.setattr(pages, "LISTED_REPORTS", 2)
    titles = {"SNHR report"}
    for n in range(4):
        title = f"Bulletin {n}"
        titles.add(title)
        api.ledger.file_report("officer-1", source_id=world.public_source, title=title, language="en",
                               published_on="2019-05-01", figures=[])
    sign_in(api, "reader")
    where, seen, pages_walked = (f"/web/sources/{world.public_source}?as_of=2100-01-01T00%3A00%3A00Z"
                                 "&published_by=2100-01-01"), [], 0
    while where:
        text = api.client.get(where.replace("&amp;", "&"), headers=HTML).text
        pages_walked += 1
        seen += re.findall(r'/web/reports/[^"]+" dir="auto">([^<]+)</a>', text)
        found = re.search(r'href="([^"]+)" id="reports-next"', text)
        where = found and found.group(1)
        if where:
            assert "as_of=2100-01-01T00%3A00%3A00Z" in where and "published_by=2100-01-01" in where
    assert sorted(seen) == sorted(titles) and pages_walked == 3


def test_the_dashboard_counts_every_incident_and_source_the_caller_may_see(api, world, monkeypatch):
    """The real counts, not the first page's length with a "+"; as of a time; and a reader's count
    of sources leaves the protected ones out (it would otherwise tell how many there are)."""
    from datetime import datetime, timezone

    from api.web import pages

    monkeypatch.setattr(pages, "LISTED", 1)  # the dashboard's list is a page of one: the count is not its length
    before = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    for n in range(3):
        api.ledger.record_incident("officer-1", title=f"Shelling {n}", places=["Idlib"], valid_from="2019-05-01")
    api.ledger.register_source("officer-1", name="Another witness", kind="witness", language="ar", protected=True)
    facts = lambda text: re.search(r'<ul class="facts">(.*?)</ul>', text, re.S).group(1)  # noqa: E731
    sign_in(api, "reader")
    now = facts(api.client.get("/", headers=HTML).text)
    then = facts(api.client.get("/", params={"as_of": before}, headers=HTML).text)
    assert ">4 incidents<" in now and ">2 sources<" in now and "+" not in now
    assert ">1 incidents<" in then and ">2 sources<" in then
    sign_in(api, "auditor")
    assert ">4 incidents<" in (seen := facts(api.client.get("/", headers=HTML).text)) and ">4 sources<" in seen
    listed = api.get("/sources?limit=500", role="reader").json()
    assert len(listed["items"]) == 2 and listed["next_cursor"] is None  # what the reader's count counts


def test_the_figure_page_gives_the_grades_reason_and_evidence_wherever_its_history_is_paged(api, world):
    """The latest grading's why beside the grade, read on its own (it is on the history's second
    page here); its evidence as the history shows it: a protected source's citation to auditors only."""
    from datetime import datetime, timezone

    version = lambda: api.ledger.figure(world.figure).version  # noqa: E731
    api.ledger.grade_figure("officer-1", world.figure, grade="weak", reason="one source, early",
                            expected_version=version())
    for n in range(60):  # the history's first page (50 versions, oldest first) ends before the grading below
        api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 200 + n},
                                  reason=f"recount {n}", expected_version=version())
    before = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    api.ledger.grade_figure("officer-1", world.figure, grade="confirmed", reason="two named lists agree",
                            evidence=[world.public_citation, world.protected_citation], expected_version=version())
    sign_in(api, "reader")
    text = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    grade = re.search(r'<dd id="grade">(.*?)</dd>', text, re.S).group(1)
    assert 'id="grade-reason">two named lists agree</q>' in grade and "officer-1" in grade
    assert f"/web/citations/{world.public_citation}" in grade and "protected source" in grade
    assert world.protected_citation not in text and "two named lists agree" not in _history_table(text)
    then = api.client.get(f"/web/figures/{world.figure}", params={"as_of": before}, headers=HTML).text
    assert 'id="grade-reason">one source, early</q>' in then and "two named lists" not in then
    cut = api.client.get(f"/web/figures/{world.figure}", params={"published_by": before}, headers=HTML).text
    assert 'id="grade-reason">one source, early</q>' in cut and "two named lists" not in cut  # an act counts from its recording
    sign_in(api, "auditor")
    seen = re.search(r'<dd id="grade">(.*?)</dd>', api.client.get(f"/web/figures/{world.figure}", headers=HTML).text,
                     re.S).group(1)
    assert f"/web/citations/{world.protected_citation}" in seen and "protected source" not in seen


def test_a_figure_never_graded_shows_no_reason(api, world):
    sign_in(api, "reader")
    text = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    assert 'id="grade"' in text and 'id="grade-reason"' not in text


def test_the_dashboard_lists_every_metric_a_metric_with_no_figure_as_no_data(api, world):
    """A metric nothing was recorded of is on the dashboard as "no data", never left out nor drawn as zero."""
    sign_in(api, "reader")
    text = api.client.get("/", headers=HTML).text
    metrics = {t["term"] for t in api.get("/vocabulary?kind=metric", role="reader").json()["terms"]}
    rows = dict(re.findall(r'<tr data-metric="([^"]+)">(.*?)</tr>', text, re.S))
    empty = [m for m in rows if api.get(f"/tallies/{m}", role="reader").json()["sum"]["kind"] == "no_data"]
    assert empty, "the world records no figure of some built-in metric"
    for metric in empty:
        count = re.search(r'<td class="num">(.*?)</td>', rows[metric], re.S).group(1)  # the count, then the figures
        assert "no data" in count and "0" not in count, metric
    assert set(rows) == metrics


def test_every_listed_step_of_a_count_tells_who_why_and_from_which_source(api, world):
    """Each of the 100 steps the count's page lists tells why (the version's reason), not the last
    30 alone; under a publication cut too, where the steps are the history cut there: over
    publication time (the kept steps), and over recording time when asked for (a replay)."""
    from api.web import pages

    for n in range(pages.LISTED_STEPS + 10):
        api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 300 + n},
                                  reason=f"tally {n}", expected_version=api.ledger.figure(world.figure).version)
    sign_in(api, "reader")
    cut = "?published_by=2100-01-01T00:00:00Z"
    for query, step in (("", "step"), (cut + "&order=recorded", "step"), (cut, "pstep"), ("?order=published", "pstep")):
        page = api.client.get("/web/tallies/civilians_killed" + query, headers=HTML)
        assert page.status_code == 200, page.text
        if query == cut:  # the chart over recording time cut there is a link, not drawn
            assert 'id="step-' not in page.text and "order=recorded" in page.text
        rows = re.findall(rf'<tr id="{step}-\d+" data-step="\d+">(.*?)</tr>', page.text, re.S)
        assert len(rows) == pages.LISTED_STEPS
        told = [re.search(r"because:.*?<q dir=\"auto\">tally (\d+)</q>", row, re.S) for row in rows]
        assert [int(t.group(1)) for t in told if t] == list(range(10, pages.LISTED_STEPS + 10)), query
        assert all("officer-1" in row for row in rows)


def test_a_count_page_kept_as_rendered_is_the_callers_own_and_made_afresh_once_the_log_moves(api, world):
    """The count's page is kept as rendered while the log's head stays put (render.kept_part): an
    auditor's (a protected source's citation named in its steps) is never a reader's, and a new event shows."""
    api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 110},
                              reason="the cell's count", evidence=[world.protected_citation],
                              expected_version=api.ledger.figure(world.figure).version)
    sign_in(api, "auditor")
    audited = api.client.get("/web/tallies/civilians_killed", headers=HTML).text
    assert [m for m in world.protected_markers() if m in audited]
    sign_in(api, "reader")
    read = api.client.get("/web/tallies/civilians_killed", headers=HTML).text
    assert not [m for m in world.protected_markers() if m in read]
    assert api.client.get("/web/tallies/civilians_killed", headers=HTML).text == read
    api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 77},
                              reason="kept no more", expected_version=api.ledger.figure(world.figure).version)
    assert "kept no more" in api.client.get("/web/tallies/civilians_killed", headers=HTML).text


def test_a_step_moved_by_many_changes_lists_ten_and_says_how_many_more(api, world):
    """A step moved by hundreds of words published the same day made a page of 10 MB at 1M events:
    a step lists 10 of its changes and says how many more the steps' file holds."""
    incidents = [api.ledger.record_incident("officer-1", title=f"Shelling {n}", places=["Idlib"],
                                            valid_from="2019-05-01")["incident_id"] for n in range(13)]
    filed = api.post("/reports", {"source_id": world.public_source, "title": "Thirteen", "language": "en",
                                  "published_on": "2019-06-03", "figures": [
        {"incident_id": i, "metric": "civilians_killed", "value": {"qualifier": "exact", "number": 1}}
        for i in incidents]})
    assert filed.status_code == 201, filed.text
    sign_in(api, "reader")
    text = api.client.get("/web/tallies/civilians_killed", params={"order": "published"}, headers=HTML).text
    lists = re.findall(r'<ul class="changes">(.*?)</ul>', text, re.S)
    assert lists and max(item.count("<li>") for item in lists) == 10
    assert "and 3 more changes" in text


def test_the_dashboard_checks_each_tallys_splits_against_it(api):
    """Each breakdown of a tally on the dashboard is set against the tally by the checks' rule, on a
    ledger of any size (the incidents' checks are a link there past a page of incidents): the
    seed's 71 + 37 by perpetrator make all 108 killed; 28 + 11 + 18 + 9 by facility type leave 16
    of the 82 attacks on vital facilities."""
    from ledger.seed import case_data, load_case

    load_case(api.ledger, case_data())
    sign_in(api, "reader")
    text = api.client.get("/", headers=HTML).text
    rows = dict(re.findall(r'<tr data-metric="([^"]+)">(.*?)</tr>', text, re.S))
    splits = {m: {d: (status, words) for d, status, words in re.findall(
        r'<summary>by (.*?): <span class="split-check check-(\w+)">(.*?)</span></summary>', row, re.S)}
        for m, row in rows.items()}
    killed = api.get("/tallies/civilians_killed?by=perpetrator", role="reader").json()
    assert killed["sum"]["low"] == 108 and killed["groups_sum"]["low"] == 108
    assert splits["civilians_killed"]["party responsible"] == ("complete", "complete"), splits
    attacks = api.get("/tallies/attacks_on_vital_facilities?by=facility_type", role="reader").json()
    assert (attacks["sum"]["low"], attacks["sum"]["high"], attacks["groups_sum"]["low"]) == (82, None, 66), attacks
    status, words = splits["attacks_on_vital_facilities"]["type of facility attacked"]
    assert status == "remainder" and "remainder of at least 16 not broken down" in words, splits
    assert all(found == {} for m, found in splits.items()
               if api.get(f"/tallies/{m}", role="reader").json()["sum"]["kind"] == "no_data"), splits


def test_the_months_say_what_each_month_holds_for_certain(api):
    """A year-long incident's whole count is in each month it overlaps; the table and the bars also
    give the incidents dated within the month alone, and the download carries both."""
    ledger = api.ledger
    source = ledger.register_source("officer-1", name="Monitor", kind="monitoring_network", language="en")["source_id"]
    for title, start, end, killed in (("Shelling in May", "2019-05-03", "2019-05-04", 12),
                                      ("The year's war", "2019-01-01", "2019-12-31", 1000)):
        incident = ledger.record_incident("officer-1", title=title, valid_from=start, valid_to=end)["incident_id"]
        ledger.file_report("officer-1", source_id=source, title=title, language="en", published_on="2020-01-10",
                           figures=[{"incident_id": incident, "metric": "civilians_killed",
                                     "value": {"qualifier": "exact", "number": killed, "quote": f"{killed} killed"}}])
    sign_in(api, "reader")
    page = api.client.get("/web/tallies/civilians_killed?months_from=2019-04&months_to=2019-06", headers=HTML).text
    rows = dict(re.findall(r'<tr data-month="([\d-]+)">.*?<td class="num within">(.*?)</td></tr>', page))
    assert rows["2019-05"] == "12" and "no data" in rows["2019-04"] and "no data" in rows["2019-06"], rows
    assert re.search(r'data-month="2019-05">.*?<rect class="within"', page, re.S)
    assert not re.search(r'data-month="2019-04">(?:(?!</g>).)*<rect class="within"', page, re.S)
    csv_text = api.client.get("/web/tallies/civilians_killed/months/download?format=csv&months_from=2019-05"
                              "&months_to=2019-05", headers=HTML).text
    row = next(csv.DictReader(io.StringIO(csv_text)))
    assert (row["low"], row["within_month_low"], row["within_month_kind"]) == ("1012", "12", "exact"), row
