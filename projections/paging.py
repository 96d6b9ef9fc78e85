"""Pages of a listing and their cursors (keyset pagination: stable while the views grow).

A cursor names the listing that gave it out, so one list's cursor is refused by another.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from ledger.errors import InvalidInput
from ledger.limits import MAX_PAGE_SIZE as MAX_LIMIT


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return limit


def listing_page(kind: str, key: str, items: list[dict[str, Any]], more: bool) -> dict[str, Any]:
    """A page of a listing, with the cursor of the next page when there is one (keyset on ``key``)."""
    return {"items": items, "next_cursor": encode_cursor(kind, items[-1][key]) if more else None}


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([kind, key])).rstrip(b"=").decode()


def history_key(after: str) -> tuple[int, int]:
    """The (recorded_from, version) a figure-history cursor resumes after."""
    start, sep, version = after.partition(":")
    if not (sep and start.isdigit() and version.isdigit()):
        raise InvalidInput("cursor is not one this figure_history list gave out", field="cursor")
    return int(start), int(version)


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError, AttributeError):
        decoded = None
    if not (isinstance(decoded, list) and len(decoded) == 2 and decoded[0] == kind and isinstance(decoded[1], str)):
        raise InvalidInput(f"cursor is not one this {kind} list gave out", field="cursor")
    return decoded[1]
