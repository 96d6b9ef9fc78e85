"""The write side reads only history the audit trail covers.

The ledger loads a record's events by aggregate id (a cache miss, a fast-forward of a cached
record, a figure's last version for a claim). The audit follower reads the log by
notification id, only after its position. A row written under an id the follower has
already passed (0 or below, an unused id of one of PostgreSQL's gaps, a used id once the
unique index is gone) would be read by the first and never by the second: served, decided
from, and never in a leaf. So the ledger reads events through ``Coverage.events``, which
fetches each event together with the leaf under its notification id and the follower's
position, in the one statement that reads the events anyway, and accepts an event only if

- the leaf under its id is this event (same aggregate and version, and the leaf hash
  recomputed from the row as stored is the leaf's), or
- there is no leaf under its id and the id is beyond the follower's position: an event
  written since the tree last caught up, which it will follow next.

Anything else raises ``HistoryNotCovered`` and nothing is decided from it. The cost is a
join on two unique indexes and one SHA-256 per event read, on reads that go to the store
anyway; a cache hit reads nothing, as before (docs/audit-trail.md has the figures).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.errors import HistoryNotCovered
from ledger.store import Store
from projections.audit.projection import leaf_hash_of
from projections.audit.tables import NAME
from projections.db import Db

#: The upstream application's name in the audit follower's tracking table (projections.follower.UPSTREAM).
_UPSTREAM = "Ledger"


class Coverage:
    """Reads a record's events for the ledger, refusing any the audit trail does not cover."""

    def __init__(self, store: Store, ledger: Any) -> None:
        self.db = Db(store, NAME, pool_size=2)
        self.mapper = ledger.mapper
        self.sqlite = store.kind == "sqlite"
        table = '"' + ledger.recorder.events_table_name + '"'
        nid = "rowid" if self.sqlite else "notification_id"
        if not self.sqlite:
            table = '"' + self.db.schema.replace('"', '""') + '".' + table
        leaf = f"{{leaves}} l ON l.notification_id = e.{nid}"
        if not self.sqlite:
            # A lateral lookup, so that PostgreSQL probes the leaves' unique index once per event
            # read (LIMIT 1 keeps it from being flattened into a join, which is planned as a hash join
            # over every leaf whenever the estimates are off).
            leaf = "LATERAL (SELECT * FROM {leaves} WHERE notification_id = e.notification_id LIMIT 1) l ON true"
        self._select = (
            f"SELECT e.{nid} AS nid, e.originator_version, e.topic, e.state, l.position, l.originator_id AS leaf_id,"
            " l.originator_version AS leaf_version, l.leaf_hash,"
            " (SELECT notification_id FROM {tracking} WHERE application_name = ?) AS tracked"
            f" FROM {table} e LEFT JOIN {leaf} WHERE e.originator_id = ?"
        )

    def close(self) -> None:
        self.db.close()

    def events(self, uid: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
               limit: int | None = None) -> list[Any]:
        """The aggregate's stored events (decoded), as ``recorder.select_events`` selects them."""
        statement, params = self._select, [_UPSTREAM, uid.hex if self.sqlite else uid]
        if gt is not None:
            statement += " AND e.originator_version > ?"
            params.append(gt)
        if lte is not None:
            statement += " AND e.originator_version <= ?"
            params.append(lte)
        statement += " ORDER BY e.originator_version" + (" DESC" if desc else "")
        if limit is not None:
            statement += " LIMIT ?"
            params.append(limit)
        rows = self._rows(statement, params)
        events = []
        for nid, version, topic, state, position, leaf_id, leaf_version, leaf_hash, tracked in rows:
            stored = StoredEvent(uid, version, topic, bytes(state))
            event = self.mapper.to_domain_event(stored)
            if position is None:
                if nid <= (tracked or 0):
                    raise HistoryNotCovered(version, nid, "no leaf of the audit tree covers it")
            elif (leaf_id, leaf_version) != (str(uid), version):
                raise HistoryNotCovered(version, nid, "the audit tree holds another event under its id")
            elif leaf_hash_of(position, stored, event) != bytes(leaf_hash):
                raise HistoryNotCovered(version, nid, "it no longer hashes to its leaf of the audit tree")
            events.append(event)
        return events


    def _rows(self, statement: str, params: list[Any]) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with self.db.transaction(commit=False) as cursor:
                return self.db.all(cursor, statement, params)
        # As the library reads events on PostgreSQL: one prepared statement on an autocommit
        # connection, with no BEGIN and ROLLBACK around it (each a round trip) and no planning
        # after the first few calls.
        with self.db.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(self.db.sql(statement), params, prepare=True)
            return [tuple(row.values()) for row in cursor.fetchall()]


def covering(store: Store, ledger: Any) -> Coverage | None:
    """The check for ``ledger`` on ``store``, or None when the audit trail is not installed there."""
    coverage = Coverage(store, ledger)
    try:
        with coverage.db.transaction(commit=False) as cursor:
            coverage.db.one(cursor, "SELECT position FROM {leaves} WHERE position = 0")
    except Exception:  # noqa: BLE001 - no audit tables: a store made before the audit trail
        coverage.close()
        return None
    return coverage
