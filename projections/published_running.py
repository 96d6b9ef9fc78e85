"""Running tallies over publication time: the count's chart in publication order, kept.

A figure's state under a cut P is the fold, in version order, of its events published by P
(publication.py). As a function of P it is a step function, kept in ``published_steps``: one
row per instant at which the figure's state under the cut changes (``published_from``), with
the state (publication.Folded's fields) and the version that decided it (its kind, actor and
recording, for what moved a point). The steps are exactly the changes the replay in publication
order makes (tally_history_cut._published), so the chart read off them is the replay's.

A new version e of a figure is always its last in version order. With publication instant p it
leaves the state under every cut before p as it was, and under every cut from p on makes it
``fold([e], P, state(P))``: e applied to the old state. So a batch applies each version to the
figure's steps from p on only (a word that sets the value makes them all alike, and they merge:
steps stay few); a correction, retraction or grade is published when recorded and touches only
the last step.

Each incident's contribution to its metric's total (ledger/tally.IncidentParts, as running.py
works it) is worked out from its figures' steps on [p_min, OPEN) before and after the batch, and
the difference is kept as *deltas* per instant in ``published_tallies`` (metric key, instant):
a late archive word touches its own instant and the few after it where the incident moved,
never every later row. The total under the cut D is the sum of the deltas by D; the chart is
their running sum. Zero deltas are not kept, so the rows, and the digest, depend only on the
events, never on how they were batched or ordered.

Two audiences. Auditors place every word at its report's date (audience ``a``). Readers and
officers place a protected source's words at their filing (redaction.filing_placed): a figure
with such a word has reader steps of its own (audience ``r``; the others' are the auditors'),
and each incident with one keeps, under ``r``, the reader's total minus the auditor's (nonzero
only around those words). A reader's chart sums both; an auditor's placement never reaches a
reader's steps. A source protected or unprotected refolds its figures' reader steps from their
versions (rare). Only the total (no dimension) is kept, of each population (running.tally_metric).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, NamedTuple

from ledger.tally import ZERO, Tally
from projections import publication
from projections.db import OPEN, Db
from projections.named_rows import shape
from projections.read_filters import CLAIM_OF_VERSION
from projections.redaction import visible_source
from projections.running import Pair, _timeline, row_sum, tally_metric

AUDITOR, READER = "a", "r"

STEP_COLUMNS = ("audience", "figure_id", "published_from", "metric", "incident_id", "dims", "depth", "dim_value",
                "version", "kind", "actor", "recorded_from", "qualifier", "low", "high", "value", "value_source_id",
                "status", "grade")
_StepRow = shape("StepRow", ", ".join(STEP_COLUMNS))
_INSERT_STEP = (f"INSERT INTO {{published_steps}} ({', '.join(STEP_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(STEP_COLUMNS))})")
_DELETE_STEP = ("DELETE FROM {published_steps} WHERE metric = ? AND incident_id = ? AND figure_id = ? AND audience = ?"
                " AND published_from = ?")
_DELTA = "low, high_sum, unbounded, figures, approximate"
_INSERT_DELTA = ("INSERT INTO {published_tallies} (metric, published_at, audience, low, high_sum, unbounded, figures,"
                 " approximate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


class Step(NamedTuple):
    """A figure's state under every cut from ``at`` to its next step."""

    at: int
    state: publication.Folded
    kind: str
    actor: str
    recorded_from: int


class FigureKey(NamedTuple):
    metric: str  # running.tally_metric
    incident_id: str
    dims: str
    depth: int
    dim_value: str | None


#: A figure version as the fold reads it (publication.fold's fields), with what a step keeps.
_Word = shape("Word", "figure_id, version, kind, published_at, recorded_at, recorded_from, actor, source_id,"
                      " qualifier, low, high, value, value_source_id, status, grade,"
                      " said_qualifier, said_low, said_high, said_value")
