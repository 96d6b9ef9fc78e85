"""The baselines every ratio is taken against, measured in the same run on the same store kind.

* **Bare application**: a plain ``eventsourcing.application.Application`` whose aggregate
  is trivial (one ``data`` string), configured like the ledger (same persistence module,
  same orjson transcoder, same pool and lock settings). It saves events with the same
  originator ids and versions, the same stored-state sizes and the same number of events
  per save as the ledger's commands did, and nothing else: no loads, no validation, no
  domain logic. So ``ledger / bare`` is the share of the raw store speed the ledger keeps.
* **Raw notification read**: ``recorder.select_notifications`` in pages of PAGE, without
  decoding, from the start of the log to its end: the fastest any follower could go.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from bench.config import PAGE
from bench.stats import clock
from ledger.store import Store


class Thing(Aggregate):
    class Created(Aggregate.Created):
        data: str

    class Noted(Aggregate.Event):
        data: str

        def apply(self, thing: Thing) -> None:
            thing.data = self.data

    def __init__(self, data: str) -> None:
        self.data = data


THING_TOPIC = get_topic(Thing)


class Bare(Application):
    name = "Bare"


def open_bare(store: Store, *, create_table: bool = True) -> Bare:
    return Bare(env=store.environment(create_table=create_table))


@dataclass(frozen=True)
class Shape:
    """One stored event of a save: whose, which version, and how many bytes of state."""

    originator_id: UUID
    version: int
    size: int


class Padder:
    """Makes bare events whose stored state is as long as the ledger event's was."""

    def __init__(self, app: Application) -> None:
        self.app = app
        probe = self._event(UUID(int=1), 1, "")
        self.created_overhead = len(app.mapper.to_stored_event(probe).state)
        probe = self._event(UUID(int=1), 2, "")
        self.noted_overhead = len(app.mapper.to_stored_event(probe).state)

    @staticmethod
    def _event(oid: UUID, version: int, data: str) -> Aggregate.Event:
        ts = Thing.Event.create_timestamp()
        if version == 1:
            return Thing.Created(originator_id=oid, originator_version=1, timestamp=ts,
                                 originator_topic=THING_TOPIC, data=data)
        return Thing.Noted(originator_id=oid, originator_version=version, timestamp=ts, data=data)

    def event(self, shape: Shape) -> Aggregate.Event:
        overhead = self.created_overhead if shape.version == 1 else self.noted_overhead
        return self._event(shape.originator_id, shape.version, "x" * max(0, shape.size - overhead))


def shapes_since(recorder, after: int, n_events: int) -> list[Shape]:
    """The shapes of the n_events events recorded after notification id ``after``."""
    out: list[Shape] = []
    start = after
    while len(out) < n_events:
        page = recorder.select_notifications(start=start, limit=PAGE, inclusive_of_start=False)
        if not page:
            break
        out.extend(Shape(n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id)),
                         n.originator_version, len(n.state)) for n in page)
        start = page[-1].id
    if len(out) != n_events:
        raise RuntimeError(f"expected {n_events} events after notification {after}, found {len(out)}")
    return out


def group(shapes: Sequence[Shape], per_save: Iterable[int]) -> list[list[Shape]]:
    saves, i = [], 0
    for n in per_save:
        saves.append(list(shapes[i:i + n]))
        i += n
    return saves


def replay(app: Bare, padder: Padder, saves: Sequence[Sequence[Shape]]) -> tuple[int, float]:
    """Save each group of events in one ``app.save`` (one transaction); returns (events, seconds).

    The events are made before the clock starts, so only saving is timed.
    """
    batches = [[padder.event(s) for s in save] for save in saves]
    t0 = clock()
    for events in batches:
        app.save(*events)
    return sum(len(b) for b in batches), clock() - t0


def mirror(app: Bare, padder: Padder, ledger_recorder, batch: int = 5_000) -> int:
    """Fill a bare store with one bare event per ledger event (same ids, versions, sizes),
    inserted in large batches: the bare counterpart of a bulk-built ledger log."""
    start, total, buffer = 0, 0, []
    to_stored = app.mapper.to_stored_event
    while True:
        page = ledger_recorder.select_notifications(start=start, limit=batch, inclusive_of_start=False)
        if not page:
            break
        for n in page:
            oid = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
            buffer.append(to_stored(padder.event(Shape(oid, n.originator_version, len(n.state)))))
        start = page[-1].id
        app.recorder.insert_events(buffer)
        total += len(buffer)
        buffer = []
    return total


def raw_read(recorder, page: int = PAGE, start: int = 0) -> tuple[int, float]:
    """Every notification after ``start``, in pages, not decoded: (events, seconds)."""
    t0 = clock()
    count = 0
    while True:
        got = recorder.select_notifications(start=start, limit=page, inclusive_of_start=False)
        if not got:
            break
        count += len(got)
        start = got[-1].id
    return count, clock() - t0


def raw_read_decode(app: Application, page: int = PAGE) -> tuple[int, float]:
    """Every notification, in pages, decoded to domain events by the application's mapper."""
    to_domain = app.mapper.to_domain_event
    recorder = app.recorder
    t0 = clock()
    start, count = 0, 0
    while True:
        got = recorder.select_notifications(start=start, limit=page, inclusive_of_start=False)
        if not got:
            break
        for n in got:
            to_domain(StoredEvent(n.originator_id, n.originator_version, n.topic, n.state))
        count += len(got)
        start = got[-1].id
    return count, clock() - t0
