"""Numbers and dates on a page are formatted for its language, as Babel formats them for the
locale (CLDR's digits and patterns, whatever they are for ``ar``), the banner's "as of" and
"published by" among them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from api.web import i18n
from tests.e2e.web.test_pages import HTML, sign_in

NUMBER = 12345  # past a thousand: unformatted, it would read "12345"


def _banner(text: str) -> str:
    return text.split('class="banner"')[1].split("</div>")[0]


@pytest.mark.parametrize("code", ["ar", "en"])
def test_a_page_formats_its_numbers_and_the_banners_moments_for_its_language(api, world, code):
    api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": NUMBER},
                              reason="the final list", expected_version=api.ledger.figure(world.figure).version)
    as_of = datetime.now(UTC)  # after the correction (the banner shows it to the second)
    cut = date(2030, 6, 1)
    sign_in(api, "reader")
    text = api.client.get(f"/web/figures/{world.figure}", headers={**HTML, "Accept-Language": code}, params={
        "as_of": as_of.isoformat().replace("+00:00", "Z"), "published_by": cut.isoformat()}).text
    assert f'lang="{code}"' in text and f'dir="{"rtl" if code == "ar" else "ltr"}"' in text
    assert f'id="current-value">{format_decimal(NUMBER, locale=code)}<' in text
    banner = _banner(text)
    assert format_datetime(as_of, "medium", tzinfo=UTC, locale=code) + " UTC" in banner
    assert format_date(cut, "medium", locale=code) in banner
    assert "Z" not in banner and cut.isoformat() not in banner  # not the text of the link
    assert ". " in banner.split("<a")[0]  # two sentences, not run together


def test_the_languages_dates_differ_and_text_that_is_no_moment_is_told_as_given():
    ar, en = i18n.Language("ar"), i18n.Language("en")
    assert ar.told("2019-05-01T10:00:00Z") != en.told("2019-05-01T10:00:00Z")
    assert en.told("2019-05-01T10:00:00Z").startswith("May 1, 2019") and ar.told("2019-05-01T10:00:00Z") == (
        format_datetime(datetime(2019, 5, 1, 10, tzinfo=UTC), "medium", tzinfo=UTC, locale="ar") + " UTC")
    assert en.told("2019-05-01T10:00:00") == en.told("2019-05-01T10:00:00+00:00")  # the banner tells a zoneless text as UTC (the page itself refuses it: read_moment)
    assert en.told("2019-06-01") == format_date(date(2019, 6, 1), "medium", locale="en")
    assert en.told("yesterday") == "yesterday" and en.told(None) == ""


@pytest.mark.parametrize("code", ["ar", "en"])
def test_every_date_a_page_shows_is_formatted_for_its_language_and_kept_machine_readable(api, world, code):
    """Valid time and publication dates (a day: Babel's medium date) and the audit trail's recording times
    (a moment), each in a <time> element whose datetime is the ISO value the ledger keeps."""
    actor, start, end, published = "officer-1", date(2019, 4, 27), date(2019, 5, 11), date(2019, 5, 14)
    incident = api.ledger.record_incident(actor, title="Shelling of Kafr Nabudah", places=["Kafr Nabudah"],
                                          valid_from=start.isoformat(), valid_to=end.isoformat())["incident_id"]
    report = api.ledger.file_report(actor, source_id=world.public_source, title="Monthly report", language="en",
                                    published_on=published.isoformat(), figures=[
                                        {"incident_id": incident, "metric": "civilians_killed", "breakdown": {},
                                         "value": {"qualifier": "exact", "number": 12}}])
    figure = report["figures"][0]["figure_id"]

    def shown(day: date) -> str:
        return f'<time datetime="{day.isoformat()}">{format_date(day, "medium", locale=code)}</time>'

    sign_in(api, "reader")
    pages = {path: api.client.get(path, headers={**HTML, "Accept-Language": code}).text for path in (
        f"/web/incidents/{incident}", "/web/incidents", f"/web/reports/{report['report_id']}",
        f"/web/sources/{world.public_source}", f"/web/figures/{figure}")}
    for path, days in ((f"/web/incidents/{incident}", (start, end)), ("/web/incidents", (start, end)),
                       (f"/web/reports/{report['report_id']}", (published,)),
                       (f"/web/sources/{world.public_source}", (published,)), (f"/web/figures/{figure}", (published,))):
        for day in days:
            assert shown(day) in pages[path], (path, day)
            assert f">{day.isoformat()}<" not in pages[path], (path, day)  # never the raw ISO date as text
    sign_in(api, "auditor")
    audit = api.client.get("/web/audit", headers={**HTML, "Accept-Language": code}).text
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', audit)
    assert times and all(text == i18n.Language(code).moment(iso) for iso, text in times), times[:3]
    assert all(text == format_datetime(datetime.fromisoformat(iso.replace("Z", "+00:00")), "medium", tzinfo=UTC,
                                       locale=code) + " UTC" for iso, text in times)