_VERSIONS = (f"SELECT fv.figure_id, fv.version, fv.kind, fv.published_at, fv.recorded_at, fv.recorded_from, fv.actor,"
             " fv.source_id, fv.qualifier, fv.low, fv.high, fv.value, fv.value_source_id, fv.status, fv.grade,"
             " cv.qualifier AS said_qualifier, cv.low AS said_low, cv.high AS said_high, cv.value AS said_value"
             " FROM {figure_versions} fv LEFT JOIN {claim_versions} cv"
             f" ON {CLAIM_OF_VERSION}")


def applied(steps: list[Step], word: Any, p: int) -> list[Step]:
    """The steps after ``word`` (the figure's newest version, placed at ``p``): those before p as
    they were, e applied to the state at p and to every later one, equal neighbours merged."""
    out = [s for s in steps if s.at < p]
    tail = [s for s in steps if s.at >= p]
    if not tail or tail[0].at != p:
        before = out[-1].state if out else None
        tail.insert(0, Step(p, before, "", "", 0))  # type: ignore[arg-type]
    for s in tail:
        state = publication.fold((word,), None, s.state)
        if state is None:
            continue  # an act with no word to act on yet
        if out and out[-1].state == state:
            continue
        out.append(Step(s.at, state, word.kind, word.actor, word.recorded_from))
    return out


def folded_steps(words: list[Any]) -> list[Step]:
    """A figure's steps from all its versions (``words`` in version order, each at its placement)."""
    steps: list[Step] = []
    for w in words:
        steps = applied(steps, w, w.published_at)
    return steps


def _placed(word: Any, hidden: set[str]) -> Any:
    """A word as a reader places it: a hidden source's at its filing (redaction.filing_placed)."""
    return word._replace(published_at=word.recorded_at) if word.source_id in hidden else word


def _pairs(identity: FigureKey, figure_id: str, steps: list[Step]) -> list[Any]:
    """A figure's steps as versions over publication time (running.py's Pairs), those that count
    the same merged: a contribution reads only the value and status (a claim or a grade moves none)."""
    out: list[Any] = []
    for s in steps:
        st = s.state
        if out and (out[-1].low, out[-1].high, out[-1].status, out[-1].qualifier) == (st.low, st.high, st.status,
                                                                                        st.qualifier):
            continue
        if out:
            out[-1] = out[-1]._replace(recorded_to=s.at)
        out.append(Pair(figure_id, identity.incident_id, st.version, s.at, OPEN, identity.dims, identity.depth,
                        identity.dim_value, st.low, st.high, st.status, st.qualifier))
    return out


def _agree_from(a: list[Any], b: list[Any]) -> int:
    """The earliest instant from which two figures' Pairs (as _pairs merges them) count the same
    (-OPEN: everywhere): from there on the incident's contribution cannot differ either."""
    i, j = len(a) - 1, len(b) - 1
    while i >= 0 and j >= 0 and a[i][8:] == b[j][8:]:  # low, high, status, qualifier
        if a[i].recorded_from != b[j].recorded_from:
            return max(a[i].recorded_from, b[j].recorded_from)
        i, j = i - 1, j - 1
    if i < 0 and j < 0:
        return -OPEN
    return a[i + 1].recorded_from if i + 1 < len(a) else OPEN


def _moves(values: list[Tally]) -> list[tuple[int, Tally]]:
    """(index, change) wherever a run of values (ZERO before the first) moves."""
    out = []
    previous = ZERO
    for i, value in enumerate(values):
        if value != previous:
            out.append((i, value - previous))
            previous = value
    return out


class _Figure:
    """A figure's steps for both audiences (``reader`` None: the auditors' serve readers too)."""

    __slots__ = ("identity", "auditor", "reader")

    def __init__(self, identity: FigureKey, auditor: list[Step], reader: list[Step] | None) -> None:
        self.identity, self.auditor, self.reader = identity, auditor, reader

    def seen_by_reader(self) -> list[Step]:
        return self.auditor if self.reader is None else self.reader


