"""The base of every ledger event: who recorded it.

When it was recorded is the library's own ``timestamp`` (UTC, the server's clock, set when
the event is made); who is the ``actor`` the caller vouches for (the API takes it from the
authenticated key, never from the request body).
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate


class LedgerEvent(Aggregate.Event):
    actor: str


class LedgerCreated(LedgerEvent, Aggregate.Created):
    pass
