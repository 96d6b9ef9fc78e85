"""Figure events into the figure views: current state, every version, and each source's claims.

A figure's identity (incident, metric, breakdown) never changes, so it is copied into every
version row: "all figures of metric M as of T" is then one index range over the versions,
with no join back to the figure. Each event closes the figure's open version at its own
timestamp and opens the next; claims are versioned the same way, so the spread between
sources as of T is a range query too.

A batch is worked out in memory and written with a handful of ``executemany`` calls: the
touched figures' current rows and open claims are read once, every event of the batch is
applied to them in order, and only the end state of ``figures`` plus the new and closed
version rows reach the database. A version opened and closed inside one batch is written
once, already closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any

import orjson

from ledger.figure import ACTIVE, RETRACTED
from projections import publication
from projections.db import OPEN, Db
from projections.named_rows import mutable_shape


def canonical(value: Any) -> str:
    """JSON text with sorted keys: the same object always reads the same, on either store."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def shape(breakdown: dict[str, str]) -> tuple[str, int, str | None]:
    """(dimensions joined by commas, how many, the value when there is exactly one)."""
    dims = ",".join(sorted(breakdown))
    depth = len(breakdown)
    return dims, depth, (breakdown[dims] if depth == 1 else None)


VERSION_COLUMNS = (
    "figure_id", "version", "recorded_from", "recorded_to", "recorded_at", "actor", "kind", "reason", "source_id",
    "report_id", "evidence", "replaces", "value_changed", "published_at", "published_from", "published_to", "late",
    "incident_id", "metric", "breakdown", "population", "dims",
    "depth", "dim_value", "qualifier", "low", "high", "value", "value_source_id", "status", "grade",
)
CLAIM_COLUMNS = (
    "figure_id", "source_id", "figure_version", "recorded_from", "recorded_to", "claim_version", "claimed_at",
    "actor", "report_id", "qualifier", "low", "high", "value", "superseded",
)
FIGURE_COLUMNS = (
    "figure_id", "incident_id", "metric", "breakdown", "population", "dims", "depth", "dim_value", "version",
    "qualifier", "low",
    "high", "value", "value_source_id", "status", "grade", "stated_at", "stated_by", "updated_at", "published_from",
)
#: Rows of figure_versions and claim_versions as a batch builds them (closed in place, then written).
VersionRow = mutable_shape("VersionRow", VERSION_COLUMNS)
ClaimRow = mutable_shape("ClaimRow", CLAIM_COLUMNS)
#: A version's columns from ``incident_id`` on, copied from the figure's current row (a dict).
_COPIED = itemgetter(*VERSION_COLUMNS[VERSION_COLUMNS.index("incident_id"):])
_VERSION_KEY = attrgetter("figure_id", "recorded_from", "version")  # the primary key of figure_versions
_CLAIM_KEY = attrgetter("figure_id", "source_id", "recorded_from", "figure_version")  # and of claim_versions


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {{{table}}} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_INSERT_VERSION = _insert("figure_versions", VERSION_COLUMNS)
_INSERT_CLAIM = _insert("claim_versions", CLAIM_COLUMNS)
_INSERT_FIGURE = _insert("figures", FIGURE_COLUMNS)
_UPDATE_FIGURE = (
    "UPDATE {figures} SET version = ?, qualifier = ?, low = ?, high = ?, value = ?, value_source_id = ?, status = ?,"
    " grade = ?, updated_at = ?, published_from = ? WHERE figure_id = ?"
)


@dataclass
class BatchFigure:
    """A figure as the batch sees it, from its current row or its Stated event."""

    row: dict[str, Any]
    new: bool
    open_version: Any = None  # this batch's open VersionRow, once it has one
    first_from: int | None = None  # start of this batch's first version of the figure
    prior_version: int | None = None  # the open version before this batch, if any
    prior_value: tuple[int, int | None, str, str] | None = None  # its (low, high, status, qualifier)
    prior_from: int | None = None  # and its start
    row_published: int | None = None  # its published_from (projections/publication.py)