def _load(db: Db, cursor: Any, starts: dict[tuple[str, str], int]) -> dict[str, _Figure]:
    """The stored steps of every figure of these (metric key, incident) pairs: a range of the key
    each. (Read from the step standing at each pair's start on instead, a seek per figure cost
    three times as much at 10k and 100k events as reading the incidents' few steps whole.)"""
    found: dict[str, _Figure] = {}
    wanted = sorted(starts)
    for first in range(0, len(wanted), 400):
        chunk = wanted[first:first + 400]
        rows = db.all(cursor, f"SELECT {_StepRow.columns} FROM {{published_steps}} WHERE (metric, incident_id) IN"
                              f" (VALUES {', '.join(['(?, ?)'] * len(chunk))})",
                      [x for key in chunk for x in key], shape=_StepRow)
        for r in rows:
            f = found.get(r.figure_id)
            if f is None:
                f = found[r.figure_id] = _Figure(FigureKey(r.metric, r.incident_id, r.dims, r.depth, r.dim_value), [],
                                                 None)
            step = Step(r.published_from, publication.Folded(r.qualifier, r.low, r.high, r.value, r.value_source_id,
                                                            r.status, r.grade, r.version),
                        r.kind, r.actor, r.recorded_from)
            if r.audience == AUDITOR:
                f.auditor.append(step)
            else:
                if f.reader is None:
                    f.reader = []
                f.reader.append(step)
    for f in found.values():  # (in key order on SQLite already; PostgreSQL promises no order)
        f.auditor.sort(key=_at)
        if f.reader is not None:
            f.reader.sort(key=_at)
    return found


def _at(step: Step) -> int:
    return step.at


def _hidden(db: Db, cursor: Any, source_ids: set[str]) -> set[str]:
    """The sources a reader may not see (protected, or unknown to the views: redaction.py)."""
    wanted = sorted(s for s in source_ids if s)
    shown: set[str] = set()
    for start in range(0, len(wanted), 400):
        chunk = wanted[start:start + 400]
        shown |= {sid for sid, in db.all(cursor, f"SELECT s.source_id FROM {{sources}} s WHERE"
                                                 f" {visible_source('s', False)} AND"
                                                 f" s.source_id IN ({', '.join('?' * len(chunk))})", chunk)}
    return set(wanted) - shown


def update(db: Db, cursor: Any, versions: list[Any], claims: list[Any], protection: Iterable[str] = ()) -> None:
    """Bring the steps and deltas up to date with a batch's figure versions (VersionRows, written,
    their ``published_at`` set; ``claims``: the batch's new ClaimRows, for a claim's own words)
    and the sources whose protection it changed (``protection``)."""
    kept = [v for v in versions if v.depth <= 1]
    protection = sorted(set(protection))
    if not kept and not protection:
        return
    said = {(c.figure_id, c.source_id, c.figure_version): c for c in claims}
    words: dict[str, list[Any]] = defaultdict(list)
    identity: dict[str, FigureKey] = {}
    for v in kept:
        c = said.get((v.figure_id, v.source_id, v.version))
        words[v.figure_id].append(_Word(
            v.figure_id, v.version, v.kind, v.published_at, v.recorded_at, v.recorded_from, v.actor, v.source_id,
            v.qualifier, v.low, v.high, v.value, v.value_source_id, v.status, v.grade,
            *((c.qualifier, c.low, c.high, c.value) if c is not None else (None, None, None, None))))
        identity[v.figure_id] = FigureKey(tally_metric(v.metric, v.population), v.incident_id, v.dims, v.depth,
                                         v.dim_value)
    refolded = _protection_figures(db, cursor, protection)
    for fid, ident in refolded.items():
        identity.setdefault(fid, ident)
    starts: dict[tuple[str, str], int] = {}
    for fid, ws in words.items():
        key = identity[fid][:2]
        starts[key] = min(starts.get(key, OPEN), min(min(w.published_at, w.recorded_at) for w in ws))
    for fid in refolded:
        starts[identity[fid][:2]] = -OPEN  # the whole of the reader's timeline may move
    hidden = _hidden(db, cursor, {w.source_id for ws in words.values() for w in ws if w.source_id})
    old = _load(db, cursor, starts)
    # The lists are shared until a word replaces them (applied makes new ones): unchanged is ``is``.
    new: dict[str, _Figure] = {fid: _Figure(f.identity, f.auditor, f.reader) for fid, f in old.items()}
    for fid, ws in words.items():
        f = new.get(fid)
        if f is None:
            f = new[fid] = _Figure(identity[fid], [], None)
        for w in ws:
            if f.reader is None and w.source_id in hidden:
                f.reader = list(f.auditor)  # the figure's first hidden word: the reader's steps part
            f.auditor = applied(f.auditor, w, w.published_at)
            if f.reader is not None:
                r = _placed(w, hidden)
                f.reader = applied(f.reader, r, r.published_at)
    if refolded:
        _refold_readers(db, cursor, new, refolded)
    _write_steps(db, cursor, old, new)
    _write_deltas(db, cursor, old, new, starts)


