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
