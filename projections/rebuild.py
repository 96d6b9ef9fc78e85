"""Rebuild a projection from the whole log: empty it, then follow from the first event.

The emptying (drop, create, position back to 0) is one transaction; the replay is the
ordinary follower, batch by batch, so a rebuild interrupted half-way simply resumes where
it stopped the next time anything follows the projection.

While a rebuild of the live views runs, readers see them partly rebuilt. To rebuild without
touching the live views (what the audit does to compare digests), rebuild under another
name: ``rebuild(store, name="views_check")`` builds a complete second copy beside them.

The command that runs it on a store is ``ledger rebuild`` (api/cli.py), wired in the
composition root (``api/bootstrap.rebuild_views``): this module is the library function alone.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from tqdm import tqdm

from ledger.application import Ledger
from ledger.store import Store
from projections.db import Db
from projections.views_digest import digest_db
from projections.follower import Follower, install, reset
from projections.views_schema import DEFAULT_NAME
from projections.views import Views


#: Larger than a live follower's batches: a replay writes the same index pages less often per
#: event when each transaction holds more (SQLite writes whole pages to its WAL at every commit).
REBUILD_BATCH = 20_000


def rebuild(
    store: Store, progress: bool = True, *, name: str = DEFAULT_NAME, ledger: Ledger,
    batch_size: int = REBUILD_BATCH,
) -> dict[str, Any]:
    """Drop and replay projection ``name`` from the log of ``ledger`` (its recorder and mapper; the caller's to close).

    Returns ``{"name", "position", "events", "seconds", "digest", "rows"}``: the last applied
    notification id, how many notifications were read, the replay's own time (not the
    digest's), the digest (views_digest.py) and the row count of each table.
    """
    projection = Views(name)
    install(store, projection, finish=False)
    # Already reset as a replay just below: the follower need not look at doing so itself.
    follower = Follower(store, projection, ledger=ledger, batch_size=batch_size, replay_from=None)
    try:
        with follower.db.transaction(commit=True) as cursor:
            reset(follower.db, cursor, projection, replay=True)
        head = follower.ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        with tqdm(total=head, unit="event", unit_scale=True, file=sys.stderr, disable=not progress,
                  desc=f"rebuilding {name}") as bar:
            def advance(position: int, count: int) -> None:
                # Ids, not counts: with PostgreSQL's gaps the bar still ends at the log's head.
                if position > bar.total:
                    bar.total = position
                bar.update(position - bar.n)

            # The catch-up ends with the replay's deferred work (Views.finish_replay: the read
            # indexes, the running tallies): the views are not whole for their readers before.
            events = follower.catch_up(on_batch=advance)
        seconds = time.perf_counter() - started
        result = digest_db(follower.db)
        return {"name": name, "position": result["position"], "events": events, "seconds": seconds,
                "digest": result["sha256"], "rows": result["rows"]}
    finally:
        follower.close()


def drop(store: Store, name: str) -> None:
    """Remove projection ``name`` entirely: its tables and its tracking table (e.g. a spent check copy)."""
    projection = Views(name)
    db = Db(store, name, pool_size=1)
    try:
        with db.transaction(commit=True) as cursor:
            projection.drop(db, cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {db.tracking_table}")
    finally:
        db.close()
