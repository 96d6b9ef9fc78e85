"""The audit trail's tables, defined once for both stores.

Projection tables (rebuilt from the log like any view; ``AuditProjection.drop`` empties them):

- ``audit_leaves(position PK, notification_id UNIQUE, originator_id, originator_version, leaf_hash)``:
  one row per event, positions dense from 0 in notification-id order;
- ``audit_nodes(level, idx, hash, PK(level, idx))``: every *perfect* Merkle node (see
  ledger.audit.tree), level 0 being the leaf hashes; written once, never updated;
- ``audit_log(position PK, ...)``: who did what, when, to which figure or incident, why, and on what
  evidence (a judgement's citation ids, JSON; NULL for an event that cites none);
- ``audit_subjects(aggregate_id PK, figure_id, incident_id)``: which figure and incident a
  figure or a citation concerns, so later events of it can be filed under them.

Kept across rebuilds (created by ``install``, never dropped by the projection):

- ``audit_checkpoints(size PK, root, time, note)``: every signed checkpoint, as signed;
- ``audit_meta(key PK, value)``: the log's origin and verifier key, fixed at install.

Hashes are BLOB (SQLite) / BYTEA (PostgreSQL): both return Python ``bytes``. The log's
``reason`` is sealed with the cipher on (listed in projections/sealed_columns.py). Text columns
are ``COLLATE "C"`` on PostgreSQL (projections.db), so ordering is bytewise on both.
"""

from __future__ import annotations

from typing import Any

from projections.db import Db

NAME = "audit"

PROJECTION_TABLES = ("leaves", "nodes", "log", "subjects")
KEPT_TABLES = ("checkpoints", "meta")


def _without_rowid(db: Db) -> str:
    return " WITHOUT ROWID" if db.kind == "sqlite" else ""


def projection_statements(db: Db) -> list[str]:
    text, integer, blob, tail = db.column_type("text"), db.column_type("int"), db.column_type("blob"), _without_rowid(db)
    sealed = db.column_type("sealed")
    n = db.name
    return [
        f"CREATE TABLE IF NOT EXISTS {db.table('leaves')} ("
        f"position {integer} NOT NULL PRIMARY KEY, notification_id {integer} NOT NULL UNIQUE,"
        f" originator_id {text} NOT NULL, originator_version {integer} NOT NULL, leaf_hash {blob} NOT NULL){tail}",
        f"CREATE TABLE IF NOT EXISTS {db.table('nodes')} ("
        f"level {integer} NOT NULL, idx {integer} NOT NULL, hash {blob} NOT NULL, PRIMARY KEY (level, idx)){tail}",
        f"CREATE TABLE IF NOT EXISTS {db.table('log')} ("
        f"position {integer} NOT NULL PRIMARY KEY, notification_id {integer} NOT NULL, recorded_at {text} NOT NULL,"
        f" actor {text}, topic {text} NOT NULL, kind {text} NOT NULL, aggregate_id {text} NOT NULL,"
        f" aggregate_version {integer} NOT NULL, figure_id {text}, incident_id {text}, reason {sealed},"
        f" evidence {text}){tail}",
        f"CREATE INDEX IF NOT EXISTS {n}_log_by_actor ON {db.table('log')} (actor, position)",
        f"CREATE INDEX IF NOT EXISTS {n}_log_by_figure ON {db.table('log')} (figure_id, position)",
        f"CREATE INDEX IF NOT EXISTS {n}_log_by_incident ON {db.table('log')} (incident_id, position)",
        f"CREATE INDEX IF NOT EXISTS {n}_log_by_time ON {db.table('log')} (recorded_at, position)",
        f"CREATE INDEX IF NOT EXISTS {n}_log_by_kind ON {db.table('log')} (kind, position)",
        f"CREATE TABLE IF NOT EXISTS {db.table('subjects')} ("
        f"aggregate_id {text} NOT NULL PRIMARY KEY, figure_id {text}, incident_id {text}){tail}",
    ]


def added_columns(db: Db, cursor: Any) -> list[str]:
    """The columns a log made before them lacks, added in place (their rows read NULL until a
    rebuild fills them): CREATE TABLE IF NOT EXISTS leaves an existing table as it was, and
    an INSERT naming a missing column would stop the trail, and with it every command."""
    table = f"{db.name}_log"
    if db.kind == "sqlite":
        listed = db.all(cursor, "SELECT name FROM pragma_table_info(?)", (table,), as_stored=True)
    else:
        listed = db.all(cursor, "SELECT column_name FROM information_schema.columns WHERE table_schema = ?"
                                " AND table_name = ?", (db.schema, table), as_stored=True)
    have = {r[0] for r in listed}
    return [f"ALTER TABLE {db.table('log')} ADD COLUMN {name} {db.column_type(kind)}"
            for name, kind in (("evidence", "text"),) if name not in have]


def kept_statements(db: Db) -> list[str]:
    text, integer, blob, tail = db.column_type("text"), db.column_type("int"), db.column_type("blob"), _without_rowid(db)
    return [
        f"CREATE TABLE IF NOT EXISTS {db.table('checkpoints')} ("
        f"size {integer} NOT NULL PRIMARY KEY, root {blob} NOT NULL, time {text} NOT NULL, note {text} NOT NULL){tail}",
        f"CREATE TABLE IF NOT EXISTS {db.table('meta')} ("
        f"key {text} NOT NULL PRIMARY KEY, value {text} NOT NULL){tail}",
    ]


def drop_statements(db: Db) -> list[str]:
    return [f"DROP TABLE IF EXISTS {db.table(t)}" for t in PROJECTION_TABLES]
