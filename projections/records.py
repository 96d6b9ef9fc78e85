"""Sources, incidents, reports and citations into their views.

A source's current row carries its protection now, by which the read side redacts: a source
protected today is hidden in every answer, historical ones included. Each of its versions is
kept as well (``source_versions``), for what the ledger said of it as of a time.

Statements are queued in event order and written at the end of the batch, runs of the same
statement as one ``executemany``. The few events that need an earlier row (a period
revision, a withdrawal) find it in the batch's memory or, failing that, in the database,
which holds everything from earlier batches.
"""

from __future__ import annotations

from typing import Any

from projections.db import OPEN, Db
from projections.figure_views import canonical


class RecordBatch:
    def __init__(self, db: Db, cursor: Any) -> None:
        self.db = db
        self.cursor = cursor
        self.queue: list[tuple[str, tuple[Any, ...]]] = []
        self.incidents: dict[str, tuple[int, int]] = {}  # incident -> (version, updated_at), this batch
        self.cited_at: dict[str, int] = {}  # citation -> cited_at, this batch
        #: incident -> (when the batch first set its period, the period before the batch, None for
        #: one recorded in it): for the running tallies by month (running_months.py). A recorded
        #: incident is there too: the log may deliver its figures' events before it (other aggregates).
        self.revised: dict[str, tuple[int, tuple[str, str | None] | None]] = {}

    def _put(self, sql: str, params: tuple[Any, ...]) -> None:
        self.queue.append((sql, params))

    def write(self) -> None:
        # Inserts first, one executemany per statement; then updates, in event order. An update
        # here only ever touches a row inserted earlier (in this batch or before), so this order
        # keeps every dependency while turning interleaved events into a few large statements.
        inserts: dict[str, list[tuple[Any, ...]]] = {}
        updates: list[tuple[str, tuple[Any, ...]]] = []
        for sql, params in self.queue:
            if sql.startswith("INSERT"):
                inserts.setdefault(sql, []).append(params)
            else:
                updates.append((sql, params))
        for sql, rows in inserts.items():
            self.db.run_many(self.cursor, sql, rows)
        run: list[tuple[Any, ...]] = []
        current: str | None = None
        for sql, params in updates:
            if sql != current and run:
                self.db.run_many(self.cursor, current, run)  # type: ignore[arg-type]
                run = []
            current = sql
            run.append(params)
        if run:
            self.db.run_many(self.cursor, current, run)  # type: ignore[arg-type]
        self.queue = []

    # ---- sources -----------------------------------------------------------------------------

    def source_registered(self, e: Any) -> None:
        t = e.t
        self._put("INSERT INTO {sources} (source_id, name, name_en, kind, url, language, protected, version,"
                  " registered_at, registered_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (e.originator_id, e.name, e.name_en, e.kind, e.url, e.language, int(bool(e.protected)),
                   e.originator_version, t, e.actor, t))
        self._source_version(e)

    def protection_changed(self, e: Any) -> None:
        self._put("UPDATE {sources} SET protected = ?, version = ?, updated_at = ? WHERE source_id = ?",
                  (int(bool(e.protected)), e.originator_version, e.t, e.originator_id))
        self._source_version(e)

    def _source_version(self, e: Any) -> None:
        self._put("INSERT INTO {source_versions} (source_id, version, recorded_at, protected) VALUES (?, ?, ?, ?)",
                  (e.originator_id, e.originator_version, e.t, int(bool(e.protected))))

    # ---- incidents ---------------------------------------------------------------------------

    def incident_recorded(self, e: Any) -> None:
        iid = e.originator_id
        t = e.t
        self._put("INSERT INTO {incidents} (incident_id, title, title_en, description, places, valid_from, valid_to,"
                  " version, recorded_at, recorded_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (iid, e.title, e.title_en, e.description, canonical(list(e.places)), e.valid_from, e.valid_to,
                   e.originator_version, t, e.actor, t))
        self._put("INSERT INTO {incident_versions} (incident_id, version, recorded_from, recorded_to, recorded_at,"
                  " actor, kind, reason, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (iid, e.originator_version, t, OPEN, t, e.actor, "recorded", None, e.valid_from, e.valid_to))
        # Places are matched case-blind ("Idlib" = "idlib"); the first spelling of each is kept.
        seen: set[str] = set()
        for place in e.places:
            key = place.casefold()
            if key not in seen:
                seen.add(key)
                self._put("INSERT INTO {incident_places} (incident_id, place, place_key) VALUES (?, ?, ?)",
                          (iid, place, key))
        self.incidents[iid] = (e.originator_version, t)
        self.revised.setdefault(iid, (t, None))

    def period_revised(self, e: Any) -> None:
        iid = e.originator_id
        known = self.incidents.get(iid)
        if known is None:
            known = self.db.one(self.cursor, "SELECT version, updated_at FROM {incidents} WHERE incident_id = ?", (iid,))
            if known is None:
                raise LookupError(f"incident {iid}: revised before it was recorded")
        previous, since = known
        t = max(e.t, since)
        if iid not in self.revised:
            # Read before this batch writes anything: the period as it stood before the batch.
            self.revised[iid] = (t, self.db.one(self.cursor, "SELECT valid_from, valid_to FROM {incidents}"
                                                              " WHERE incident_id = ?", (iid,)))
        self._put("UPDATE {incidents} SET valid_from = ?, valid_to = ?, version = ?, updated_at = ?"
                  " WHERE incident_id = ?", (e.valid_from, e.valid_to, e.originator_version, t, iid))
        self._put("UPDATE {incident_versions} SET recorded_to = ? WHERE incident_id = ? AND version = ?",
                  (t, iid, previous))
        self._put("INSERT INTO {incident_versions} (incident_id, version, recorded_from, recorded_to, recorded_at,"
                  " actor, kind, reason, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (iid, e.originator_version, t, OPEN, e.t, e.actor, "period_revised", e.reason,
                   e.valid_from, e.valid_to))
        self.incidents[iid] = (e.originator_version, t)

    # ---- reports and citations -----------------------------------------------------------------

    def report_filed(self, e: Any) -> None:
        self._put("INSERT INTO {reports} (report_id, source_id, title, title_en, language, published_on, url,"
                  " reference, period_from, period_to, places, figure_ids, filed_at, filed_by)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (e.originator_id, e.source_id, e.title, e.title_en, e.language, e.published_on, e.url,
                   e.reference, e.period_from, e.period_to, canonical(list(e.places)), canonical(list(e.figure_ids)),
                   e.t, e.actor))

    def cited(self, e: Any) -> None:
        cid = e.originator_id
        t = e.t
        self._put("INSERT INTO {citations} (citation_id, target_kind, target_id, source_id, url, quote, quote_en,"
                  " page, accessed_on, sha256, cited_at, cited_by, withdrawn, withdrawn_at, withdrawn_by,"
                  " withdrawn_reason, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (cid, e.target_kind, e.target_id, e.source_id, e.url, e.quote, e.quote_en, e.page, e.accessed_on,
                   e.sha256, t, e.actor, 0, OPEN, None, None, e.originator_version))
        self.cited_at[cid] = t

    def withdrawn(self, e: Any) -> None:
        cid = e.originator_id
        cited_at = self.cited_at.get(cid)
        if cited_at is None:
            cited_at = self.db.value(self.cursor, "SELECT cited_at FROM {citations} WHERE citation_id = ?", (cid,))
            if cited_at is None:
                raise LookupError(f"citation {cid}: withdrawn before it was made")
        self._put("UPDATE {citations} SET withdrawn = 1, withdrawn_at = ?, withdrawn_by = ?, withdrawn_reason = ?,"
                  " version = ? WHERE citation_id = ?",
                  (max(e.t, cited_at), e.actor, e.reason, e.originator_version, cid))
