"""What the ledger needs from whoever vouches for the history it reads (the audit trail).

The ledger decides from stored events; before it does, an injected check may refuse any
event the audit trail does not cover (projections/audit/coverage.py is the one the product
plugs in, in api/bootstrap.py). The domain names the check's shape here and imports nothing
of the read side.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID


class CoverageCheck(Protocol):
    def events(self, uid: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
               limit: int | None = None) -> list[Any]:
        """The record's stored events, decoded, as ``recorder.select_events`` selects them;
        raises HistoryNotCovered for one the audit trail does not cover."""

    def close(self) -> None: ...
