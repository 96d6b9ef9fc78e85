"""Running tallies by month of valid time: what each month adds to the one before, kept as it
stood at every moment of recording time, so a count by month is an index read.

An incident counts in every month its period (as recorded then) overlaps, an open-ended one
in every month from its start (tally_months.py). Keeping each month's sum would mean an
open-ended incident touches every month ever after; kept instead is each month's *step*: the
contributions of the incidents whose period starts in it, less those of the incidents whose
period ended in the month before. A month's sum is then the sum of the steps up to it
(tallies form a group under + and -), however many incidents and figures the metric has.

The steps are running tallies like any other (running.py): rows of ``tally_versions`` under
the metric's key, with ``dimension`` ``valid_month`` (no split has it: ledger/vocabulary.py's
dimensions never include it) and ``value`` the month, ``YYYY-MM``; those of the incidents dated
within one month also under ``valid_month_within``, so a month says both what its incidents
overlapping it add up to and what it holds for certain; kept in the same canonical
form by the same code, so the views' digest covers them and a rebuild equals the live views.

An incident's steps are its contribution c(t) placed at the months of its period P(t), both
functions of recording time. A batch changes c (figure events: running.py works out how, as
differences on intervals, dc) and may change P (period revisions). What the steps gain is
``c_after (x) P_after - c_before (x) P_before``
= ``dc (x) P_after + c_before (x) (P_after - P_before)``; the second term only where the
batch revised the period.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ledger.tally import ZERO, Tally
from projections.db import OPEN, Db
from projections.named_rows import shape

#: The ``dimension`` under which a metric's month steps are kept in ``tally_versions``.
MONTH_STEPS = "valid_month"
#: The steps of the incidents dated within one month alone (period from and to in the same
#: month): what a month holds for certain, where MONTH_STEPS also counts a year-long
#: incident's whole figure in each of its months (tally_months.py, ``within_month``).
WITHIN_STEPS = "valid_month_within"

Segment = tuple[int, int, Tally]  # [start, end) in recording time, a change
#: An incident's period as it stood over [recorded_from, recorded_to).
Period = shape("Period", "incident_id, recorded_from, recorded_to, valid_from, valid_to")


def month_of(day: str) -> str:
    """'YYYY-MM' of a 'YYYY-MM-DD' day."""
    return day[:7]


def month_after(day: str) -> str:
    """The month after a 'YYYY-MM-DD' day's month, as 'YYYY-MM'."""
    year, month = int(day[:4]), int(day[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def _placed(metric: str, a: int, b: int, value: Tally, valid_from: str, valid_to: str | None,
            out: list[tuple[tuple[str, str, str], Segment]]) -> None:
    """``value`` counted over [a, b) in every month of the period: a step up at its first month and
    one down at the month after its last."""
    if a >= b or value == ZERO:
        return
    dims = (MONTH_STEPS, WITHIN_STEPS) if valid_to is not None and valid_to[:7] == valid_from[:7] else (MONTH_STEPS,)
    for dimension in dims:
        out.append(((metric, dimension, month_of(valid_from)), (a, b, value)))
        if valid_to is not None:
            out.append(((metric, dimension, month_after(valid_to)), (a, b, ZERO - value)))


def placed(metric: str, segments: list[Segment], periods: list[Any]) -> list[tuple[tuple[str, str, str], Segment]]:
    """Changes of an incident's contribution (``segments``) as month steps, each part of its
    interval at the months of the period that stood then (``periods``: the incident's Periods)."""
    out: list[tuple[tuple[str, str, str], Segment]] = []
    for a, b, value in segments:
        for p in periods:
            _placed(metric, max(a, p.recorded_from), min(b, p.recorded_to), value, p.valid_from, p.valid_to, out)
    return out


def periods_of(db: Db, cursor: Any, incident_ids: set[str] | None = None) -> dict[str, list[Any]]:
    """Every period each incident has had (all incidents with None), in recording order."""
    out: dict[str, list[Any]] = defaultdict(list)
    select = f"SELECT {Period.columns} FROM {{incident_versions}}"
    if incident_ids is None:
        rows = db.all(cursor, select, shape=Period)
    else:
        wanted = sorted(incident_ids)
        rows = []
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            rows += db.all(cursor, f"{select} WHERE incident_id IN ({', '.join('?' * len(chunk))})", chunk,
                           shape=Period)
    for r in rows:
        if r.recorded_from < r.recorded_to:
            out[r.incident_id].append(r)
    for found in out.values():
        found.sort(key=lambda r: r.recorded_from)
    return out


def _at(segments: list[Segment], t: int) -> Tally:
    total = ZERO
    for a, b, value in segments:
        if a <= t < b:
            total += value
    return total


def revised(metric: str, since: int, before: tuple[str, str | None] | None, periods: list[Any],
            after: list[Segment], change: list[Segment]) -> list[tuple[tuple[str, str, str], Segment]]:
    """The second term, for a period the batch revised from ``since`` on: the contribution as it
    was before the batch (``after``, its contribution now as segments, less ``change``) taken
    from the months of the period before the batch (``before``, which stood from ``since`` on;
    None for an incident the batch recorded) and put at the months of the periods now."""
    points = sorted({since} | {t for a, b, _ in (*after, *change) for t in (a, b) if since < t < OPEN}
                    | {t for p in periods for t in (p.recorded_from, p.recorded_to) if since < t < OPEN})
    out: list[tuple[tuple[str, str, str], Segment]] = []
    for a, b in zip(points, [*points[1:], OPEN]):
        value = _at(after, a) - _at(change, a)
        if value == ZERO:
            continue
        if before is not None:
            _placed(metric, a, b, ZERO - value, before[0], before[1], out)
        out += placed(metric, [(a, b, value)], periods)
    return out
