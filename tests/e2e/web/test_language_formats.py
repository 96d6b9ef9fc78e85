"""Numbers and dates on a page are formatted for its language, as Babel formats them for the
locale (CLDR's digits and patterns, whatever they are for ``ar``), the banner's "as of" and
"published by" among them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from babel.dates import format_date, format_datetime, format_skeleton
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


def test_a_month_is_written_as_the_language_writes_a_year_and_month():
    """CLDR's year-and-month skeleton: English's abbreviated month, Arabic's month name, both in the
    Latin digits the pages keep (docs/web.md)."""
    en, ar = i18n.Language("en"), i18n.Language("ar")
    assert [en.month(m) for m in ("2019-01", "2019-09", "2024-12")] == ["Jan 2019", "Sep 2019", "Dec 2024"]
    assert ar.month("2019-01") == "يناير 2019" and ar.month("2019-05") == "مايو 2019"
    assert all(ar.month(f"2019-{m:02}") == format_skeleton("yMMM", date(2019, m, 1), locale="ar") for m in range(1, 13))
    assert len({ar.month(f"2019-{m:02}") for m in range(1, 13)}) == 12 and en.month(None) == ""


@pytest.mark.parametrize("code", ["ar", "en"])
def test_the_count_pages_months_are_written_for_its_language_and_kept_machine_readable(api, world, code):
    """The table, the bar chart's axis and titles and the pickers tell each month as the language writes it;
    the <time> tags, the data attributes, the fields and the download links keep YYYY-MM."""
    api.ledger.record_incident("officer-1", title="Later strike", places=["Idlib"], valid_from="2019-07-03",
                               valid_to="2019-07-03")
    sign_in(api, "reader")
    # The months asked for: the world's ongoing incident would carry the default span to today.
    page = api.client.get("/web/tallies/civilians_killed?months_from=2019-01&months_to=2019-07",
                          headers={**HTML, "Accept-Language": code}).text
    listed = re.findall(r'<tr data-month="([\d-]+)"><td><time datetime="([\d-]+)">([^<]+)</time></td>', page)
    assert [m for m, _, _ in listed][-1] == "2019-07" and len(listed) >= 3
    for month, tagged, text in listed:
        written = format_skeleton("yMMM", date(int(month[:4]), int(month[5:]), 1), locale=code)
        assert tagged == month and text == written
        assert re.search(rf'data-month="{month}">\s*<title>{re.escape(written)}: ', page), month
        assert f">{month}<" not in page  # nowhere the raw month as text
    labels = re.findall(r'<text class="axis-label"[^>]*text-anchor="middle">([^<]+)</text>', page)
    assert labels == [text for _, _, text in listed]  # twelve months or fewer: each named on the axis
    first, last = listed[0][0], listed[-1][0]
    assert f'id="months_from" name="months_from" value="{first}"' in page
    assert f'<p class="help" id="months_to-shown"><time datetime="{last}">{listed[-1][2]}</time></p>' in page
    download = re.search(r'href="([^"]+/months/download\?[^"]*format=csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert f"months_from={first}" in download and f"months_to={last}" in download
