"""Recording time as integers, valid time as ISO dates.

Recording time (when the ledger learnt something) is kept as microseconds since the Unix
epoch, UTC: it sorts the same way on SQLite and PostgreSQL, compares in an index without
any parsing, and carries the full precision of the library's timestamps. It leaves the
read side as ISO 8601 UTC text, 'YYYY-MM-DDTHH:MM:SS.ffffffZ', the form the audit trail uses.

Valid time (when the harm happened) stays as the ledger records it: ISO calendar dates,
which sort correctly as text.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from projections.db import OPEN

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time means different instants on machines in different zones.
        raise ValueError(f"as_of must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return (moment - EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return EPOCH + value * _MICRO


_NAIVE_EPOCH = datetime(1970, 1, 1)


def iso(value: int | None) -> str | None:
    """The canonical UTC text of a recording time; None for 'still current'."""
    if value is None or value >= OPEN:
        return None
    # isoformat is several times faster than strftime, and always writes the microseconds here.
    return (_NAIVE_EPOCH + value * _MICRO).isoformat(timespec="microseconds") + "Z"


def as_of_micros(as_of: datetime | None) -> int:
    """The instant a query looks at: ``None`` is now, i.e. whatever is still current."""
    return OPEN - 1 if as_of is None else micros(as_of)


def day(value: date | str | None, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        raise ValueError(f"{field} is a calendar date (YYYY-MM-DD), not a time")
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"{field} must be a date as YYYY-MM-DD, got {value!r}") from None
