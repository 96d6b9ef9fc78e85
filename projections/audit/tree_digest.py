"""A canonical SHA-256 of the audit projection's state (leaves, nodes, log, subjects).

Same idea as projections.views_digest for the views: tables in a fixed order, rows in key order,
each row a JSON array (bytes as hex) after its table's name. The checkpoints and the meta
table are not part of it: they are not derived from the log.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from projections.db import Db
from projections.views_digest import plain
from projections.follower import UPSTREAM

#: v2: the log keeps each judgement's evidence.
DIGEST_VERSION = "incident-ledger/audit-digest/v2"

_TABLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("leaves", "position, notification_id, originator_id, originator_version, leaf_hash", ("position",)),
    ("nodes", "level, idx, hash", ("level", "idx")),
    ("log", "position, notification_id, recorded_at, actor, topic, kind, aggregate_id, aggregate_version,"
            " figure_id, incident_id, reason, evidence", ("position",)),
    ("subjects", "aggregate_id, figure_id, incident_id", ("aggregate_id",)),
)


def audit_digest(db: Db, page: int = 5_000) -> dict[str, Any]:
    hasher = hashlib.sha256(DIGEST_VERSION.encode() + b"\n")
    counts: dict[str, int] = {}
    with db.snapshot() as cursor:
        position = db.value(cursor, "SELECT notification_id FROM {tracking} WHERE application_name = ?", (UPSTREAM,))
        for table, columns, key in _TABLES:
            names = [c.strip() for c in columns.split(",")]
            key_at = [names.index(k) for k in key]
            order = ", ".join(key)
            after: tuple[Any, ...] | None = None
            n = 0
            while True:
                if after is None:
                    rows = db.all(cursor, f"SELECT {columns} FROM {{{table}}} ORDER BY {order} LIMIT ?", (page,),
                                  as_stored=True)
                else:
                    marks = ", ".join("?" * len(key))
                    rows = db.all(cursor, f"SELECT {columns} FROM {{{table}}} WHERE ({order}) > ({marks})"
                                          f" ORDER BY {order} LIMIT ?", (*after, page), as_stored=True)
                for row in rows:
                    hasher.update(orjson.dumps([table, *(plain(v) for v in row)]) + b"\n")
                n += len(rows)
                if len(rows) < page:
                    break
                after = tuple(rows[-1][i] for i in key_at)
            counts[table] = n
    return {"sha256": hasher.hexdigest(), "position": position, "rows": counts}
