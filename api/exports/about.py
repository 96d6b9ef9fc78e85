"""What every export says about where it was made: the ledger position, the audit tree's size at
that position (so it can be checked against a signed checkpoint of that size or later), and
what was asked. The API and ``ledger export`` both state it through here."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("api")


def stated(position: int, trail: Any | None, **asked: Any) -> dict[str, Any]:
    """``{"ledger_position", "tree_size", **asked}``: None values left out; times as ISO 8601.

    ``tree_size`` is None when there is no audit trail, or it cannot be read (the export is
    still given: the position alone says where it was made; the log says why)."""
    size = None
    if trail is not None:
        try:
            size = trail.size_at(position)
        except Exception as error:  # noqa: BLE001 - the export stands without it
            log.warning("export: the audit tree size could not be read: %s", type(error).__name__)
    return {"ledger_position": position, "tree_size": size,
            **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asked.items() if v is not None}}


def pinned(as_of: datetime | None) -> datetime:
    """The moment a long export reads as of, fixed at its start, so that its pages, each read on
    its own, make one consistent cut: every page sees the ledger as it was then."""
    return as_of if as_of is not None else datetime.now(UTC)
