"""Running tallies: each metric's sum kept as it stood at every moment, so a tally is a lookup.

A tally computed from the figures (tallies.py) reads every figure of the metric: its cost
grows with the ledger. For the questions asked most (a metric's total, or its split along
one dimension, over everything, now or as of T) the sums are kept instead, as step
functions of recording time in ``tally_versions``: one row per interval in which the sum
stood still, ``(metric, dimension, value, [recorded_from, recorded_to), low, high_sum,
unbounded, figures, approximate)``. ``dimension`` and ``value`` are '' for the total. The high is the
sum of the bounded highs, plus a count of unbounded ones: any unbounded makes the sum's
high unbounded, and keeping the count lets a later change take one back out. ``approximate``
counts the approximate figures in the sum the same way (ledger/tally.py).

After a batch's figure versions are written, the batch works out how the sums changed:

- a total (by no dimension) sums each incident's contribution (ledger/tally.py, IncidentParts),
  which depends on several figures at once (its total, or failing one, its parts). For every
  incident and metric the batch touched, the contribution is worked out from the figure
  versions *before* and *after* the batch, on every interval from the batch's earliest
  change on, and the difference is added to the metric's sum on each interval;
- a split by one dimension sums single figures: the difference each changed figure makes,
  from its first change in the batch on;
- each month's step of the count by month of valid time (running_months.py): an incident's
  change placed at the months of its period as it stood then, and a revised period's months
  moved, under the same metric key with dimension ``valid_month``.

A tally counts one population (ledger/vocabulary.py): the whole counted one, or a subset such
as those identified, never their sum. Each population's figures have running tallies of their
own, kept under ``tally_metric(metric, population)`` in the ``metric`` column: the metric
itself for the whole population (so its rows read as before populations), ``metric/population``
for a subset.

All are exact whatever the order in which the log delivers events of different figures:
an event recorded earlier but committed later (two writers racing) changes the sums from
its own time on, the later rows included. The rows are kept canonical (adjacent equal
intervals merged, nothing stored before the first non-zero sum), so the table's content,
and the digest, depend only on the events, never on how they were batched or ordered.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ledger.tally import ZERO, IncidentParts, Part, Tally, is_approximate
from ledger.vocabulary import WHOLE_POPULATION
from projections import running_months
from projections.db import OPEN, Db
from projections.figure_views import Touched
from projections.named_rows import shape

Key = tuple[str, str, str]  # tally_metric, dimension, value
Segment = tuple[int, int, Tally]  # [start, end), change


def tally_metric(metric: str, population: str) -> str:
    """The key of a metric's running tallies of one population (``tally_versions.metric``)."""
    return metric if population == WHOLE_POPULATION else f"{metric}/{population}"


def figure_value(low: int, high: int | None, status: str, qualifier: str) -> Tally:
    return Tally.of(low, high, 1, is_approximate(qualifier)) if status == "active" else ZERO


#: A figure version as far as an incident's contribution needs it.
Pair = shape("Pair", "figure_id, incident_id, version, recorded_from, recorded_to, dims, depth, dim_value, low, high,"
                     " status, qualifier")


def _part(row: Any) -> Part:
    return Part(row.figure_id, "", row.dims, row.depth, row.dim_value, row.low, row.high, is_approximate(row.qualifier))


def _timeline(rows: list[Any], points: list[int]) -> list[Tally]:
    """The incident's contribution at each of ``points`` (ascending), from its figures' versions (Pairs)."""
    changes: list[tuple[int, int, str, Any]] = []  # (at, 0 ends | 1 begins, figure_id, version begun)
    for r in rows:
        if r.recorded_from >= r.recorded_to:
            continue  # a version that never stood
        changes.append((r.recorded_from, 1, r.figure_id, r))
        if r.recorded_to < OPEN:
            changes.append((r.recorded_to, 0, r.figure_id, None))  # at one instant, endings before beginnings
    changes.sort(key=lambda c: (c[0], c[1]))
    state = IncidentParts()
    out, i = [], 0
    for p in points:
        while i < len(changes) and changes[i][0] <= p:
            _, _, figure_id, row = changes[i]
            if row is None or row.status != "active":
                state.remove(figure_id)
            else:
                state.put(_part(row))
            i += 1
        out.append(state.tally())
    return out


def _segments(points: set[int], start: int) -> list[tuple[int, int]]:
    ordered = sorted(p for p in points if start <= p < OPEN)
    return list(zip(ordered, [*ordered[1:], OPEN]))


