"""The interface's languages: gettext catalogues (locales/<lang>/LC_MESSAGES/web.po, read with Babel)
and numbers and dates formatted for the language.

English is the language the templates are written in; a catalogue translates from it. The
``.po`` files are the source: they are compiled in memory once a process (the server does
it before it serves, ``warm``), so there is no build step and no compiled file to forget.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_date_format, get_datetime_format, get_time_format, match_skeleton, parse_pattern
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_group_symbol
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "ar": "العربية"}
DEFAULT = "en"
COOKIE = "ledger_lang"


@cache
def _translations(lang: str) -> NullTranslations:
    po = LOCALES / lang / "LC_MESSAGES" / "web.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@dataclass(frozen=True, slots=True)
class Language:
    code: str

    def gettext(self, message: str, **values: Any) -> str:
        text = _translations(self.code).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        """The message for ``count`` things, in the language's plural forms (Arabic has six)."""
        text = _translations(self.code).ngettext(singular, plural, count)
        return text % values if values else text

    @property
    def dir(self) -> str:
        return _direction(self.code)

    def number(self, value: int | None) -> str:
        return "" if value is None else _number(value, self.code)

    def moment(self, value: str | datetime | None) -> str:
        """A recording time, in UTC, in the language's medium format."""
        return "" if value is None else _moment(value, self.code)

    def day(self, value: str | date | None) -> str:
        """A date of valid time or of publication (YYYY-MM-DD), in the language's medium date format."""
        return "" if value is None else _day(value, self.code)

    def month(self, value: str | None) -> str:
        """A month of valid time (YYYY-MM) as the language writes a year and month: CLDR's ``yMMM``
        skeleton ("Jan 2019", "يناير 2019"), in the digits ``number`` writes."""
        return "" if not value else _month(value, self.code)

    def language(self, code: str | None) -> str:
        """A language by its BCP 47 tag (a source's or report's), named as this language names it
        ("ar" on an English page: "Arabic"); a tag CLDR does not know, as given."""
        return "" if not code else _language(code, self.code)

    def told(self, value: str | None) -> str:
        """A moment as a link or form gave it (the banner's "as of" and "published by"): a date and
        time as ``moment`` does, a date alone in the language's medium date format, and text that
        is neither as it was given (the page refuses it; an error page still tells it)."""
        return "" if not value else _told(value, self.code)


# Formatting with CLDR data costs 20-70 us a call through Babel's functions (most of it finding
# the locale and its patterns again), and pages repeat the same numbers and times.
@lru_cache(maxsize=2)
def _direction(code: str) -> str:
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


#: Whole numbers Babel is asked to write once per language, to see whether it writes them as
#: Python's ``f"{n:,}"`` does but for the group separator.
_PROBES = (0, 7, -7, 999, 1000, -1000, 1234567, -98765432109, 10**21 + 1)


@lru_cache(maxsize=2)
def _groups(code: str) -> str | None:
    """The language's group separator when Babel writes every probe as ``f"{n:,}"`` with it (CLDR's
    ``#,##0.###`` in Latin digits: English and Arabic alike), else None: Babel writes each number."""
    group = get_group_symbol(code)
    ours = [f"{n:,}".replace(",", group) for n in _PROBES]
    return group if ours == [format_decimal(n, locale=code) for n in _PROBES] else None


def _number(value: int, code: str) -> str:
    group = _groups(code) if type(value) is int else None
    if group is None:
        return _number_by_babel(value, code)
    text = f"{value:,}"
    return text if group == "," else text.replace(",", group)


@lru_cache(maxsize=8192)
def _number_by_babel(value: int, code: str) -> str:
    return format_decimal(value, locale=code)


@dataclass(frozen=True, slots=True)
class _Medium:
    """A language's medium date and time patterns, found and parsed once: what Babel's
    ``format_datetime`` and ``format_date`` look up again on every call before applying them."""

    locale: Locale
    joined: str  # "{1}, {0}": where the date and the time go
    time: Any
    date: Any


@lru_cache(maxsize=2)
def _medium(code: str) -> _Medium:
    locale = Locale.parse(code)
    return _Medium(locale, get_datetime_format("medium", locale=locale).replace("'", ""),
                   parse_pattern(get_time_format("medium", locale=locale)),
                   parse_pattern(get_date_format("medium", locale=locale)))


@lru_cache(maxsize=8192)
def _moment(value: str | datetime, code: str) -> str:
    """As ``format_datetime(value, "medium", tzinfo=timezone.utc, locale=code)`` writes it, in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    value = (value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    medium = _medium(code)
    return medium.joined.replace("{0}", medium.time.apply(value.timetz(), medium.locale)).replace(
        "{1}", medium.date.apply(value.date(), medium.locale)) + " UTC"


@lru_cache(maxsize=8192)
def _day(value: str | date, code: str) -> str:
    """As ``format_date(value, "medium", locale=code)`` writes it."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    medium = _medium(code)
    return medium.date.apply(day.date() if isinstance(day, datetime) else day, medium.locale)


@lru_cache(maxsize=1024)
def _month(value: str, code: str) -> str:
    return format_date(date(int(value[:4]), int(value[5:7]), 1), _year_and_month(code), locale=code)


@lru_cache(maxsize=2)
def _year_and_month(code: str) -> Any:
    """CLDR's pattern for the skeleton, found once: matching a skeleton costs 140 us a call."""
    skeletons = Locale.parse(code).datetime_skeletons
    return skeletons[match_skeleton("yMMM", skeletons)]


@lru_cache(maxsize=256)
def _language(tag: str, code: str) -> str:
    try:
        return Locale.parse(tag, sep="-").get_display_name(code) or tag
    except (ValueError, UnknownLocaleError):
        return tag


@lru_cache(maxsize=256)
def _told(value: str, code: str) -> str:
    text = value.strip()
    try:
        if len(text) == 10:  # YYYY-MM-DD: a day, with no time to show
            return _day(text, code)
        return _moment(text, code)
    except (ValueError, OverflowError):  # past datetime's range in UTC: a time the page refuses
        return value


def warm() -> None:
    """Load what a page's first words, numbers and times would otherwise load inside a request (at
    1M events 35 ms of the first page's CPU: the first number written in English loaded 28 ms of
    CLDR data): each language's catalogue, compiled from its ``.po``, its direction, its way of
    writing numbers and its medium patterns. The server calls it before it serves (api/app.py
    ``warm``); it writes the probes alone, never a record's numbers or words, so the caches of
    what pages wrote stay empty."""
    for code in LANGUAGES:
        _translations(code)
        _direction(code)
        _groups(code)
        _medium(code)
        _year_and_month(code)


def choose(request: Any) -> Language:
    """``?lang=`` when given, else the language cookie, else the browser's first known language."""
    for wanted in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if wanted in LANGUAGES:
            return Language(wanted)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return Language(code)
    return Language(DEFAULT)
