"""A canonical SHA-256 of a projection's state, the same whatever store or path produced it.

The audit compares the digest of the live views with that of a rebuild from the log: equal
digests mean the views hold exactly what the events say. So the digest must not depend on
the store (SQLite or PostgreSQL), on row order on disk, or on how the events were batched:

- tables in the fixed order of views_schema.TABLES, rows in primary-key order, bytewise for text
  (PostgreSQL columns are ``COLLATE "C"``, SQLite compares bytes);
- each row encoded as a JSON array of its columns in schema order, after its table's name:
  ``["figures", "…", 3, null]`` + newline. Values are only text, integers and null, which
  both stores return as the same Python objects, and with the cipher on the sealed columns
  as stored (bytes, as hex): sealing is deterministic (projections/sealing.py), so equal
  views under one key still hash the same, and the digest never needs to open them;
- notification ids appear nowhere in the views, so neither gaps in the log nor a replay in
  another order of independent events change a byte.

The tracking position is reported beside the digest, not in it: two copies at different
positions differ in content anyway, and equal content is what is being checked.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from ledger.store import Store
from projections.db import Db
from projections.follower import UPSTREAM
from projections.views_schema import DEFAULT_NAME, TABLES, Table

DIGEST_VERSION = "incident-ledger/views-digest/v1"


def plain(value: Any) -> Any:
    """A stored value as JSON can carry it: bytes (hashes, sealed text) as hex."""
    return value.hex() if isinstance(value, (bytes, bytearray, memoryview)) else value


def table_rows(db: Db, cursor: Any, table: Table, page: int = 5_000) -> Any:
    """A table's rows in canonical order, read in keyset pages so a big table never sits in memory."""
    columns = ", ".join(table.column_names)
    order = ", ".join(table.key)
    key_positions = [table.column_names.index(k) for k in table.key]
    after: tuple[Any, ...] | None = None
    while True:
        if after is None:
            rows = db.all(cursor, f"SELECT {columns} FROM {{{table.name}}} ORDER BY {order} LIMIT ?", (page,),
                          as_stored=True)
        else:
            # Row-value comparison: supported by both stores, and served by the primary key.
            rows = db.all(
                cursor,
                f"SELECT {columns} FROM {{{table.name}}} WHERE ({order}) > ({', '.join('?' * len(table.key))})"
                f" ORDER BY {order} LIMIT ?",
                (*after, page), as_stored=True,
            )
        yield from rows
        if len(rows) < page:
            return
        after = tuple(rows[-1][i] for i in key_positions)


def digest_db(db: Db) -> dict[str, Any]:
    hasher = hashlib.sha256(DIGEST_VERSION.encode() + b"\n")
    counts: dict[str, int] = {}
    with db.snapshot() as cursor:
        position = db.value(cursor, "SELECT notification_id FROM {tracking} WHERE application_name = ?",
                            (UPSTREAM,))
        for table in TABLES:
            n = 0
            for row in table_rows(db, cursor, table):
                hasher.update(orjson.dumps([table.name, *(plain(v) for v in row)]) + b"\n")
                n += 1
            counts[table.name] = n
    return {"sha256": hasher.hexdigest(), "position": position, "rows": counts}


def digest(store: Store, name: str = DEFAULT_NAME) -> dict[str, Any]:
    """``{"sha256": hex, "position": last applied notification id, "rows": {table: count}}``."""
    db = Db(store, name, pool_size=1)
    try:
        return digest_db(db)
    finally:
        db.close()
