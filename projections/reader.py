"""The read side's questions, answered from the view tables only (never by replaying the log).

Every answer is plain JSON-ready data: dicts, lists, strings, integers, None. Times are ISO
8601 UTC text ('2019-05-01T10:00:00.000000Z'), dates 'YYYY-MM-DD'.

Common arguments:

- ``as_of``: a timezone-aware datetime in *recording* time: the answer the ledger would
  have given at that instant (None: now). Read with ``recorded_from <= T < recorded_to``
  on indexed version tables.
- ``valid_from`` / ``valid_to``: a window in *valid* time (dates). An incident counts where
  its period overlaps the window; an open-ended period reaches to infinity. The period used
  is the one recorded as of ``as_of``.
- ``place``: only incidents whose places include it (case-blind, as written).
- ``include_protected``: False hides protected sources (redaction.py); answers that name no
  source (tallies, checks) accept it for a uniform call and are the same either way.

Lists are pages: ``{"items": [...], "next_cursor": str | None}``; pass the cursor back to
get the next page (keyset pagination: stable while the views grow).

Bad input raises ledger.errors.InvalidInput (naming the field); an unknown or hidden record
raises ledger.errors.NotFound, the same way for both, so a hidden source cannot be told
from one that does not exist.
"""

from __future__ import annotations

from ledger.store import Store
from ledger.terms import TermCheck
from projections.by_id import RecordReads
from projections.db import Db
from projections.figure_history_reads import FigureHistoryReads
from projections.figure_reads import FigureReads
from projections.follower import UPSTREAM
from projections.paging import MAX_LIMIT
from projections.record_listings import RecordListings
from projections.tally_history_reads import TallyHistoryReads
from projections.tally_months import TallyMonths
from projections.tally_reads import TallyReads
from projections.views_schema import DEFAULT_NAME

__all__ = ["MAX_LIMIT", "Reader"]


class Reader(TallyReads, TallyMonths, TallyHistoryReads, FigureReads, FigureHistoryReads, RecordListings, RecordReads):
    """Queries over projection ``name`` (default: the live views) of ``store``; each kind of
    question is answered by the module of its mixin (docs/where-things-live.md)."""

    def __init__(self, store: Store, *, name: str = DEFAULT_NAME, pool_size: int | None = None,
                 terms: TermCheck | None = None) -> None:
        self.db = Db(store, name, pool_size=pool_size)
        #: The vocabulary the arguments are checked against: the ledger's (api/bootstrap.py), or the built-ins.
        self.terms = terms if terms is not None else TermCheck.built_in()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def position(self) -> int:
        """The last notification id the views reflect."""
        return self.db.tracking.max_tracking_id(UPSTREAM) or 0