#: A running tally's row (``dimension`` and ``value`` '' for the total).
_Standing = shape("Standing", "metric, dimension, value, recorded_from, recorded_to, low, high_sum, unbounded, figures,"
                             " approximate")
#: A figure's current row, as a Pair still open (its recorded_to is OPEN).
_Current = shape("Current", "figure_id, version, updated_at, dims, depth, dim_value, low, high, status, qualifier, metric,"
                            " population, incident_id")


def _total_changes(db: Db, cursor: Any, touched: Touched, versions: list[Any]) -> list[tuple[tuple[str, str], Segment]]:
    """How each touched (metric and population, incident)'s contribution to that population's total moved."""
    pairs: dict[tuple[str, str], int] = {}
    for state in touched.figures.values():
        row = state.row
        if row["depth"] <= 1:
            key = (tally_metric(row["metric"], row["population"]), row["incident_id"])
            pairs[key] = min(pairs.get(key, OPEN), state.first_from)  # type: ignore[arg-type]
    if not pairs:
        return []
    in_batch: dict[str, list[Any]] = defaultdict(list)
    for v in versions:
        in_batch[v.figure_id].append(Pair(v.figure_id, v.incident_id, v.version, v.recorded_from, v.recorded_to,
                                          v.dims, v.depth, v.dim_value, v.low, v.high, v.status, v.qualifier))
    current: dict[tuple[str, str], list[Any]] = defaultdict(list)
    wanted = sorted({(incident, metric.partition("/")[0]) for metric, incident in pairs})
    for start in range(0, len(wanted), 400):
        chunk = wanted[start:start + 400]
        for r in db.all(cursor, f"SELECT {_Current.columns} FROM {{figures}} WHERE (incident_id, metric) IN"
                                f" (VALUES {', '.join(['(?, ?)'] * len(chunk))}) AND depth <= 1",
                        [x for pair in chunk for x in pair], shape=_Current):
            current[(tally_metric(r.metric, r.population), r.incident_id)].append(
                Pair(r.figure_id, r.incident_id, r.version, r.updated_at, OPEN, r.dims, r.depth, r.dim_value, r.low,
                     r.high, r.status, r.qualifier))

    out: list[tuple[tuple[str, str], Segment]] = []
    for (metric, incident_id), start in sorted(pairs.items()):
        before: list[Any] = []
        after: list[Any] = []
        in_order = True
        for r in current[(metric, incident_id)]:
            state = touched.figures.get(r.figure_id)
            if state is None:
                in_order = in_order and r.recorded_from <= start
                before.append(r)
                after.append(r)
                continue
            after += in_batch[r.figure_id]
            if not state.new:
                low, high, status, qualifier = state.prior_value  # type: ignore[misc]
                prior = r._replace(version=state.prior_version, recorded_from=state.prior_from, low=low, high=high,
                                   status=status, qualifier=qualifier)
                in_order = in_order and state.prior_from <= start  # type: ignore[operator]
                before.append(prior)
                after.append(prior._replace(recorded_to=state.first_from))
        if not in_order:
            # An event recorded before one already applied (racing writers): read the history back.
            after = _versions_since(db, cursor, [r.figure_id for r in current[(metric, incident_id)]], start)
            before = []
            for r in after:
                if (r.figure_id, r.version) in touched.inserted:
                    continue
                # A version this batch closed was still open before it.
                before.append(r._replace(recorded_to=OPEN) if (r.figure_id, r.version) in touched.closed_before
                              else r)
        points = ({start} | {r.recorded_from for r in after} | {r.recorded_to for r in after}
                  | {r.recorded_to for r in before})
        segments = _segments(points, start)
        instants = [a for a, _ in segments]
        for (a, b), new, old in zip(segments, _timeline(after, instants), _timeline(before, instants)):
            delta = new - old
            if delta != ZERO:
                out.append(((metric, incident_id), (a, b, delta)))
    return out


def _versions_since(db: Db, cursor: Any, figure_ids: list[str], start: int) -> list[Any]:
    """Every version (Pair) of these figures that stood at or after ``start``: seeks on the primary key."""
    rows: list[Any] = []
    for fid in figure_ids:
        rows += db.all(cursor, f"SELECT {Pair.columns} FROM {{figure_versions}} WHERE figure_id = ? AND recorded_from"
                               " >= COALESCE((SELECT MAX(recorded_from) FROM {figure_versions} WHERE figure_id = ?"
                               " AND recorded_from < ?), ?)", (fid, fid, start, start), shape=Pair)
    return rows


