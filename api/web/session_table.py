"""The web's sessions, kept in the ledger's store: one row a sign-in, seen by every worker and host.

``web_sessions`` sits beside the events (the same SQLite file, the same PostgreSQL schema) and is
made by the schema step (``api.bootstrap.create_schema``). A row holds the SHA-256 of the
session's token (the cookie's value: never the token itself, and never the access key), the
key's id, and when the session was made, when it ends and when it was last seen, in whole
seconds of UTC since the epoch. A session is not an event of the ledger: nothing of it enters
the log, the audit log or the Merkle tree, and rebuilding the views leaves the table alone.

Expired rows go lazily: each sign-in and sign-out deletes those past their end (an index on
``expires`` finds them), and a lookup never lets one in, so nothing needs to run on a timer.
"""

from __future__ import annotations

import threading
from typing import Any

from ledger.store import Store
from projections.db import Db
from projections.named_rows import shape

#: The Db name: the table is ``web_sessions``.
NAME = "web"
#: A session's row as a lookup reads it.
Found = shape("Found", "key_id, expires, last_seen")


def statements(db: Db) -> list[str]:
    blob, text, integer = db.column_type("blob"), db.column_type("text"), db.column_type("int")
    tail = " WITHOUT ROWID" if db.kind == "sqlite" else ""
    return [
        f"CREATE TABLE IF NOT EXISTS {db.table('sessions')} (token_hash {blob} NOT NULL PRIMARY KEY,"
        f" key_id {text} NOT NULL, created {integer} NOT NULL, expires {integer} NOT NULL,"
        f" last_seen {integer} NOT NULL){tail}",
        f"CREATE INDEX IF NOT EXISTS {NAME}_sessions_by_expiry ON {db.table('sessions')} (expires)",
        # The secret the CSRF tokens are signed with (api/web/session.py): one row, made once, so
        # every worker of every host on this store signs and checks with the same.
        f"CREATE TABLE IF NOT EXISTS {db.table('secret')} (id {integer} NOT NULL PRIMARY KEY, secret {text} NOT NULL)",
    ]


def create(store: Store) -> None:
    """The session table's part of the schema step (idempotent)."""
    db = Db(store, NAME, pool_size=1)
    try:
        with db.datastore.transaction(commit=True) as cursor:
            for statement in statements(db):
                cursor.execute(statement)
    finally:
        db.close()


class SessionTable:
    """The rows of one store's sessions; its connections are opened at the first use, and again after ``close``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._db: Db | None = None
        self._lock = threading.Lock()

    @property
    def db(self) -> Db:
        opened = self._db
        if opened is not None:
            return opened
        with self._lock:
            if self._db is None:
                # One pooled connection: a request holds it for one indexed read. Durable: a
                # sign-out that a power cut could undo would bring a copied cookie back.
                self._db = Db(self.store, NAME, pool_size=1, durable=True)
            return self._db

    def _write(self, *steps: tuple[str, tuple[Any, ...]]) -> None:
        db = self.db
        # The datastore's own transaction, not Db.transaction's: that one lets PostgreSQL skip the
        # flush to disk, and a sign-out that a crash could undo would bring a copied cookie back.
        with db.datastore.transaction(commit=True) as cursor:
            for text, params in steps:
                db.run(cursor, text, params)

    def add(self, token_hash: bytes, key_id: str, now: int, expires: int) -> None:
        self._write(("DELETE FROM {sessions} WHERE expires <= ?", (now,)),
                    ("INSERT INTO {sessions} (token_hash, key_id, created, expires, last_seen)"
                     " VALUES (?, ?, ?, ?, ?)", (token_hash, key_id, now, expires, now)))

    def secret(self, made: str) -> str:
        """The store's CSRF secret: the one already kept, else ``made`` (kept now; of two workers
        racing, the first insert wins and both read it back). The table is made here too, for a
        store whose schema step came before it."""
        db = self.db
        insert = ("INSERT OR IGNORE INTO {secret} (id, secret) VALUES (1, ?)" if db.kind == "sqlite"
                  else "INSERT INTO {secret} (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")
        with db.datastore.transaction(commit=True) as cursor:
            cursor.execute(statements(db)[-1])
            db.run(cursor, insert, (made,))
            row = db.one(cursor, "SELECT secret FROM {secret} WHERE id = 1")
        return row[0]

    def find(self, token_hash: bytes) -> Any:
        """The row of ``token_hash`` (a ``Found``), or None: one read of the primary key."""
        (rows,) = self.db.read_at_once(
            (f"SELECT {Found.columns} FROM {{sessions}} WHERE token_hash = ?", (token_hash,), Found))
        return rows[0] if rows else None

    def seen(self, token_hash: bytes, now: int) -> None:
        self._write(("UPDATE {sessions} SET last_seen = ? WHERE token_hash = ?", (now, token_hash)))

    def end(self, token_hash: bytes, now: int) -> None:
        self._write(("DELETE FROM {sessions} WHERE token_hash = ? OR expires <= ?", (token_hash, now)))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
