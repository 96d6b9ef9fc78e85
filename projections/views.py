"""The ledger's read model as one projection: records, figures, versions, claims, running tallies.

A batch goes: records (records.py) queued, figure events worked out in memory (figures.py),
both written, then the running tallies brought up to date from what the figures did
(running.py) and the feed of changes filed (changes.py), all in the follower's one transaction.

One projection rather than several, because a figure's views and the incident, source and
citation views it is read with must move together: an answer never mixes a figure applied
up to one event with an incident applied up to another. Access keys and request receipts
are not projected (their notifications are read and tracked, never decoded).

``name`` prefixes every table and the tracking table, so a second copy (a rebuild kept
beside the live views for the audit to compare digests) can live in the same database.
The tables are declared in views_schema.py; the statements that create and drop them are here.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from ledger.citation import Citation
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.report import Report
from ledger.source import Source
from projections import changes, decoding, published_running, running
from projections.decoding import Event
from projections.db import Db, check_name
from projections.figure_views import FigureBatch
from projections.follower import UPSTREAM
from projections.records import RecordBatch
from projections.views_schema import DEFAULT_NAME, TABLES, VERSION

_RECORDS: dict[str, str] = {
    get_topic(Source.Registered): "source_registered",
    get_topic(Source.ProtectionChanged): "protection_changed",
    get_topic(Incident.Recorded): "incident_recorded",
    get_topic(Incident.PeriodRevised): "period_revised",
    get_topic(Report.Filed): "report_filed",
    get_topic(Citation.Cited): "cited",
    get_topic(Citation.Withdrawn): "withdrawn",
}
_FIGURES: dict[str, str] = {
    get_topic(Figure.Stated): "stated",
    get_topic(Figure.Claimed): "claimed",
    get_topic(Figure.Corrected): "corrected",
    get_topic(Figure.Superseded): "superseded",
    get_topic(Figure.Retracted): "retracted",
    get_topic(Figure.Regraded): "regraded",
}
_STATED = get_topic(Figure.Stated)
#: A source's protection decides where a reader places its words (published_running.py); one the
#: views did not know yet (registered after its words, racing writers) counted as protected.
_PLACING = frozenset({get_topic(Source.ProtectionChanged), get_topic(Source.Registered)})
#: Holds a row while a replay is under way (see create_for_replay); not a view, not in the digest.
_CREATE_REPLAY = "CREATE TABLE IF NOT EXISTS {replay} (deferred INTEGER)"
#: Holds the views_schema.VERSION the views were made by; not a view, not in the digest.
_CREATE_SCHEMA = "CREATE TABLE IF NOT EXISTS {schema} (version INTEGER)"


def create_statements(db: Db, *, read_indexes: bool = True) -> list[str]:
    """CREATE ... IF NOT EXISTS for every table and index (without ``read_indexes``: for a replay)."""
    statements = []
    for table in TABLES:
        columns = ", ".join(f"{c} {db.column_type(k)}" for c, k in table.columns)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {db.table(table.name)} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
            # SQLite: rows stored in key order, with no separate rowid tree to keep up as well.
            + (" WITHOUT ROWID" if db.kind == "sqlite" else "")
        )
        for index, cols in table.indexes:
            if not read_indexes and index in table.read_indexes:
                continue
            # An index name is schema-local on PostgreSQL and file-global on SQLite: prefix both.
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {db.name}_{table.name}_{index} ON {db.table(table.name)}"
                f" ({', '.join(cols)})"
            )
    return statements


def analyze_statements(db: Db) -> list[str]:
    """Fresh planner statistics for every table (after a replay, so plans fit the data)."""
    return [f"ANALYZE {db.table(t.name)}" for t in TABLES]


def drop_statements(db: Db) -> list[str]:
    return [f"DROP TABLE IF EXISTS {db.table(t.name)}" for t in reversed(TABLES)]


class Views:
    topics = frozenset(_RECORDS) | frozenset(_FIGURES)

    def __init__(self, name: str = DEFAULT_NAME) -> None:
        self.name = check_name(name)

    def create(self, db: Db, cursor: Any) -> None:
        self._create(db, cursor, read_indexes=True)

    def create_for_replay(self, db: Db, cursor: Any) -> None:
        # A replay writes every version row once: building the read-only indexes afterwards, in
        # one sorted pass, costs far less than keeping them up row by row. The running tallies
        # are likewise left until the end and worked out once (running.recompute): the mark
        # row says so to every batch, whichever follower applies it.
        self._create(db, cursor, read_indexes=False)
        db.run(cursor, "INSERT INTO {replay} (deferred) VALUES (1)")

    def _create(self, db: Db, cursor: Any, *, read_indexes: bool) -> None:
        db.run(cursor, _CREATE_SCHEMA)
        if self.schema_version(db, cursor) is None and not db.value(
                cursor, "SELECT notification_id FROM {tracking} WHERE application_name = ?", (UPSTREAM,)):
            # Nothing applied yet (a new store, or a reset): whatever tables an older version
            # left are empty, so they are made afresh, as this version makes them, and say so.
            # Views that hold events and no version were made before it was recorded: left
            # as they are, stale (schema_version), for ``ledger rebuild`` to replace.
            for statement in drop_statements(db):
                cursor.execute(statement)
            db.run(cursor, "INSERT INTO {schema} (version) VALUES (?)", (VERSION,))
        for statement in create_statements(db, read_indexes=read_indexes):
            cursor.execute(statement)
        db.run(cursor, _CREATE_REPLAY)

    def schema_version(self, db: Db, cursor: Any) -> int | None:
        """The views_schema.VERSION these views were made by (None: before it was recorded)."""
        if not db.has_table(cursor, "schema"):
            return None
        return db.value(cursor, "SELECT version FROM {schema}")

    def replay_pending(self, db: Db, cursor: Any) -> bool:
        return db.one(cursor, "SELECT deferred FROM {replay}") is not None

    def finish_replay(self, db: Db, cursor: Any) -> None:
        if db.kind == "postgres":
            # This transaction holds the position's lock while Python works out every running
            # sum from rows it has read: a gap between statements that grows with the log (at 1M
            # events longer than the server's limit on idle transactions; projections/db.py).
            # It is busy, not abandoned; a process that dies ends it anyway.
            db.run(cursor, "SET LOCAL idle_in_transaction_session_timeout = 0")
        for statement in create_statements(db):
            cursor.execute(statement)
        running.recompute(db, cursor)
        published_running.recompute(db, cursor)
        db.run(cursor, "DELETE FROM {replay}")
        for statement in analyze_statements(db):
            cursor.execute(statement)

    def drop(self, db: Db, cursor: Any) -> None:
        for statement in drop_statements(db):
            cursor.execute(statement)
        db.run(cursor, "DROP TABLE IF EXISTS {replay}")
        db.run(cursor, "DROP TABLE IF EXISTS {schema}")

    # Straight from the stored state to what the views need (decoding.py), not domain events.
    decoder = staticmethod(decoding.decoder)

    def apply(self, db: Db, cursor: Any, notification: Notification, event: Event) -> None:
        self.apply_batch(db, cursor, [(notification, event)])

    def apply_batch(self, db: Db, cursor: Any, items: list[tuple[Notification, Event]]) -> None:
        # A protection change is filed under the figures as they stand at it (changes.py): the
        # batch is cut after each one, so what it files never depends on where a batch ends
        # (a rebuild's batches are not the live follower's, and their digests must agree).
        start = 0
        for i, (notification, _) in enumerate(items):
            if changes.cuts_batch(notification):
                self._apply_part(db, cursor, items[start:i + 1])
                start = i + 1
        if start < len(items):
            self._apply_part(db, cursor, items[start:])

    def _apply_part(self, db: Db, cursor: Any, items: list[tuple[Notification, Event]]) -> None:
        records = RecordBatch(db, cursor)
        figures = FigureBatch(db, cursor)
        figures.load(e.originator_id for n, e in items if n.topic in _FIGURES and n.topic != _STATED)
        for notification, event in items:
            topic = notification.topic
            if topic in _FIGURES:
                getattr(figures, _FIGURES[topic])(event)
            else:
                getattr(records, _RECORDS[topic])(event)
        records.write()
        touched = figures.write()
        changes.record(db, cursor, items)
        if not self.replay_pending(db, cursor):
            running.update(db, cursor, touched, figures.versions, records.revised)
            published_running.update(db, cursor, figures.versions, figures.new_claims,
                                     [e.originator_id for n, e in items if n.topic in _PLACING])
