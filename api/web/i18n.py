"""The interface's languages: gettext catalogues (locales/<lang>/LC_MESSAGES/web.po, read with Babel)
and numbers and dates formatted for the language.

English is the language the templates are written in; a catalogue translates from it. The
``.po`` files are the source: they are compiled in memory when the app starts, so there is
no build step and no compiled file to forget.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
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

    def told(self, value: str | None) -> str:
        """A moment as a link or form gave it (the banner's "as of" and "published by"): a date and
        time as ``moment`` does, a date alone in the language's medium date format, and text that
        is neither as it was given (the page refuses it; an error page still tells it)."""
        return "" if not value else _told(value, self.code)


# Formatting with CLDR data costs 30-100 us a call, and pages repeat the same numbers and times.
@lru_cache(maxsize=2)
def _direction(code: str) -> str:
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=8192)
def _number(value: int, code: str) -> str:
    return format_decimal(value, locale=code)


@lru_cache(maxsize=8192)
def _moment(value: str | datetime, code: str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(value, "medium", tzinfo=timezone.utc, locale=code) + " UTC"


@lru_cache(maxsize=8192)
def _day(value: str | date, code: str) -> str:
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "medium", locale=code)


@lru_cache(maxsize=256)
def _told(value: str, code: str) -> str:
    text = value.strip()
    try:
        if len(text) == 10:  # YYYY-MM-DD: a day, with no time to show
            return _day(text, code)
        return _moment(text, code)
    except (ValueError, OverflowError):  # past datetime's range in UTC: a time the page refuses
        return value


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
