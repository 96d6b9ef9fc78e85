"""Checks of free-form command fields: text, reasons, actors, dates, links, digests.

Each returns the cleaned value or raises InvalidInput naming the field, so that the API
can say exactly what was wrong.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from ledger.errors import InvalidInput

MAX_TEXT = 20_000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def text(value: object, field: str, *, required: bool = True, max_length: int = MAX_TEXT) -> str | None:
    """Free text, kept as written (Arabic and other right-to-left text untouched) but trimmed."""
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {type(value).__name__}", field=field)
    cleaned = value.strip()
    if not cleaned:
        if required:
            raise InvalidInput(f"{field} must not be empty", field=field)
        return None
    if len(cleaned) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    if "\x00" in cleaned:
        raise InvalidInput(f"{field} contains a NUL character", field=field)
    return cleaned


def reason(value: object) -> str:
    """Every change to a figure, citation or grade says why; a blank reason is no reason."""
    checked = text(value, "reason", required=False, max_length=5_000)
    if checked is None:
        raise InvalidInput("a reason is required: say why this change is made", field="reason")
    return checked


def actor(value: object) -> str:
    checked = text(value, "actor", required=False, max_length=200)
    if checked is None:
        raise InvalidInput("every command needs the actor who makes it", field="actor")
    return checked


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
    checked = text(value, field, required=False, max_length=2_000)
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
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
        raise InvalidInput(f"expected_version must be a positive whole number, got {value!r}", field="expected_version")
    return value
