"""What-if variants of the ledger, for ``--what-if`` only: evidence for proposed changes,
measured on the same store in the same run. Nothing here is used by the product.

* ``cached``: the same Ledger with eventsourcing's aggregate cache on
  (``AGGREGATE_CACHE_MAXSIZE``; fast-forward keeps it correct across processes: each get
  still reads the events after the cached version);
* ``SnapshottingLedger``: a snapshot of a figure every 100 of its events;
* ``TunedLedger``: the cache, plus loads that replay with a projector without the
  library's per-event ``assert isinstance(event, CanMutateProtocol)`` (a runtime Protocol
  check, slow on CPython 3.11), plus a citation's target kind read from the target's first
  stored event instead of replaying the whole target.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from ledger.application import KINDS, Ledger, _uuid
from ledger.errors import NotFound
from ledger.figure import Figure
from ledger.report import Report

CACHE = {"AGGREGATE_CACHE_MAXSIZE": "10000"}


class SnapshottingLedger(Ledger):
    name = "Ledger"   # same tables as the ledger itself
    snapshotting_intervals: ClassVar[dict[type, int]] = {Figure: 100}


def _replay(aggregate: Any, events: Any) -> Any:
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


_TOPICS = {get_topic(Figure) + ".": "figure", get_topic(Report) + ".": "report"}


class TunedLedger(Ledger):
    name = "Ledger"

    def load(self, cls, ident, version=None):  # type: ignore[no-untyped-def]
        kind = KINDS[cls]
        try:
            aggregate = self.repository.get(_uuid(ident, kind), version=version, projector_func=_replay)
        except AggregateNotFoundError:
            raise NotFound(kind, ident) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind, ident)
        return aggregate

    def _target_kind(self, target_id: str) -> str:
        try:
            first = self.recorder.select_events(_uuid(target_id, "report or figure"), limit=1)
        except NotFound:
            first = []
        for stored in first:
            for prefix, kind in _TOPICS.items():
                if stored.topic.startswith(prefix):
                    return kind
        raise NotFound("report or figure", target_id)


def variants(store) -> list[tuple[str, Any]]:
    """(result key, factory) of each what-if ledger on ``store``."""
    return [
        ("ingest_cache", lambda: Ledger(env={**store.environment(), **CACHE})),
        ("ingest_snapshots", lambda: SnapshottingLedger(
            env={**store.environment(create_table=True), "IS_SNAPSHOTTING_ENABLED": "y"})),
        ("ingest_tuned", lambda: TunedLedger(env={**store.environment(), **CACHE})),
    ]
