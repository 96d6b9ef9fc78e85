"""Editing the stored-event table behind the ledger's back, with plain SQL, as an intruder would.

SQLite: ``stored_events``, the notification id is the rowid. PostgreSQL:
``"<schema>".ledger_events`` with a ``notification_id`` column (unique index, bigserial).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from ledger.store import Store

SHIFT = 1_000_000


class Tamper:
    def __init__(self, store: Store) -> None:
        self.store = store
        if store.kind == "sqlite":
            self.conn: Any = sqlite3.connect(store.sqlite_path, isolation_level=None)
            self.table, self.id, self.mark = "stored_events", "rowid", "?"
        else:
            self.conn = store.connect_postgres()
            self.table = f'"{store.postgres_schema}".ledger_events'
            self.id, self.mark = "notification_id", "%s"

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Tamper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        statement = statement.replace("{t}", self.table).replace("{id}", self.id).replace("?", self.mark)
        cursor = self.conn.execute(statement, params)
        try:
            return [tuple(r) for r in cursor.fetchall()]
        except Exception:  # noqa: BLE001 - statements without rows
            return []

    def ids(self) -> list[int]:
        return [r[0] for r in self.sql("SELECT {id} FROM {t} ORDER BY {id}")]

    def row(self, nid: int) -> tuple[Any, int, str, bytes]:
        (found,) = self.sql("SELECT originator_id, originator_version, topic, state FROM {t} WHERE {id} = ?", (nid,))
        return found[0], found[1], found[2], bytes(found[3])

    def set_state(self, nid: int, state: bytes) -> None:
        self.sql("UPDATE {t} SET state = ? WHERE {id} = ?", (state, nid))

    def alter(self, nid: int, old: bytes, new: bytes) -> None:
        """Replace bytes in one event's stored state (same length: the JSON stays valid).

        With the cipher on, as an intruder who also holds the key: decrypted, edited, encrypted again."""
        state = self.row(nid)[3]
        cipher = None
        if self.store.cipher_key:
            from eventsourcing.cryptography import AESCipher
            from eventsourcing.utils import Environment

            cipher = AESCipher(Environment(env={"CIPHER_KEY": self.store.cipher_key}))
            state = cipher.decrypt(state)
        assert old in state, (old, state[:200])
        state = state.replace(old, new, 1)
        self.set_state(nid, cipher.encrypt(state) if cipher else state)

    def flip_byte(self, nid: int, at: int = -5) -> None:
        state = bytearray(self.row(nid)[3])
        state[at] ^= 0x01
        self.set_state(nid, bytes(state))

    def delete(self, nid: int) -> None:
        self.sql("DELETE FROM {t} WHERE {id} = ?", (nid,))

    def swap_contents(self, a: int, b: int) -> None:
        """Two rows exchange everything but their notification ids."""
        row_a, row_b = self.row(a), self.row(b)
        self.sql("UPDATE {t} SET originator_version = ? WHERE {id} = ?", (-1, a))
        self.sql("UPDATE {t} SET originator_id = ?, originator_version = ?, topic = ?, state = ? WHERE {id} = ?",
                 (*row_a, b))
        self.sql("UPDATE {t} SET originator_id = ?, originator_version = ?, topic = ?, state = ? WHERE {id} = ?",
                 (*row_b, a))

    def swap_ids(self, a: int, b: int) -> None:
        """Two rows exchange their notification ids (their order in the log)."""
        self.sql("UPDATE {t} SET {id} = ? WHERE {id} = ?", (-7, a))
        self.sql("UPDATE {t} SET {id} = ? WHERE {id} = ?", (a, b))
        self.sql("UPDATE {t} SET {id} = ? WHERE {id} = ?", (b, -7))

    def insert_before(self, nid: int, like: int) -> uuid.UUID:
        """Insert a forged event (a copy of ``like`` under a new aggregate id) at notification id ``nid``,
        moving every later row one id up."""
        _, version, topic, state = self.row(like)
        self.sql("UPDATE {t} SET {id} = {id} + ? WHERE {id} >= ?", (SHIFT, nid))
        self.sql("UPDATE {t} SET {id} = {id} - ? WHERE {id} >= ?", (SHIFT - 1, SHIFT))
        forged = uuid.uuid4()
        oid: Any = str(forged) if self.store.kind == "sqlite" else forged
        self.sql("INSERT INTO {t} ({id}, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                 (nid, oid, version, topic, state))
        return forged

    def insert_at(self, nid: int, event: Any) -> None:
        """Write a stored event (``mapper.to_stored_event`` of a made-up event) under notification id ``nid``."""
        oid: Any = event.originator_id.hex if self.store.kind == "sqlite" else event.originator_id
        self.sql("INSERT INTO {t} ({id}, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                 (nid, oid, event.originator_version, event.topic, event.state))

    def leave_gap(self, size: int) -> None:
        """Make the next ``size`` notification ids unused for good, as a lost race does (PostgreSQL only)."""
        self.sql("SELECT setval(pg_get_serial_sequence('{t}', 'notification_id'),"
                 " (SELECT MAX(notification_id) FROM {t}) + ?)", (size,))

    def drop_unique_ids(self) -> None:
        """Drop the unique index on notification ids, as an intruder may (PostgreSQL only)."""
        (index,) = self.sql("SELECT indexname FROM pg_indexes WHERE schemaname = ? AND tablename = 'ledger_events'"
                            " AND indexdef LIKE '%%UNIQUE%%'"
                            " AND indexdef LIKE '%%(notification_id)%%'", (self.store.postgres_schema,))
        self.sql(f'DROP INDEX "{self.store.postgres_schema}"."{index[0]}"')


class Snapshots:
    """Editing the stored snapshots behind the ledger's back (``stored_snapshots`` / ``ledger_snapshots``)."""

    def __init__(self, tamper: Tamper) -> None:
        self.t = tamper
        self.table = ("stored_snapshots" if tamper.store.kind == "sqlite"
                      else f'"{tamper.store.postgres_schema}".ledger_snapshots')

    def _oid(self, uid: uuid.UUID) -> Any:
        return uid.hex if self.t.store.kind == "sqlite" else uid

    def state(self, uid: uuid.UUID, version: int) -> bytes:
        (row,) = self.t.sql(f"SELECT state FROM {self.table} WHERE originator_id = ? AND originator_version = ?",
                            (self._oid(uid), version))
        return bytes(row[0])

    def set_state(self, uid: uuid.UUID, version: int, state: bytes) -> None:
        self.t.sql(f"UPDATE {self.table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
                   (state, self._oid(uid), version))

    def copy_to(self, uid: uuid.UUID, version: int, new_version: int) -> None:
        """Store the snapshot of ``version`` again as one of ``new_version``."""
        self.t.sql(f"INSERT INTO {self.table} (originator_id, originator_version, topic, state)"
                   f" SELECT originator_id, ?, topic, state FROM {self.table}"
                   " WHERE originator_id = ? AND originator_version = ?", (new_version, self._oid(uid), version))