def _protection_figures(db: Db, cursor: Any, sources: list[str]) -> dict[str, FigureKey]:
    """The figures (depth <= 1) with a word of these sources: their reader steps are refolded."""
    out: dict[str, FigureKey] = {}
    for sid in sources:
        for fid, metric, population, incident_id, dims, depth, dim_value in db.all(
                cursor, "SELECT DISTINCT figure_id, metric, population, incident_id, dims, depth, dim_value"
                        " FROM {figure_versions} WHERE source_id = ? AND depth <= 1", (sid,)):
            out[fid] = FigureKey(tally_metric(metric, population), incident_id, dims, depth, dim_value)
    return out


def _all_words(db: Db, cursor: Any, figure_ids: Iterable[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for fid in sorted(set(figure_ids)):
        out[fid] = db.all(cursor, _VERSIONS + " WHERE fv.figure_id = ? ORDER BY fv.version", (fid,), shape=_Word)
    return out


def _refold_readers(db: Db, cursor: Any, figures: dict[str, _Figure], refolded: dict[str, FigureKey]) -> None:
    """Reader steps of these figures afresh from all their versions, the protection as it is now."""
    words = _all_words(db, cursor, refolded)
    hidden = _hidden(db, cursor, {w.source_id for ws in words.values() for w in ws if w.source_id})
    for fid, ws in words.items():
        f = figures.get(fid)
        if f is None:
            f = figures[fid] = _Figure(refolded[fid], folded_steps(ws), None)
        f.reader = folded_steps([_placed(w, hidden) for w in ws]) if any(w.source_id in hidden for w in ws) else None


def _step_rows(fid: str, f: _Figure) -> set[tuple[Any, ...]]:
    i = f.identity
    out = set()
    for audience, steps in ((AUDITOR, f.auditor), (READER, f.reader or [])):
        for s in steps:
            st = s.state
            out.add((audience, fid, s.at, i.metric, i.incident_id, i.dims, i.depth, i.dim_value, st.version, s.kind,
                     s.actor, s.recorded_from, st.qualifier, st.low, st.high, st.value, st.value_source_id,
                     st.status, st.grade))
    return out


def _write_steps(db: Db, cursor: Any, old: dict[str, _Figure], new: dict[str, _Figure]) -> None:
    deletes, inserts = [], []
    for fid, f in new.items():
        was = old.get(fid)
        if was is not None and was.auditor is f.auditor and was.reader is f.reader:
            continue
        before = _step_rows(fid, was) if was is not None else set()
        after = _step_rows(fid, f)
        if before == after:
            continue
        deletes += sorted((r[3], r[4], r[1], r[0], r[2]) for r in before - after)
        inserts += sorted(after - before)
    db.run_many(cursor, _DELETE_STEP, deletes)
    db.run_many(cursor, _INSERT_STEP, inserts)


def _write_deltas(db: Db, cursor: Any, old: dict[str, _Figure], new: dict[str, _Figure],
                  starts: dict[tuple[str, str], int]) -> None:
    by_incident: dict[tuple[str, str], list[str]] = defaultdict(list)
    for fid, f in new.items():
        by_incident[f.identity[:2]].append(fid)
    changes: dict[tuple[str, int, str], Tally] = defaultdict(lambda: ZERO)
    pairs: dict[int, list[Any]] = {}  # by id of a list of steps: a figure unchanged is made Pairs once

    def made(f: _Figure | None, fid: str, reader: bool) -> list[Any]:
        if f is None:
            return []
        steps = f.seen_by_reader() if reader else f.auditor
        found = pairs.get(id(steps))
        if found is None:
            found = pairs[id(steps)] = _pairs(f.identity, fid, steps)
        return found

    def timeline(figures: dict[str, _Figure], ids: list[str], reader: bool, start: int, end: int) -> list[Any]:
        rows: list[Any] = []
        for fid in ids:
            # What ended before start or began after end moves nothing there.
            rows += [r for r in made(figures.get(fid), fid, reader) if r.recorded_to > start and r.recorded_from <= end]
        return rows

    for key, ids in sorted(by_incident.items()):
        start = starts.get(key)
        if start is None:
            continue
        readers = any(f.reader is not None for figures in (old, new) for fid in ids if (f := figures.get(fid)))
        # Past the last instant at which a figure's old and new steps count otherwise, nothing moved:
        # a late word reaches only to its figure's next change of count, a correction only now on.
        end = -OPEN
        for fid in ids:
            was, now = old.get(fid), new[fid]
            if was is not None and was.auditor is now.auditor and was.reader is now.reader:
                continue  # a figure the batch left alone
            for reader in ((False, True) if readers else (False,)):
                end = max(end, _agree_from(made(was, fid, reader), made(now, fid, reader)))
        if end <= start:
            continue  # no contribution moved (a claim, a grade, a word of the same count)
        timelines = [timeline(old, ids, False, start, end), timeline(new, ids, False, start, end)]
        if readers:
            timelines += [timeline(old, ids, True, start, end), timeline(new, ids, True, start, end)]
        points = sorted({start} | {x for rows in timelines for r in rows
                                   for x in (r.recorded_from, r.recorded_to) if start <= x <= end and x < OPEN})
        values = [_timeline(rows, points) for rows in timelines]
        a_old, a_new = values[0], values[1]
        for i, delta in _moves([n - o for n, o in zip(a_new, a_old)]):
            changes[(key[0], points[i], AUDITOR)] += delta
        if readers:
            # The reader's correction: (reader - auditor) after, less (reader - auditor) before.
            r_old, r_new = values[2], values[3]
            for i, delta in _moves([(rn - an) - (ro - ao) for rn, an, ro, ao in zip(r_new, a_new, r_old, a_old)]):
                changes[(key[0], points[i], READER)] += delta
    changes = {k: v for k, v in changes.items() if v != ZERO}
    if not changes:
        return
    keys = sorted(changes)
    stored: dict[tuple[str, int, str], Tally] = {}
    for first in range(0, len(keys), 300):
        chunk = keys[first:first + 300]
        for r in db.all(cursor, f"SELECT metric, published_at, audience, {_DELTA} FROM {{published_tallies}}"
                                f" WHERE (metric, published_at, audience) IN"
                                f" (VALUES {', '.join(['(?, ?, ?)'] * len(chunk))})",
                        [x for k in chunk for x in k]):
            stored[(r[0], r[1], r[2])] = Tally(*r[3:])
    deletes, inserts = [], []
    for k in keys:
        if k in stored:
            deletes.append(k)
        total = stored.get(k, ZERO) + changes[k]
        if total != ZERO:
            inserts.append((*k, *total))
    db.run_many(cursor, "DELETE FROM {published_tallies} WHERE metric = ? AND published_at = ? AND audience = ?",
                deletes)
    db.run_many(cursor, _INSERT_DELTA, inserts)


def recompute(db: Db, cursor: Any) -> None:
    """Every step and delta afresh from the figure versions (a replay's end, as running.recompute):
    the same rows as batch-by-batch following keeps, by the same code."""
    db.run(cursor, "DELETE FROM {published_steps}")
    db.run(cursor, "DELETE FROM {published_tallies}")
    shown = {sid for sid, in db.all(cursor, f"SELECT s.source_id FROM {{sources}} s WHERE {visible_source('s', False)}")}
    kept = db.all(cursor, "SELECT DISTINCT metric, population FROM {figure_versions}")
    for name, population in sorted(kept):
        metric = tally_metric(name, population)
        figures: dict[str, _Figure] = {}
        ws: dict[str, list[Any]] = defaultdict(list)
        idents: dict[str, FigureKey] = {}
        for r in db.all(cursor, _VERSIONS.replace("SELECT ", "SELECT fv.incident_id, fv.dims, fv.depth,"
                                                             " fv.dim_value, ", 1)
                        + " WHERE fv.metric = ? AND fv.population = ? AND fv.depth <= 1"
                          " ORDER BY fv.figure_id, fv.version", (name, population)):
            w = _Word._make(r[4:])
            ws[w.figure_id].append(w)
            idents[w.figure_id] = FigureKey(metric, r[0], r[1], r[2], r[3])
        hidden = {w.source_id for words in ws.values() for w in words if w.source_id} - shown
        for fid, words in ws.items():
            figures[fid] = _Figure(idents[fid], folded_steps(words),
                                   folded_steps([_placed(w, hidden) for w in words])
                                   if any(w.source_id in hidden for w in words) else None)
        _write_steps(db, cursor, {}, figures)
        _write_deltas(db, cursor, {}, figures, {f.identity[:2]: -OPEN for f in figures.values()})


# ---- reading ------------------------------------------------------------------------------------

def head(db: Db, c: Any, metric: str) -> int | None:
    """The latest recording of any version of the metric: an as_of at or after it reads as now."""
    return db.value(c, "SELECT MAX(recorded_from) FROM {figure_versions} WHERE metric = ?", (metric,))


def _audiences(include_protected: bool) -> tuple[str, ...]:
    return (AUDITOR,) if include_protected else (AUDITOR, READER)


def totals(db: Db, c: Any, key: str, include_protected: bool, upto: int | None = None,
           last: int | None = None) -> list[tuple[int, Tally]]:
    """The total under the cut at each instant it moved (by ``upto``), oldest first: every one, or
    the latest ``last`` with the sum of the earlier ones folded into the first."""
    audiences = _audiences(include_protected)
    where = (f"metric = ? AND audience IN ({', '.join('?' * len(audiences))})"
             + ("" if upto is None else " AND published_at <= ?"))
    params = [key, *audiences, *(() if upto is None else (upto,))]
    # Cast back to 64 bits: PostgreSQL's SUM of a BIGINT is a NUMERIC.
    sums = ", ".join(f"CAST(SUM({c_}) AS BIGINT)" for c_ in _DELTA.split(", "))
    grouped = f"SELECT published_at, {sums} FROM {{published_tallies}} WHERE {where} GROUP BY published_at"
    if last is None:
        rows = db.all(c, grouped + " ORDER BY published_at", params)
        base = ZERO
    else:
        rows = list(reversed(db.all(c, grouped + " ORDER BY published_at DESC LIMIT ?", [*params, last])))
        base = ZERO
        if rows:
            before = db.one(c, f"SELECT {sums} FROM {{published_tallies}} WHERE {where} AND published_at < ?",
                            [*params, rows[0][0]])
            if before is not None and before[0] is not None:
                base = Tally(*before)
    out = []
    running = base
    for r in rows:
        running = running + Tally(*r[1:])
        out.append((r[0], running))
    return out


def moved_at(db: Db, c: Any, key: str, include_protected: bool, instants: list[int]) -> list[Any]:
    """The figure steps at these instants (what moved the chart there), the audience's."""
    out: list[Any] = []
    if include_protected:
        who = "s.audience = 'a'"
    else:
        who = ("(s.audience = 'r' OR (s.audience = 'a' AND NOT EXISTS (SELECT 1 FROM {published_steps} o"
               " WHERE o.metric = s.metric AND o.incident_id = s.incident_id AND o.figure_id = s.figure_id"
               " AND o.audience = 'r')))")
    for first in range(0, len(instants), 400):
        chunk = instants[first:first + 400]
        out += db.all(c, f"SELECT s.published_from, s.figure_id, s.version, s.kind, s.actor, s.recorded_from"
                         f" FROM {{published_steps}} s WHERE s.metric = ? AND s.published_from IN"
                         f" ({', '.join('?' * len(chunk))}) AND {who}", (key, *chunk))
    return out
