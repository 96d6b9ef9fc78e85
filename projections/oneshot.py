"""One read statement, one round trip: no transaction around it.

A single statement already sees one consistent state of the database (PostgreSQL's
snapshot per statement; SQLite's read lock for the statement). Wrapping it in a
transaction costs PostgreSQL two more round trips (BEGIN, ROLLBACK) and, for a
snapshot, a third (SET TRANSACTION): more than the statement itself for the small
reads that answer most requests (a running tally, a proof's nodes, the log's head).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.db import Db


def read(db: Db, text: str, params: Sequence[Any] = (), *, shape: type[Any] | None = None) -> list[Any]:
    """The rows of one read-only statement (``?`` placeholders, ``{table}`` names), in autocommit;
    sealed columns are sealed and opened as Db.all does, rows named by ``shape`` as there."""
    statement, params = db.sql(text), tuple(db.sealed_params(text, params))
    if db.kind == "postgres":
        # The library's pool hands out connections in autocommit mode.
        from psycopg.rows import tuple_row

        # Plain tuples: a dict row would fold unnamed columns ("?column?") into one.
        with db.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, params)
            rows = db.opened(text, cursor, cursor.fetchall())
    else:
        with db.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            rows = db.opened(text, cursor, [tuple(row) for row in cursor.fetchall()])
    return rows if shape is None else [shape._make(r) for r in rows]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
