"""Reading single records for the ledger's commands: from this process's cache where it can be trusted.

Each process keeps a cache of records (ledger/store.py). A command's first attempt trusts
it for what it changes and for what it only needs to exist, so a command on warm records
reads nothing before its one write; the store's unique (id, version) turns a change made on
a stale copy into a lost race, and the command is then done again on fresh reads
(ledger/once.py). Figures are snapshotted every FIGURE_SNAPSHOT_INTERVAL events, and when
the audit trail is to vouch for the store, every event read goes through its check.
"""

from __future__ import annotations

import logging
from itertools import chain
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from ledger.access import AccessKey
from ledger.checks import record_id
from ledger.citation import Citation
from ledger.coverage_check import CoverageCheck
from ledger.errors import HistoryNotCovered, NotFound
from ledger.failure_lines import failure
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.replay import detached, replay
from ledger.report import Report
from ledger.source import Source
from ledger.terms import Vocabulary

A = TypeVar("A", bound=Aggregate)

#: What a record of each class is called in errors (NotFound, VersionConflict).
KINDS: dict[type[Aggregate], str] = {
    Source: "source", Report: "report", Incident: "incident", Figure: "figure",
    Citation: "citation", AccessKey: "key", Vocabulary: "vocabulary",
}

#: A citation's target is a figure or a report; the topic of its first event says which.
TARGET_KINDS = {get_topic(Figure.Stated): "figure", get_topic(Report.Filed): "report"}

#: Every this many events a figure's state is stored as a snapshot, so that loading a hot
#: figure without the cache (another process, a restart) or at an old version replays at
#: most this many events instead of its whole history.
FIGURE_SNAPSHOT_INTERVAL = 100

log = logging.getLogger(__name__)


class RecordLoading(Application):
    """The part of the ledger's application that reads records (see the module's docstring)."""

    snapshotting_intervals = {Figure: FIGURE_SNAPSHOT_INTERVAL}
    snapshotting_projectors = {Figure: replay}
    #: Where a record's stored events are read when the audit trail is to vouch for them
    #: (injected by api.bootstrap.open_ledger). None: the store is taken as it is.
    coverage: CoverageCheck | None = None

    def close(self) -> None:
        if self.coverage is not None:
            self.coverage.close()
        super().close()

    def _stored(self, uid: UUID, **where: Any) -> list[Any]:
        """A record's stored events, decoded; through the audit trail's check when there is one."""
        if self.coverage is not None:
            return self.coverage.events(uid, **where)
        return [self.mapper.to_domain_event(s) for s in self.recorder.select_events(uid, **where)]

    # ---- reads of single records -------------------------------------------------------

    def load(self, cls: type[A], ident: object, version: int | None = None) -> A:
        """The record as stored now (or at ``version``): a private copy, safe to change."""
        return self._get(cls, ident, version=version)

    def _get(
        self, cls: type[A], ident: object, *, version: int | None = None, fresh: bool = True, copy: bool = True,
    ) -> A:
        """Read a record, from this process's cache where it can be trusted.

        ``fresh`` brings a cached record up to date with the store first (one SELECT of the
        events after its version), as every read whose current state decides must. Without
        it the cached record is used as it is: right for what never changes once recorded
        (that an incident, a source or a report exists; a report's source), and for records
        the command then changes, because the save of a change made on a stale copy fails on
        the store's unique (id, version) and ``_run`` then does the work again on fresh reads.
        ``copy=False`` hands out the cached object itself, for callers that only read it:
        cached records are never changed in place (a fresher one replaces them), so that is
        safe from any thread.
        """
        kind = KINDS.get(cls, cls.__name__.lower())
        uid = record_id(ident, kind)
        cache = self.repository.cache
        if version is not None or cache is None:
            # Rebuilt for this caller alone and never cached: already a private copy.
            aggregate, copy = self._rebuild(cls, uid, version, kind, ident), False
        elif (aggregate := self._peek(uid)) is None:
            aggregate = self._rebuild(cls, uid, None, kind, ident)
            cache.put(uid, aggregate)
        elif fresh and (newer := self._stored(uid, gt=aggregate.version)):
            aggregate = replay(detached(aggregate), newer)
            cache.put(uid, aggregate)
        if not isinstance(aggregate, cls):
            raise NotFound(kind, ident)
        return detached(aggregate) if copy else aggregate

    def _rebuild(self, cls: type[A], uid: UUID, version: int | None, kind: str, ident: object) -> A:
        # The library's Repository asks the snapshot store first for every record; only
        # figures have snapshots, so the others skip that SELECT (half the cost of a miss).
        snapshots = []
        if self.snapshots is not None and cls in self.snapshotting_intervals:
            try:
                snapshots = list(self.snapshots.get(uid, desc=True, limit=1, lte=version))
            except Exception as error:  # noqa: BLE001
                # A store made before snapshots has no table for them until `ledger init` is
                # run again: replay the whole history rather than fail every load.
                log.warning("could not read snapshots (%s); replaying from the first event", failure(error))
        after = snapshots[0].originator_version if snapshots else None
        if after is None or self.coverage is None:
            events = self._stored(uid, gt=after, lte=version)
        else:
            # A snapshot's content is not in the tree, but its version must be: the event there is
            # read too, to be vouched for (a snapshot row made up at a version no event has fails).
            events = self._stored(uid, gt=after - 1, lte=version)
            if not events or events[0].originator_version != after:
                raise HistoryNotCovered(after, None, "a snapshot stands at a version no stored event has")
            events = events[1:]
        aggregate = replay(None, chain(snapshots, events))
        if aggregate is None:
            raise NotFound(kind, ident)
        return aggregate

    def _peek(self, uid: UUID, *, evict: bool = False) -> Aggregate | None:
        """The cached record itself (read it, never change it), or None if this process has none."""
        cache = self.repository.cache
        if cache is None:
            return None
        try:
            return cache.get(uid, evict=evict)
        except KeyError:
            return None

    def _cached(self, cls: type[A], uid: UUID) -> A | None:
        """A private copy of the cached record, or None if this process has none."""
        aggregate = self._peek(uid)
        return detached(aggregate) if isinstance(aggregate, cls) else None

    def _existing(self, cls: type[A], ident: object) -> A:
        """A record whose existence (or what never changes about it) is all a command needs."""
        return self._get(cls, ident, fresh=False, copy=False)

    def source(self, ident: object) -> Source:
        return self.load(Source, ident)

    def figure(self, ident: object, version: int | None = None) -> Figure:
        return self.load(Figure, ident, version)

    def _target_kind(self, target_id: str) -> str:
        # Whether the target is a figure or a report never changes, and the cache or the
        # topic of its first stored event says which, without replaying a hot figure.
        uid = record_id(target_id, "report or figure")
        if (cached := self._peek(uid)) is not None:
            kind = KINDS.get(type(cached))
            if kind in ("figure", "report"):
                return kind
            raise NotFound("report or figure", target_id)
        first = self._stored(uid, limit=1)
        kind = TARGET_KINDS.get(get_topic(type(first[0]))) if first else None
        if kind is None:
            raise NotFound("report or figure", target_id)
        return kind

