"""Running a command's work and saving it: in one transaction, at most once per request key, no update lost.

A command's work is a function of whether to read fresh (``Work``): it validates
everything, changes records and returns what the command answers and what it saves. It
is saved in one transaction with its receipt when a request key is given, so a retry that
reaches any process answers the first response and records nothing. A race lost on the
save is retried only for commands whose changes only add; the others fail with
VersionConflict naming the current version, so that the officer decides again.

A request key is its actor's; a ``ContentKey`` (ledger/receipt.py) is the whole ledger's, so
its receipt answers whoever sends the same content (the first sender stays its actor).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger import checks
from ledger.errors import LedgerError, NotFound, VersionConflict
from ledger.failure_lines import failure
from ledger.figure import Figure
from ledger.limits import MAX_REQUEST_KEY
from ledger.loading import KINDS, RecordLoading
from ledger.receipt import ContentKey, Receipt, fingerprint, receipt_id
from ledger.replay import replay

A = TypeVar("A", bound=Aggregate)

#: How often a command whose changes only add (a report's claims, a citation) is retried
#: when it races another writer; commands that change a value never retry silently.
ADDITIVE_RETRIES = 5

#: A command's work: given whether to read the records it changes fresh from the store
#: (True) or to trust this process's cache (False), what it answers and what it saves.
Work = Callable[[bool], tuple[dict[str, Any], Sequence[Aggregate | Aggregate.Event]]]

log = logging.getLogger(__name__)


class AtMostOnce(RecordLoading):
    """The part of the ledger's application that saves what commands make (see the module's docstring)."""

    @staticmethod
    def _expect(aggregate: A, expected_version: int | None) -> A:
        expected_version = checks.version(expected_version)
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(KINDS[type(aggregate)], aggregate.id, expected_version, aggregate.version)
        return aggregate

    def answered(self, actor: str, request_key: str) -> dict[str, Any] | None:
        """The answer a request key already had, or None: a batch resumes past what it recorded."""
        receipt = self._receipt(checks.actor(actor), request_key)
        return None if receipt is None else receipt.result

    def _receipt(self, actor: str, request_key: str) -> Receipt | None:
        # A receipt never changes once recorded: a cached one is the answer. One that is not
        # cached may have been recorded by another process, so the store is asked.
        try:
            return self._existing(Receipt, receipt_id(actor, request_key))
        except NotFound:
            return None

    def _save(self, *changes: Aggregate | Aggregate.Event) -> None:
        """Save aggregates' pending events, and events made without loading their aggregate."""
        # Application.save, less its per-object isinstance checks against the library's
        # runtime Protocols (slow on CPython 3.11).
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for change in changes:
            if isinstance(change, Aggregate):
                processing.events.extend(change.collect_events())
                processing.aggregates[change.id] = change
            else:
                processing.events.append(change)
        self._notify(self._record(processing))
        self._take_snapshots(processing)
        # The saved copies are now exactly what is stored: cache them, so the next command
        # on the same records neither replays nor fast-forwards them. (The library caches
        # on save only when fast-forwarding is off.) Only ever after the commit, so the
        # cache can lag the store (another process wrote) but never run ahead of it.
        cache = self.repository.cache
        if cache is not None:
            for aggregate in processing.aggregates.values():
                cache.put(aggregate.id, aggregate)
        # A cached copy of a record changed by a lone event is now behind: drop it.
        self._forget([c for c in changes if not isinstance(c, Aggregate)])

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        # The saved figure is in hand at the snapshot's version: snapshot it as it is rather
        # than reading it back from the store, as the library does.
        if self.snapshots is None:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            # A claim saved on its own (file_report on an uncached figure) has no aggregate in hand.
            cls = Figure if aggregate is None and isinstance(event, Figure.Claimed) else type(aggregate)
            interval = self.snapshotting_intervals.get(cls)
            if interval is None or event.originator_version % interval:
                continue
            # A snapshot only saves work on later loads, and by now the command is committed:
            # failing to store one must not turn a recorded command into an error.
            try:
                if aggregate is not None and aggregate.version == event.originator_version:
                    self.snapshots.put([Aggregate.Snapshot.take(aggregate)])
                else:
                    self.take_snapshot(event.originator_id, event.originator_version, replay)
            except Exception as error:  # noqa: BLE001
                log.warning("could not store a snapshot of %s (%s)", event.originator_id, failure(error))

    def _run(
        self, actor: str, request_key: str | None, command: str, arguments: dict[str, Any], work: Work,
        *, additive: bool = True,
    ) -> dict[str, Any]:
        """Run a command's work and save what it made, at most once per request key.

        A race lost on the save is retried only for additive commands; for the others the
        caller learns the current version and decides again, so no change is lost silently.
        """
        actor = checks.actor(actor)
        digest = None
        if request_key is not None:
            checked = checks.text(request_key, "request_key", max_length=MAX_REQUEST_KEY)
            request_key = ContentKey(checked) if isinstance(request_key, ContentKey) else checked
            digest = fingerprint(command, arguments)
            # Before the work, only this process's cache is asked (no read): a request whose
            # receipt is stored but not cached here still records nothing, because its save
            # carries the same receipt (same id, version 1) and so fails on the store's unique
            # (id, version); every failure below then asks the store for the receipt and
            # answers with the first response.
            if isinstance(earlier := self._peek(receipt_id(actor, request_key)), Receipt):
                return earlier.replay(digest)
        # The first attempt trusts the cache for the records it changes (no read at all on a
        # hit). If it is refused, or its save loses on a version, the cache may have been
        # stale (another process wrote): the work is done once more on fresh reads, and only
        # that attempt's outcome counts, exactly as if the cache had not been there.
        fresh = False
        attempts = ADDITIVE_RETRIES if additive else 1
        while True:
            try:
                result, aggregates = work(fresh)
            except LedgerError:
                # The twin of this request may have committed between our receipt check and
                # our work (which then fails on its changes): the first answer is the answer.
                if request_key is not None and (earlier := self._receipt(actor, request_key)) is not None:
                    return earlier.replay(digest)
                if not fresh:
                    fresh = True
                    continue
                raise
            receipt = [] if request_key is None else [Receipt.issue(actor, request_key, command, digest, result)]
            try:
                self._save(*aggregates, *receipt)
            except IntegrityError:
                if request_key is not None and (earlier := self._receipt(actor, request_key)) is not None:
                    return earlier.replay(digest)
                self._forget(aggregates)
                if not fresh:
                    fresh = True
                    continue
                attempts -= 1
                if attempts > 0:
                    continue
                self._raise_conflict(aggregates, arguments.get("expected_version"))
                raise
            return result

    def _forget(self, changes: Sequence[Aggregate | Aggregate.Event]) -> None:
        """Drop the records these changes were made on from the cache."""
        for change in changes:
            self._peek(change.id if isinstance(change, Aggregate) else change.originator_id, evict=True)

    def _raise_conflict(self, changes: Sequence[Aggregate | Aggregate.Event], expected: int | None) -> None:
        # Only the changed record can have moved under us: the others were created here.
        for change in changes:
            if isinstance(change, Figure.Claimed):  # a claim saved without its figure
                cls, uid = Figure, change.originator_id
            else:
                cls, uid = type(change), getattr(change, "id", None)
            if cls not in KINDS:
                continue
            try:
                stored = self._get(cls, uid, copy=False)
            except NotFound:
                continue
            raise VersionConflict(KINDS[cls], uid, expected, stored.version)