def contribution(rows: list[Any]) -> list[Segment]:
    """An incident's contribution over recording time from its figures' versions (Pairs), as
    changes from each instant on (``(t, OPEN, change)``): at t, the sum of those begun by t."""
    points = sorted({r.recorded_from for r in rows} | {r.recorded_to for r in rows if r.recorded_to < OPEN})
    out: list[Segment] = []
    previous = ZERO
    for point, value in zip(points, _timeline(rows, points)):
        if value != previous:
            out.append((point, OPEN, value - previous))
            previous = value
    return out


#: A figure version as an incident's contribution needs it, with the key of its running tallies.
_Keyed = shape("Keyed", f"{Pair.columns}, metric, population")


def update(db: Db, cursor: Any, touched: Touched, versions: list[Any],
           revised: dict[str, tuple[int, tuple[str, str | None] | None]] | None = None) -> None:
    """Bring the running tallies up to date with a batch of figure versions (already written)
    and the incidents' periods it revised (``revised``: incident -> (from when, the period before))."""
    changes: dict[Key, list[Segment]] = defaultdict(list)
    by_incident: dict[tuple[str, str], list[Segment]] = defaultdict(list)
    for pair, segment in _total_changes(db, cursor, touched, versions):
        changes[(pair[0], "", "")].append(segment)
        by_incident[pair].append(segment)
    revised = revised or {}
    periods = running_months.periods_of(db, cursor, {i for _, i in by_incident} | set(revised))
    for (metric, incident_id), segments in by_incident.items():
        for key, segment in running_months.placed(metric, segments, periods[incident_id]):
            changes[key].append(segment)
    for incident_id, (since, before) in sorted(revised.items()):
        # The period moved: the incident's contribution moves from the old months to the new.
        figures: dict[str, list[Any]] = defaultdict(list)
        for r in db.all(cursor, f"SELECT {_Keyed.columns} FROM {{figure_versions}} WHERE incident_id = ? AND depth <= 1",
                        (incident_id,), shape=_Keyed):
            if r.recorded_from < r.recorded_to:
                figures[tally_metric(r.metric, r.population)].append(Pair(*r[:len(Pair._fields)]))
        for metric, rows in sorted(figures.items()):
            for key, segment in running_months.revised(metric, since, before, periods[incident_id], contribution(rows),
                                                       by_incident.get((metric, incident_id), [])):
                changes[key].append(segment)

    # Splits by one dimension: each changed figure's own difference.
    by_figure: dict[str, list[Any]] = defaultdict(list)
    for v in versions:
        if v.depth == 1:
            by_figure[v.figure_id].append(v)
    for fid, rows in by_figure.items():
        state = touched.figures[fid]
        prior = ZERO if state.new else figure_value(*state.prior_value)  # type: ignore[misc]
        key = (tally_metric(state.row["metric"], state.row["population"]), state.row["dims"], state.row["dim_value"])
        for v in rows:
            if v.recorded_from == v.recorded_to:
                continue
            delta = figure_value(v.low, v.high, v.status, v.qualifier) - prior
            if delta != ZERO:
                changes[key].append((v.recorded_from, v.recorded_to, delta))

    deletes: list[tuple[Any, ...]] = []
    inserts: list[tuple[Any, ...]] = []
    standing = _standing_rows(db, cursor, {key: min(s[0] for s in segs) for key, segs in changes.items()})
    for key in sorted(changes):
        _apply(key, changes[key], standing.get(key, []), deletes, inserts)
    db.run_many(cursor, "DELETE FROM {tally_versions} WHERE metric = ? AND dimension = ? AND value = ?"
                        " AND recorded_from = ?", deletes)
    db.run_many(cursor, "INSERT INTO {tally_versions} (metric, dimension, value, recorded_from, recorded_to, low,"
                        " high_sum, unbounded, figures, approximate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)


def _standing_rows(db: Db, cursor: Any, starts: dict[Key, int]) -> dict[Key, list[tuple[Any, ...]]]:
    """For each key, the row standing at its start and every later one: one query for many keys.

    Found by seeks on the key (not a scan of its whole history): rows are contiguous, so the
    last start before t is the row standing at t.
    """
    out: dict[Key, list[Any]] = defaultdict(list)
    keys = sorted(starts)
    # One branch per key, each with its own constants, so both stores plan every branch as a
    # seek on the primary key (a join against a list of keys was planned as a scan on PostgreSQL).
    branch = (
        f"SELECT {_Standing.columns} FROM {{tally_versions}} WHERE metric = ? AND dimension = ? AND value = ? AND recorded_from >= COALESCE("
        "(SELECT MAX(recorded_from) FROM {tally_versions} WHERE metric = ? AND dimension = ? AND value = ?"
        " AND recorded_from < ?), ?)"
    )
    for first in range(0, len(keys), 200):
        chunk = keys[first:first + 200]
        rows = db.all(cursor, " UNION ALL ".join([branch] * len(chunk)),
                      [p for key in chunk for p in (*key, *key, starts[key], starts[key])], shape=_Standing)
        for r in rows:
            out[(r.metric, r.dimension, r.value)].append(r)
    for found in out.values():
        found.sort(key=lambda r: r.recorded_from)
    return out


def _apply(key: Key, segments: list[Segment], rows: list[Any], deletes: list, inserts: list) -> None:
    """Add changes on intervals to one running sum, in canonical form: rows to delete and to insert.

    ``rows``: the key's row standing at the earliest change and every later one, in order (Standing).
    """
    t_min = min(a for a, _, _ in segments)
    start = min(t_min, rows[0].recorded_from) if rows else t_min
    # Changes as a difference array: each adds at its start and takes back at its end.
    steps: dict[int, Tally] = defaultdict(lambda: ZERO)
    for a, b, delta in segments:
        steps[a] += delta
        if b < OPEN:
            steps[b] -= delta
    points = {start} | {r.recorded_from for r in rows} | {r.recorded_to for r in rows} | set(steps)
    merged: list[Segment] = []
    running = ZERO
    i = 0
    for a, b in _segments(points, start):
        running += steps.get(a, ZERO)
        while i < len(rows) and rows[i].recorded_to <= a:
            i += 1
        old = row_sum(rows[i]) if i < len(rows) and rows[i].recorded_from <= a else ZERO
        value = old + running
        if merged and merged[-1][2] == value:
            merged[-1] = (merged[-1][0], b, value)
        else:
            merged.append((a, b, value))
    # Nothing is stored before the first non-zero sum, unless an earlier row must be ended.
    if not rows or rows[0].recorded_from >= t_min:
        while merged and merged[0][2] == ZERO:
            merged.pop(0)
    deletes.extend((*key, r.recorded_from) for r in rows)
    inserts.extend((*key, a, b, *value) for a, b, value in merged)


def row_sum(row: Any) -> Tally:
    """The sum a row of ``tally_versions`` holds (any shape with its low, high_sum, unbounded, figures, approximate)."""
    return Tally(row.low, row.high_sum, row.unbounded, row.figures, row.approximate)


def recompute(db: Db, cursor: Any) -> None:
    """Every running sum worked out afresh from the figure versions, all at once.

    What a replay does once at its end instead of batch by batch (views.py): from an empty
    start, the batch-by-batch update would read back every touched incident's figures for
    every batch. The rows come out in the same canonical form as ``update`` keeps them
    (nothing before the first non-zero sum, equal neighbours merged), so the digest of a
    replayed copy equals that of views followed event by event.
    """
    db.run(cursor, "DELETE FROM {tally_versions}")
    inserts: list[tuple[Any, ...]] = []
    periods = running_months.periods_of(db, cursor)
    kept = db.all(cursor, "SELECT DISTINCT metric, population FROM {figure_versions}")
    for name, population in sorted(kept):
        # One metric and population at a time, so only their versions are ever held in memory.
        metric = tally_metric(name, population)
        segments: dict[Key, list[Segment]] = defaultdict(list)
        incidents: dict[str, list[Any]] = defaultdict(list)
        for v in db.all(cursor, f"SELECT {Pair.columns} FROM {{figure_versions}} WHERE metric = ? AND population = ?"
                                " AND depth <= 1", (name, population), shape=Pair):
            if v.recorded_from >= v.recorded_to:
                continue  # a version that never stood
            incidents[v.incident_id].append(v)
            if v.depth == 1:
                value = figure_value(v.low, v.high, v.status, v.qualifier)
                if value != ZERO:
                    segments[(metric, v.dims, v.dim_value)].append((v.recorded_from, v.recorded_to, value))
        total = segments[(metric, "", "")]
        for incident_id, rows in incidents.items():
            moved = contribution(rows)
            total += moved
            for key, segment in running_months.placed(metric, moved, periods[incident_id]):
                segments[key].append(segment)
        # The same canonical form as ``update`` keeps, by the same code: from nothing stored.
        for key in sorted(segments):
            if segments[key]:
                _apply(key, segments[key], [], [], inserts)
    db.run_many(cursor, "INSERT INTO {tally_versions} (metric, dimension, value, recorded_from, recorded_to, low,"
                        " high_sum, unbounded, figures, approximate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)

