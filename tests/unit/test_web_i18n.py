"""The pages write numbers, times and dates as Babel writes them (api/web/i18n.py finds each
language's patterns once, and writes whole numbers without Babel when Babel would write them
as Python does), and what a page's first request would load is loaded by ``warm``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from hypothesis import given, settings, strategies as st

from api.web import i18n
from api.web.i18n import LANGUAGES, Language

CODES = st.sampled_from(sorted(LANGUAGES))
# Aware times in zones other than UTC too: a moment is written in UTC whatever zone it came in.
ZONES = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=ZONES)


@settings(max_examples=300)
@given(code=CODES, value=st.integers(-(10**24), 10**24))
def test_a_whole_number_is_written_as_babel_writes_it(code: str, value: int) -> None:
    assert Language(code).number(value) == format_decimal(value, locale=code)


@settings(max_examples=300)
@given(code=CODES, value=MOMENTS)
def test_a_moment_is_written_as_babel_writes_it_in_utc(code: str, value: datetime) -> None:
    expected = format_datetime(value, "medium", tzinfo=timezone.utc, locale=code) + " UTC"
    assert Language(code).moment(value) == expected
    assert Language(code).moment(value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")) == expected


@settings(max_examples=200)
@given(code=CODES, value=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_a_day_is_written_as_babel_writes_it(code: str, value: date) -> None:
    assert Language(code).day(value) == Language(code).day(value.isoformat()) == format_date(
        value, "medium", locale=code)


def test_a_number_babel_writes_otherwise_is_still_babels(monkeypatch) -> None:
    i18n._groups.cache_clear()
    # A language whose probes Babel writes otherwise (here: a separator it does not use) keeps Babel's writing.
    monkeypatch.setattr(i18n, "get_group_symbol", lambda code: "\u066c")
    try:
        assert i18n._groups("en") is None
        assert Language("en").number(1234567) == format_decimal(1234567, locale="en") == "1,234,567"
    finally:
        i18n._groups.cache_clear()


def test_warm_loads_each_catalogue_and_pattern_and_writes_no_page_value() -> None:
    cached = (i18n._translations, i18n._direction, i18n._groups, i18n._medium)
    written = (i18n._moment, i18n._day, i18n._told, i18n._number_by_babel)
    for cache in (*cached, *written):
        cache.cache_clear()
    i18n.warm()
    assert all(cache.cache_info().currsize == len(LANGUAGES) for cache in cached)
    assert all(cache.cache_info().currsize == 0 for cache in written)
    assert Language("ar").gettext("Sign in") != "Sign in"  # the Arabic catalogue, loaded
