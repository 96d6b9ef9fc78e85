"""Checks of free-form command fields: text, reasons, actors, dates, links, digests, record ids.

Each returns the cleaned value or raises InvalidInput naming the field, so that the API
can say exactly what was wrong.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit
from uuid import UUID

from ledger.errors import InvalidInput, NotFound
from ledger.limits import (
    FIRST_RECORDED_YEAR, LAST_YEAR, MAX_ACTOR, MAX_MOMENT, MAX_REASON, MAX_TEXT, MAX_URL, MAX_VERSION,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

#: The control characters (Unicode Cc) no text may hold: all but tab and newline. NUL cannot
#: be stored in PostgreSQL; CR, ESC and the others let stored words rewrite what a terminal or
#: a log line shows around them. A regex class body, so that the API's schema patterns say the same
#: (lone surrogates are refused too, but JSON text cannot carry one, so the patterns need no word on them).
CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_UNFIT = re.compile(f"[{CONTROLS}\ud800-\udfff]")


def unfit_character(value: str) -> str | None:
    """Why ``value`` cannot be kept as text (its first control character or lone surrogate), or None."""
    found = _UNFIT.search(value)
    if found is None:
        return None
    kind = "a lone surrogate" if "\ud800" <= found.group() <= "\udfff" else "a control character"
    return (f"contains {kind} (U+{ord(found.group()):04X}): text may hold no control character"
            " but tab and newline, and no lone surrogate")


def plain(value: str, field: str) -> str:
    """``value``, or InvalidInput naming ``field`` when it holds a character no text may hold."""
    why = unfit_character(value)
    if why is not None:
        raise InvalidInput(f"{field} {why}", field=field)
    return value


def text(value: object, field: str, *, required: bool = True, max_length: int = MAX_TEXT) -> str | None:
    """Free text, kept as written (Arabic and other right-to-left text untouched) but trimmed."""
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {type(value).__name__}", field=field)
    cleaned = plain(value, field).strip()
    if not cleaned:
        if required:
            raise InvalidInput(f"{field} must not be empty", field=field)
        return None
    if len(cleaned) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return cleaned


def reason(value: object) -> str:
    """Every change to a figure, citation or grade says why; a blank reason is no reason."""
    checked = text(value, "reason", required=False, max_length=MAX_REASON)
    if checked is None:
        raise InvalidInput("a reason is required: say why this change is made", field="reason")
    return checked


def actor(value: object) -> str:
    checked = text(value, "actor", required=False, max_length=MAX_ACTOR)
    if checked is None:
        raise InvalidInput("every command needs the actor who makes it", field="actor")
    return checked


_MOMENT_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T")
_BARE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: What a bare date stands for: the last microsecond of that day in UTC, as a publication
#: cut-off's date does (projections/publication.py ``check_published_by``): "as of 1 May" is
#: the ledger as it stood once 1 May was over.
_END_OF_DAY, _START_OF_DAY = "T23:59:59.999999+00:00", "T00:00:00+00:00"


def read_moment(value: str, *, opens: bool = False) -> datetime:
    """A recording time (as_of, since, until) as the API, the pages and ``ledger export`` take it:
    ISO 8601 with a zone, or a bare date (YYYY-MM-DD) meaning the whole of that day in UTC: its
    end (as of the day, until it is over), or its start for a time that ``opens`` a span (since
    the day began); written in a year from FIRST_RECORDED_YEAR to LAST_YEAR; else ValueError
    saying why, without the field's name (pydantic's errors and ``moment`` add it)."""
    shape = "must be a date (YYYY-MM-DD) or an ISO 8601 date and time with a zone, e.g. 2019-05-01T10:00:00Z"
    if len(value) > MAX_MOMENT:
        raise ValueError(shape)
    if _BARE_DATE.fullmatch(value):
        value += _START_OF_DAY if opens else _END_OF_DAY
    elif not _MOMENT_SHAPE.match(value):
        raise ValueError(shape)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(shape) from None
    if parsed.utcoffset() is None:  # a naive time means different instants on machines in different zones
        raise ValueError("must carry a time zone (UTC), e.g. 2019-05-01T10:00:00Z")
    if parsed.year < FIRST_RECORDED_YEAR:
        raise ValueError(f"must be {FIRST_RECORDED_YEAR} or later: it is the time the ledger recorded something")
    if parsed.year > LAST_YEAR:
        raise ValueError(f"must be {LAST_YEAR} or earlier")
    return parsed


#: The times that open a span (``since``): a bare date there is the day's start.
OPENING = frozenset({"since"})


def moment(value: str, field: str) -> datetime:
    """``read_moment``, or InvalidInput naming ``field``."""
    try:
        return read_moment(value, opens=field in OPENING)
    except ValueError as why:
        raise InvalidInput(f"{field} {why}", field=field) from None


def iso_date(value: object, field: str, *, required: bool = False) -> str | None:
    """Valid time is kept as ISO 8601 calendar dates (YYYY-MM-DD)."""
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required (YYYY-MM-DD)", field=field)
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise InvalidInput(f"{field} must be a date as YYYY-MM-DD, got {value!r}", field=field)


def period(start: object, end: object, start_field: str, end_field: str, *, start_required: bool) -> tuple[str | None, str | None]:
    lo = iso_date(start, start_field, required=start_required)
    hi = iso_date(end, end_field)
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInput(f"{start_field} {lo} is after {end_field} {hi}", field=start_field)
    if lo is None and hi is not None:
        raise InvalidInput(f"{end_field} given without {start_field}", field=start_field)
    return lo, hi


def url(value: object, field: str = "url") -> str | None:
    checked = text(value, field, required=False, max_length=MAX_URL)
    if checked is None:
        return None
    parts = urlsplit(checked)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{field} must be an http(s) URL, got {checked!r}", field=field)
    return checked


def sha256(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.match(value.lower()):
        raise InvalidInput("sha256 must be 64 hexadecimal characters", field="sha256")
    return value.lower()


def text_list(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise InvalidInput(f"{field} must be a list of text", field=field)
    return [text(item, field) for item in value]  # type: ignore[misc]


def flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def version(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise InvalidInput(f"expected_version must be a positive whole number, got {value!r}", field="expected_version")
    return value


def record_id(ident: object, kind: str) -> UUID:
    """The id of a record of ``kind`` a command names; an id that is no UUID names no record (NotFound)."""
    if isinstance(ident, UUID):
        return ident
    try:
        return UUID(str(ident))
    except ValueError:
        raise NotFound(kind, ident) from None
