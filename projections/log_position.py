"""Where the log and the views stand, read together in one statement.

``(head, position)``: the last notification id in the ledger's log and the last one the
views have applied. A query that finds ``position >= head`` may answer from the views as
they are: every command answered before the query was committed at or below ``head``
(notification ids are handed out under the insert lock, so a visible head has no
uncommitted id below it). Both come from one statement, so from one snapshot.
"""

from __future__ import annotations

from typing import Any

from projections import oneshot
from projections.db import Db
from projections.follower import UPSTREAM


class Standing:
    """Reads (head of the log, position of the views) of projection ``db`` over ``recorder``'s log."""

    def __init__(self, db: Db, recorder: Any) -> None:
        self.db = db
        table = oneshot.quoted(recorder.events_table_name)
        if db.kind == "sqlite":
            head = f"SELECT MAX(rowid) FROM {table}"
        else:
            head = f"SELECT MAX(notification_id) FROM {oneshot.quoted(recorder.datastore.schema)}.{table}"
        self._statement = (f"SELECT ({head}),"
                           " (SELECT notification_id FROM {tracking} WHERE application_name = ?)")

    def __call__(self) -> tuple[int, int]:
        (head, position), = oneshot.read(self.db, self._statement, (UPSTREAM,))
        return head or 0, position or 0
