"""Following the ledger's log: each event applied to a projection exactly once, on either store.

A pull loop, because SQLite has no subscriptions and because polling sees what every other
process wrote (the library's runners are woken only by saves in their own process). It
always reads *after* the last tracked id, never "last + 1": PostgreSQL's ids have
permanent gaps.

Each batch (up to ``batch_size`` notifications) is one transaction on the projection's
datastore: the view statements and the new tracking position commit together or not at
all, through eventsourcing's tracking recorder (``_insert_tracking``). A crash anywhere in
the batch leaves the views and the position as they were, and the next run starts again
from the same place.

Several followers of one projection may run at once (one per web worker). Each batch
first takes a write lock on the projection's tracking row and checks that the position is
still the one it read from; if another follower moved it meanwhile, the batch is dropped
unapplied and re-read. Without the check, two followers that read batches of different
lengths from the same start would both apply the overlap (the tracking upsert only refuses
a position that does not move forward, not one that skips applied work).

Any projection can be followed: an object with ``name``, ``topics`` (the topics it wants
decoded and applied; None for every event), ``create``/``drop`` (its DDL) and
``apply(db, cursor, notification, event)`` (or ``apply_batch(db, cursor, [(notification,
event), ...])``, to work a whole batch out at once). Notifications of other topics are not decoded,
but are tracked all the same, so the position always says how far the log has been read. The
events are the library's domain events, unless the projection has ``decoder(mapper)``: a
function from a notification to whatever its ``apply`` takes (the views' is decoding.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from eventsourcing.persistence import Notification, Tracking

from ledger.application import Ledger
from ledger.failure_lines import failure
from ledger.store import Store
from projections.db import Db
from projections.named_rows import shape

log = logging.getLogger(__name__)

UPSTREAM = Ledger.name
BATCH_SIZE = 5_000
#: A first catch-up (nothing applied yet) of a log at least this long is made as a replay (see
#: ``Follower.catch_up``); shorter ones apply batch by batch, as later catch-ups always do.
REPLAY_FROM = 10_000
#: The position a projection's tracking row holds.
_Tracked = shape("Tracked", "notification_id")


class Projection(Protocol):
    name: str
    topics: frozenset[str] | None

    def create(self, db: Db, cursor: Any) -> None: ...

    def drop(self, db: Db, cursor: Any) -> None: ...

    def apply(self, db: Db, cursor: Any, notification: Notification, event: Any) -> None: ...


class PositionMoved(Exception):
    """Another follower applied events since this one read its position; nothing was applied."""


def install(store: Store, projection: Projection, *, finish: bool = True) -> None:
    """Create a projection's tables and tracking (idempotent): the explicit schema step.

    It also finishes a replay left unfinished, unless the caller is about to start a new one
    (``finish=False``: a rebuild would drop that work at once)."""
    db = Db(store, projection.name, pool_size=1)
    try:
        db.tracking.create_table()
        with db.transaction(commit=True) as cursor:
            projection.create(db, cursor)
            _ensure_position(db, cursor)
        if finish:
            _finish_replay(db, projection)
    finally:
        db.close()


def _finish_replay(db: Db, projection: Projection) -> bool:
    pending = getattr(projection, "replay_pending", None)
    if pending is None:
        return False
    # Looked at in a read-only transaction first: most of the time there is nothing to do.
    with db.transaction(commit=False) as cursor:
        if not pending(db, cursor):
            return False
    with db.transaction(commit=True) as cursor:
        # Write-locked first (as a batch is), then looked at again: two followers finishing at
        # once would otherwise both do the work.
        _lock_position(db, cursor)
        if not pending(db, cursor):
            return False
        projection.finish_replay(db, cursor)  # type: ignore[attr-defined]
    return True


def _lock_position(db: Db, cursor: Any) -> None:
    # The no-op UPDATE is a write: it takes SQLite's write lock (waiting its busy timeout)
    # before this transaction reads anything, and PostgreSQL's row lock on the position.
    db.run(cursor, "UPDATE {tracking} SET notification_id = notification_id WHERE application_name = ?",
           (UPSTREAM,))


def reset(db: Db, cursor: Any, projection: Projection, *, replay: bool = False) -> None:
    """Empty a projection and put its position back before the first event (same transaction).

    With ``replay``, a projection that has ``create_for_replay`` is made with it (e.g. without
    indexes only its readers need, its sums left for the end); the first follower to catch up
    afterwards calls its ``finish_replay`` (see ``Follower.finish_replay``).
    """
    projection.drop(db, cursor)
    # Before the create: a projection made with nothing applied may say so (the views record
    # their schema version then).
    db.run(cursor, "DELETE FROM {tracking} WHERE application_name = ?", (UPSTREAM,))
    if replay and hasattr(projection, "create_for_replay"):
        projection.create_for_replay(db, cursor)
    else:
        projection.create(db, cursor)
    _ensure_position(db, cursor)


def _ensure_position(db: Db, cursor: Any) -> None:
    # A row from the start gives even the first batch a row to lock (see the module docstring).
    if db.one(cursor, "SELECT notification_id FROM {tracking} WHERE application_name = ?", (UPSTREAM,)) is None:
        db.tracking._insert_tracking(cursor, Tracking(UPSTREAM, 0))


class Follower:
    """Keeps one projection up to date with the ledger's log.

    ``ledger`` is any Ledger application on the same store (for its recorder and its
    mapper, which decrypts when the store has a cipher), given by whoever wires the product
    (api/bootstrap.py) and closed by them.
    """

    def __init__(
        self, store: Store, projection: Projection, *, ledger: Ledger,
        batch_size: int = BATCH_SIZE, pool_size: int = 2, replay_from: int | None = REPLAY_FROM,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.db = Db(store, projection.name, pool_size=pool_size)
        self.ledger = ledger
        make = getattr(projection, "decoder", None)
        self._decode = ledger.mapper.to_domain_event if make is None else make(ledger.mapper)
        self.last_error: BaseException | None = None
        self._replay_checked = False
        self.replay_from = replay_from

    # ---- where it stands ---------------------------------------------------------------

    def position(self) -> int:
        """The id of the last notification applied (0 before the first)."""
        return self.db.tracking.max_tracking_id(UPSTREAM) or 0

    def lag(self) -> int:
        """How many notification ids the projection is behind the log (ids, so gaps count)."""
        head = self.ledger.recorder.max_notification_id() or 0
        return max(0, head - self.position())

    # ---- applying ----------------------------------------------------------------------

    def step(self) -> int:
        """Apply the next batch; return how many notifications it held (0: nothing new, or lost a race)."""
        return self._step()[0]

    def _step(self) -> tuple[int, bool, int]:
        """(notifications applied, whether another follower got there first, position after)."""
        start = self.position()
        notifications = self.ledger.recorder.select_notifications(
            start=start, limit=self.batch_size, inclusive_of_start=False,
        )
        if not notifications:
            return 0, False, start
        topics = self.projection.topics
        decode = self._decode
        # Decoded before the transaction opens, so the write lock is held for SQL only.
        work = [(n, decode(n)) for n in notifications if topics is None or n.topic in topics]
        db = self.db
        try:
            with db.transaction(commit=True) as cursor:
                self._claim(cursor, start)
                if hasattr(self.projection, "apply_batch"):
                    self.projection.apply_batch(db, cursor, work)
                else:
                    for notification, event in work:
                        self.projection.apply(db, cursor, notification, event)
                db.tracking._insert_tracking(cursor, Tracking(UPSTREAM, notifications[-1].id))
        except PositionMoved:
            return 0, True, start
        return len(notifications), False, notifications[-1].id

    def _claim(self, cursor: Any, start: int) -> None:
        db = self.db
        _lock_position(db, cursor)
        row = db.one(cursor, f"SELECT {_Tracked.columns} FROM {{tracking}} WHERE application_name = ?", (UPSTREAM,),
                     shape=_Tracked)
        if row is None:
            raise RuntimeError(
                f"projection {self.projection.name!r} has no tracking row: run its create step"
                " (api.bootstrap.create_schema) before following"
            )
        if row.notification_id != start:
            raise PositionMoved(start, row.notification_id)

    def catch_up(
        self, *, on_batch: Callable[[int, int], None] | None = None, stop_event: threading.Event | None = None,
    ) -> int:
        """Apply batches until a read finds nothing new; return how many notifications this follower applied.

        ``on_batch(position, count)`` is called after each committed batch (progress bars);
        ``stop_event``, when set, ends the loop after the batch in hand (a long backlog need
        not be drained before a worker can shut down).
        """
        self._replay_first_catch_up()
        total = 0
        while stop_event is None or not stop_event.is_set():
            count, moved, position = self._step()
            if moved:
                continue
            if count == 0:
                if total or not self._replay_checked:
                    self.finish_replay()
                break
            total += count
            if on_batch is not None:
                on_batch(position, count)
        return total

    def _replay_first_catch_up(self) -> None:
        """Views that have applied nothing yet, facing a long log, are made as a replay.

        Nothing applied means nothing to keep: they can be made as a rebuild makes them
        (``create_for_replay``: indexes and sums left for the end, done once when caught up)
        instead of keeping every index and sum up batch by batch from an empty start.
        """
        if self.replay_from is None or self._replay_checked or not hasattr(self.projection, "create_for_replay"):
            return
        if self.position() != 0 or (self.ledger.recorder.max_notification_id() or 0) < self.replay_from:
            return
        db = self.db
        with db.transaction(commit=True) as cursor:
            _lock_position(db, cursor)
            # Looked at again under the lock: another follower may have started meanwhile.
            if db.one(cursor, "SELECT notification_id FROM {tracking} WHERE application_name = ?",
                      (UPSTREAM,)) == (0,):
                reset(db, cursor, self.projection, replay=True)

    def finish_replay(self) -> bool:
        """Once caught up, finish a replay left pending (by this or any follower); True if it did.

        A projection made with ``create_for_replay`` may leave work for the end (indexes, sums);
        whichever follower catches up first does it, so a rebuild interrupted after its last
        batch is finished by the next catch-up. Looked for after a catch-up that applied
        something, and on a follower's first; the schema step (``install``) looks too.
        """
        self._replay_checked = True
        return _finish_replay(self.db, self.projection)

    def run_forever(self, poll_interval: float = 0.5, stop_event: threading.Event | None = None) -> None:
        """Follow until ``stop_event`` is set (for a background thread). Errors are logged and retried."""
        stop_event = stop_event or threading.Event()
        backoff = poll_interval
        while not stop_event.is_set():
            try:
                self.catch_up(stop_event=stop_event)
            except Exception as error:  # noqa: BLE001 - a follower must outlive a bad moment of the database
                self.last_error = error
                log.error("projection %s: batch failed (%s); retrying", self.projection.name, failure(error))
                stop_event.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = poll_interval
            stop_event.wait(poll_interval)

    def close(self) -> None:
        self.db.close()  # the ledger is the caller's

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