@dataclass
class Touched:
    """What a batch did to figures: for the running tallies (running.py)."""

    inserted: set[tuple[str, int]] = field(default_factory=set)
    closed_before: set[tuple[str, int]] = field(default_factory=set)  # versions open before the batch
    figures: dict[str, BatchFigure] = field(default_factory=dict)


class FigureBatch:
    def __init__(self, db: Db, cursor: Any) -> None:
        self.db = db
        self.cursor = cursor
        self.state: dict[str, BatchFigure] = {}
        self.claims: dict[tuple[str, str], Any] = {}  # open ClaimRows, by (figure, source)
        self.prior_claims: set[tuple[str, str, int]] = set()  # open claim rows that predate the batch
        self.versions: list[Any] = []  # VersionRows
        self.new_claims: list[Any] = []  # ClaimRows
        self.version_closes: list[tuple[int, str, int, int]] = []
        self.claim_closes: list[tuple[int, str, str, int, int]] = []
        self.touched = Touched()

    # ---- reading what the batch will change ----------------------------------------------

    def load(self, figure_ids: Iterable[str]) -> None:
        """Read the current row and open claims of every figure the batch changes (not states)."""
        wanted = sorted(set(figure_ids))
        db, c = self.db, self.cursor
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            marks = ", ".join("?" * len(chunk))
            for row in db.all(c, f"SELECT {', '.join(FIGURE_COLUMNS)} FROM {{figures}} WHERE figure_id IN ({marks})",
                              chunk):
                record = dict(zip(FIGURE_COLUMNS, row))
                self.state[record["figure_id"]] = BatchFigure(
                    record, new=False, prior_version=record["version"], prior_from=record["updated_at"],
                    row_published=record["published_from"],
                    prior_value=(record["low"], record["high"], record["status"], record["qualifier"]))
            for row in db.all(c, f"SELECT {', '.join(CLAIM_COLUMNS)} FROM {{claim_versions}}"
                                 f" WHERE figure_id IN ({marks}) AND recorded_to = ?", (*chunk, OPEN)):
                claim = ClaimRow(row)
                self.claims[(claim.figure_id, claim.source_id)] = claim
                self.prior_claims.add((claim.figure_id, claim.source_id, claim.figure_version))

    # ---- applying events -------------------------------------------------------------------

    def stated(self, e: Any) -> None:
        fid = e.originator_id
        t = e.t
        dims, depth, dim_value = shape(e.breakdown)
        value = e.value
        row = {
            "figure_id": fid, "incident_id": e.incident_id, "metric": e.metric, "breakdown": canonical(e.breakdown),
            "population": e.population, "dims": dims, "depth": depth, "dim_value": dim_value, "version": e.originator_version,
            "qualifier": value["qualifier"], "low": value["low"], "high": value["high"], "value": canonical(value),
            "value_source_id": e.source_id, "status": ACTIVE, "grade": "unassessed", "stated_at": t,
            "stated_by": e.actor, "updated_at": t, "published_from": None,  # set by _publish
        }
        if fid in self.state:
            raise ValueError(f"figure {fid} stated twice")
        state = self.state[fid] = BatchFigure(row, new=True)
        self._open(state, e, t, "stated", source_id=e.source_id, report_id=e.report_id, changed=True)
        self._claim(fid, e.source_id, e, t)

    def claimed(self, e: Any) -> None:
        if e.adopted:
            # No evidence is NULL, as these rows read before evidence existed: views built then equal a rebuild.
            t = self._advance(e, "adopted", reason=e.reason, evidence=list(e.evidence) or None, source_id=e.source_id,
                              report_id=e.report_id, value=e.value, value_source_id=e.source_id)
        else:
            t = self._advance(e, "claimed", source_id=e.source_id, report_id=e.report_id)
        self._claim(e.originator_id, e.source_id, e, t)

    def corrected(self, e: Any) -> None:
        self._advance(e, "corrected", reason=e.reason, evidence=list(e.evidence), value=e.value,
                      value_source_id=None, status=ACTIVE)

    def superseded(self, e: Any) -> None:
        fid = e.originator_id
        t = self._advance(e, "superseded", reason=e.reason, evidence=list(e.evidence) or None, source_id=e.source_id,
                          report_id=e.report_id, replaces=list(e.replaces), value=e.value,
                          value_source_id=e.source_id, status=ACTIVE)
        for source_id in e.replaces:
            old = self._close_claim(fid, source_id, t)
            if old is None:
                continue
            # The source still said what it said; the ledger now marks the claim as replaced.
            row = ClaimRow(old)
            row.figure_version, row.recorded_from, row.recorded_to, row.superseded = e.originator_version, t, OPEN, 1
            self.new_claims.append(row)
            self.claims[(fid, source_id)] = row
        self._claim(fid, e.source_id, e, t)

    def retracted(self, e: Any) -> None:
        self._advance(e, "retracted", reason=e.reason, evidence=list(e.evidence) or None, status=RETRACTED)

    def regraded(self, e: Any) -> None:
        self._advance(e, "regraded", reason=e.reason, evidence=list(e.evidence) or None, grade=e.grade)

    _UNCHANGED = object()

    def _advance(
        self, e: Any, kind: str, *, reason: str | None = None, source_id: str | None = None,
        report_id: str | None = None, evidence: list[str] | None = None, replaces: list[str] | None = None,
        value: dict[str, Any] | None = None, value_source_id: Any = _UNCHANGED, status: str | None = None,
        grade: str | None = None,
    ) -> int:
        fid = e.originator_id
        state = self.state.get(fid)
        if state is None:
            raise LookupError(f"figure {fid}: event {e.originator_version} arrived before the figure was stated")
        row = state.row
        # Held at the previous start if the clock went backwards, so one figure's versions never overlap.
        t = max(e.t, row["updated_at"])
        old_value = row["value"]
        if value is not None:
            row["value"] = canonical(value)
            row["qualifier"], row["low"], row["high"] = value["qualifier"], value["low"], value["high"]
        if value_source_id is not self._UNCHANGED:
            row["value_source_id"] = value_source_id
        if status is not None:
            row["status"] = status
        if grade is not None:
            row["grade"] = grade
        row["version"] = e.originator_version
        row["updated_at"] = t
        self._open(state, e, t, kind, reason=reason, source_id=source_id, report_id=report_id, evidence=evidence,
                   replaces=replaces, changed=row["value"] != old_value)
        return t

    def _open(
        self, state: BatchFigure, e: Any, t: int, kind: str, *, reason: str | None = None,
        source_id: str | None = None, report_id: str | None = None, evidence: list[str] | None = None,
        replaces: list[str] | None = None, changed: bool,
    ) -> None:
        row = state.row
        fid = row["figure_id"]
        if state.open_version is not None:
            state.open_version.recorded_to = t
        elif not state.new:
            self.version_closes.append((t, fid, state.prior_from, state.prior_version))  # type: ignore[arg-type]
            self.touched.closed_before.add((fid, state.prior_version))  # type: ignore[arg-type]
        # In VERSION_COLUMNS order (a row per event: keyword arguments cost ten times as much).
        version = VersionRow((
            fid, e.originator_version, t, OPEN, e.t, e.actor, kind, reason, source_id, report_id,
            None if evidence is None else canonical(evidence), None if replaces is None else canonical(replaces),
            int(changed), None, None, OPEN, 0, *_COPIED(row),  # published_*: set by _publish
        ))
        self.versions.append(version)
        state.open_version = version
        if state.first_from is None:
            state.first_from = t
        self.touched.inserted.add((fid, e.originator_version))
        self.touched.figures[fid] = state

    def _close_claim(self, fid: str, source_id: str, t: int) -> Any:
        row = self.claims.pop((fid, source_id), None)
        if row is None:
            return None
        if (fid, source_id, row.figure_version) in self.prior_claims:
            self.claim_closes.append((t, fid, source_id, row.recorded_from, row.figure_version))
        else:
            row.recorded_to = t
        return row

    def _claim(self, fid: str, source_id: str, e: Any, t: int) -> None:
        self._close_claim(fid, source_id, t)
        # In CLAIM_COLUMNS order.
        row = ClaimRow((fid, source_id, e.originator_version, t, OPEN, e.originator_version, e.t, e.actor,
                        e.report_id, e.value["qualifier"], e.value["low"], e.value["high"], canonical(e.value), 0))
        self.new_claims.append(row)
        self.claims[(fid, source_id)] = row

    # ---- writing the end state ----------------------------------------------------------------

    def _publish(self) -> list[tuple[Any, ...]]:
        """Place each new version in publication time (projections/publication.py), once the
        batch's reports are written; the closes of versions open before the batch, with the
        ``published_to`` each now ends at."""
        db, c = self.db, self.cursor
        wanted = sorted({v.report_id for v in self.versions if v.report_id})
        reports: dict[str, tuple[str | None, int]] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            for report_id, published_on, filed_at in db.all(
                    c, f"SELECT report_id, published_on, filed_at FROM {{reports}}"
                       f" WHERE report_id IN ({', '.join('?' * len(chunk))})", chunk):
                reports[report_id] = (published_on, filed_at)
        last: dict[str, Any] = {}
        first: dict[str, int] = {}
        for v in self.versions:  # in the order applied
            state = self.state[v.figure_id]
            before = last.get(v.figure_id)
            prior = before.published_from if before is not None else (None if state.new else state.row_published)
            at = publication.word_published_at(v.kind, reports.get(v.report_id), v.recorded_at)
            v.published_at = at
            v.published_from = at if prior is None else max(prior, at)
            v.late = int(prior is not None and at < prior)
            if before is not None:
                before.published_to = v.published_from
            else:
                first[v.figure_id] = v.published_from
            last[v.figure_id] = v
        for fid, v in last.items():
            self.state[fid].row["published_from"] = v.published_from
        return [(t, first[fid], fid, start, version) for t, fid, start, version in self.version_closes]

    def write(self) -> Touched:
        db, c = self.db, self.cursor
        closes = self._publish()
        new = [s.row for s in self.state.values() if s.new]
        changed = [s.row for s in self.state.values() if not s.new and s.open_version is not None]
        db.run_many(c, _INSERT_FIGURE, sorted([[r[k] for k in FIGURE_COLUMNS] for r in new]))
        db.run_many(c, "INSERT INTO {figure_dimensions} (figure_id, dimension) VALUES (?, ?)",
                    [(r["figure_id"], d) for r in new for d in (r["dims"].split(",") if r["dims"] else ())])
        db.run_many(c, _UPDATE_FIGURE, [
            (r["version"], r["qualifier"], r["low"], r["high"], r["value"], r["value_source_id"], r["status"],
             r["grade"], r["updated_at"], r["published_from"], r["figure_id"]) for r in changed])
        db.run_many(c, "UPDATE {figure_versions} SET recorded_to = ?, published_to = ? WHERE figure_id = ?"
                       " AND recorded_from = ? AND version = ?", closes)
        # In key order: each B-tree page is then visited once per batch, not once per row.
        db.run_many(c, _INSERT_VERSION, sorted(self.versions, key=_VERSION_KEY))
        db.run_many(c, "UPDATE {claim_versions} SET recorded_to = ? WHERE figure_id = ? AND source_id = ?"
                       " AND recorded_from = ? AND figure_version = ?", self.claim_closes)
        db.run_many(c, _INSERT_CLAIM, sorted(self.new_claims, key=_CLAIM_KEY))
        return self.touched
