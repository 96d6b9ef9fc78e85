"""The audit projection: the stored Merkle tree of the log, and the audit log, in one.

Followed by the generic follower (projections.follower), so each batch of the log goes into
the leaves, the nodes, the audit log and the tracking position in ONE transaction, exactly
once, resumably, on SQLite and PostgreSQL, whoever wrote the events.

Leaves are numbered densely, 0, 1, 2, ..., in notification-id order: the next position is
the number of leaves already stored (PostgreSQL's notification ids have gaps; positions
never do). Leaf ``p`` commits to (ledger.audit.leaf, v1)::

    leaf_bytes(p, originator_id, originator_version, topic, state, recorded_at)

with ``state`` the stored bytes exactly as persisted (ciphertext when the cipher is on) and
``recorded_at`` the event's own timestamp (decoded from the state). Nothing store-specific
enters a leaf, so one history gives the same leaves and roots on either store.

Why one projection: the log rows and the leaves then move together, and an audit log row
names the leaf position that commits to its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from ledger.audit.hasher import hash_leaf
from ledger.audit.leaf import format_recorded_at, leaf_bytes
from ledger.audit.tree import append_leaf
from ledger.citation import Citation
from ledger.figure import Figure
from ledger.incident import Incident
from projections.audit.nodes import DbNodeStore
from projections.audit.tables import NAME, added_columns, drop_statements, projection_statements
from projections.db import Db, check_name


def _events_of(cls: type) -> tuple[type, ...]:
    return tuple(v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, Aggregate.Event))


_FIGURE_EVENTS = _events_of(Figure)
_INCIDENT_EVENTS = _events_of(Incident)


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def leaf_hash_of(position: int, notification: Notification, event: Any) -> bytes:
    """The leaf hash of one stored event at ``position`` (its decoded form gives the timestamp)."""
    return hash_leaf(leaf_bytes(
        position, as_uuid(notification.originator_id), notification.originator_version, notification.topic,
        bytes(notification.state), event.timestamp,
    ))


def kind_of(topic: str) -> str:
    """``ledger.figure:Figure.Corrected`` -> ``Figure.Corrected``."""
    return topic.rpartition(":")[2] or topic


class _Subjects:
    """Which figure and incident an aggregate's events concern, looked up once per batch."""

    def __init__(self, db: Db, cursor: Any) -> None:
        self.db = db
        self.cursor = cursor
        self.known: dict[str, tuple[str | None, str | None]] = {}
        self.new: dict[str, tuple[str | None, str | None]] = {}

    def get(self, aggregate_id: str) -> tuple[str | None, str | None]:
        found = self.known.get(aggregate_id)
        if found is None:
            row = self.db.one(self.cursor, "SELECT figure_id, incident_id FROM {subjects} WHERE aggregate_id = ?",
                              (aggregate_id,))
            found = tuple(row) if row else (None, None)
            self.known[aggregate_id] = found
        return found

    def put(self, aggregate_id: str, figure_id: str | None, incident_id: str | None) -> None:
        self.known[aggregate_id] = self.new[aggregate_id] = (figure_id, incident_id)

    def resolve(self, aggregate_id: str, event: Any) -> tuple[str | None, str | None]:
        if isinstance(event, _FIGURE_EVENTS):
            if isinstance(event, Figure.Stated):
                self.put(aggregate_id, aggregate_id, event.incident_id)
            return aggregate_id, self.get(aggregate_id)[1]
        if isinstance(event, _INCIDENT_EVENTS):
            return None, aggregate_id
        if isinstance(event, Citation.Cited):
            if event.target_kind == "figure":
                figure = event.target_id
                self.put(aggregate_id, figure, self.get(figure)[1])
            else:
                self.put(aggregate_id, None, None)
            return self.get(aggregate_id)
        if isinstance(event, Citation.Withdrawn):
            return self.get(aggregate_id)
        return None, None

    def write(self) -> None:
        self.db.run_many(self.cursor, "INSERT INTO {subjects} (aggregate_id, figure_id, incident_id) VALUES (?, ?, ?)",
                         [(k, f, i) for k, (f, i) in self.new.items()])


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _evidence(event: Any) -> str | None:
    """A judgement's evidence as the log keeps it: its citation ids as JSON, or NULL if it cites none."""
    evidence = getattr(event, "evidence", None)
    return orjson.dumps(list(evidence)).decode() if isinstance(evidence, list) and evidence else None


class AuditProjection:
    """Leaves, perfect nodes and audit log rows, one of each per event of the log."""

    topics = None  # every event: each one is a leaf

    def __init__(self, name: str = NAME) -> None:
        self.name = check_name(name)

    def create(self, db: Db, cursor: Any) -> None:
        for statement in projection_statements(db):
            cursor.execute(statement)
        for statement in added_columns(db, cursor):
            cursor.execute(statement)

    def drop(self, db: Db, cursor: Any) -> None:
        for statement in drop_statements(db):
            cursor.execute(statement)

    def apply(self, db: Db, cursor: Any, notification: Notification, event: Any) -> None:
        self.apply_batch(db, cursor, [(notification, event)])

    def apply_batch(self, db: Db, cursor: Any, items: Iterable[tuple[Notification, Any]]) -> None:
        nodes = DbNodeStore(db, cursor)
        subjects = _Subjects(db, cursor)
        leaves: list[tuple[Any, ...]] = []
        log: list[tuple[Any, ...]] = []
        for notification, event in items:
            position = nodes.size()
            leaf_hash = leaf_hash_of(position, notification, event)
            nodes.put_many(append_leaf(nodes, leaf_hash))
            aggregate_id = str(as_uuid(notification.originator_id))
            figure_id, incident_id = subjects.resolve(aggregate_id, event)
            leaves.append((position, notification.id, aggregate_id, notification.originator_version, leaf_hash))
            log.append((
                position, notification.id, format_recorded_at(event.timestamp),
                _text_or_none(getattr(event, "actor", None)), notification.topic, kind_of(notification.topic),
                aggregate_id, notification.originator_version, figure_id, incident_id,
                _text_or_none(getattr(event, "reason", None)), _evidence(event),
            ))
        nodes.flush()
        db.run_many(cursor, "INSERT INTO {leaves} (position, notification_id, originator_id, originator_version,"
                            " leaf_hash) VALUES (?, ?, ?, ?, ?)", leaves)
        db.run_many(cursor, "INSERT INTO {log} (position, notification_id, recorded_at, actor, topic, kind,"
                            " aggregate_id, aggregate_version, figure_id, incident_id, reason, evidence)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", log)
        subjects.write()
