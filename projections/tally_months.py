"""A metric's tally month by month of valid time, every month in one read.

Each month's answer is the one ``Reader.tally(metric, valid_from=<its first day>,
valid_to=<its last day>)`` gives: an incident counts in every month its period (as recorded
as of ``as_of``) overlaps, an open-ended period in every month from its start, so the months
of a long incident do not add up to its total; a month with no figure is "no data", never
zero. Each incident's contribution (ledger/tally.py's rule) is added at its first month and
taken back out after its last (tallies form a group under + and -), and the months are the
running sum of those steps. The projection keeps each month's step as a running tally
(running_months.py), so the months as of T are one index read of the months that have a
step, however many figures the metric has; with a place (which the steps are not split by)
the live figures of the span are read once and the steps worked out from them.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timezone
from typing import Any

from ledger.errors import InvalidInput
from ledger.tally import ZERO, Part, Tally, incident_contribution
from projections.db import Db
from projections.named_rows import shape
from projections.read_arguments import check_metric, check_place, check_population, check_window, read_time
from projections.publication import check_published_by
from projections.read_filters import live_figures
from projections.running import row_sum, tally_metric
from projections.running_months import MONTH_STEPS, WITHIN_STEPS
from projections.tally_reads import PART_COLUMNS, running_groups

#: Months one answer holds at most (a century).
MAX_MONTHS = 1200
#: A figure's reading and its incident's period as recorded at t.
_Dated = shape("Dated", f"{PART_COLUMNS}, iv.valid_from AS period_from, iv.valid_to AS period_to")
_PART_FIELDS = len(Part._fields)


def _serial(day: str) -> int:
    """A month as a count of months ('YYYY-MM-DD' text, as the views and check_window hold days)."""
    return int(day[:4]) * 12 + int(day[5:7]) - 1


class TallyMonths:
    """``tally_months`` for Reader (which provides ``db``)."""

    db: Db

    def tally_months(
        self, metric: str, *, valid_from: date, valid_to: date, as_of: datetime | None = None,
        place: str | None = None, include_protected: bool = False, population: str | None = None,
        published_by: Any = None,
    ) -> list[dict[str, Any]]:
        """The metric's total (of one ``population``, default the whole) for each month from ``valid_from``'s month to ``valid_to``'s, in order:
        ``[{"month": "YYYY-MM", "valid_from", "valid_to", "low", "high", "kind", "figures",
        "approximate", "approximate_figures", "within_month": {the same keys}}]``, each as ``tally()``'s ``sum`` with that month as
        its window (``within_month``: of the incidents whose period lies in the month alone, which
        the month holds for certain, where a year-long incident's whole count is in each of its
        months above), cut at ``published_by`` if given (projections/publication.py). A tally names no
        source; ``include_protected`` says how a cut places a protected source's words (at their
        filing unless the caller sees protected sources: read_filters.live_figures).
        """
        metric, population = check_metric(self.terms, metric), check_population(self.terms, population)
        if valid_from is None or valid_to is None:
            raise InvalidInput("a count by month needs valid_from and valid_to",
                               field="valid_from" if valid_from is None else "valid_to")
        t, (wf, wt), place_key = read_time(as_of), check_window(valid_from, valid_to), check_place(place)
        assert wf is not None and wt is not None
        first, last = _serial(wf), _serial(wt)
        if last - first >= MAX_MONTHS:
            raise InvalidInput(f"a count by month spans at most {MAX_MONTHS} months", field="valid_to")
        starts = [date(s // 12, s % 12 + 1, 1) for s in range(first, last + 1)]
        ends = [date(d.year, d.month, calendar.monthrange(d.year, d.month)[1]) for d in starts]
        cut = check_published_by(published_by)
        if place_key is None and cut is None:
            steps = self._month_steps(t, tally_metric(metric, population), first, len(starts))
        else:
            steps = self._steps_from_figures(t, metric, population, place_key, starts[0], ends[-1], first, len(starts),
                                             cut, include_protected)
        return _months(starts, ends, *steps)

    def _steps_from_figures(self, t: int, metric: str, population: str, place_key: str | None, start: date, end: date,
                            first: int, months: int, cut: int | None = None,
                            include_protected: bool = False) -> tuple[list[Tally], list[Tally]]:
        """The steps of months ``first`` on (as _month_steps), from the figures live at t in the
        span (cut at publication time ``cut``): with a place or a cut, which the running months
        do not split by (and the bench's baseline)."""
        with self.db.snapshot() as c:
            rows = live_figures(
                self.db, c, t, _Dated, metric=metric, status="active", max_depth=1, population=population,
                window=(start.isoformat(), end.isoformat()), place=place_key, published_by=cut,
                include_protected=include_protected,
            )
        per_incident: dict[str, list[Part]] = defaultdict(list)
        periods: dict[str, tuple[str, str | None]] = {}
        for row in rows:
            per_incident[row.incident_id].append(Part(*row[:_PART_FIELDS]))
            periods[row.incident_id] = (row.period_from, row.period_to)
        # steps[i]: what changes from month i-1 to month i; one more slot for "after the last month".
        steps, within = [ZERO] * (months + 1), [ZERO] * (months + 1)
        for incident_id, parts in per_incident.items():
            contribution = incident_contribution(parts)
            if contribution is None:
                continue
            period_from, period_to = periods[incident_id]
            begin = max(0, _serial(period_from) - first)
            last = months - 1 if period_to is None else min(months - 1, _serial(period_to) - first)
            for kept in (steps, within) if period_to is not None and period_to[:7] == period_from[:7] else (steps,):
                kept[begin] += contribution.tally
                kept[last + 1] -= contribution.tally
        return steps, within

    def incidents_span(self, *, as_of: datetime | None = None) -> tuple[str, str] | None:
        """The first and last day the incidents' periods cover as recorded as of ``as_of``
        (``('YYYY-MM-DD', 'YYYY-MM-DD')``; None for no incident): an ongoing incident (no end)
        covers up to the day of ``as_of``, or today, as it did then and still does. One
        statement over the incidents' periods (no source's words are in them)."""
        t = read_time(as_of)
        with self.db.snapshot() as c:
            row = self.db.one(c, "SELECT MIN(valid_from), MAX(COALESCE(valid_to, valid_from)),"
                                 " MAX(CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END) FROM {incident_versions}"
                                 " WHERE recorded_from <= ? AND recorded_to > ?", (t, t))
        if row is None or row[0] is None:
            return None
        last = max(row[1], (as_of or datetime.now(timezone.utc)).astimezone(timezone.utc).date().isoformat()) if row[2] else row[1]
        return row[0], last

    def _month_steps(self, t: int, key: str, first: int, months: int) -> tuple[list[Tally], list[Tally]]:
        """The steps of months ``first`` on, as the projection keeps them (running_months.py): the
        first holds every step up to it, so each month's sum is the running sum; those of every
        incident, and those of the incidents dated within one month."""
        kept = {MONTH_STEPS: [ZERO] * (months + 1), WITHIN_STEPS: [ZERO] * (months + 1)}
        for row in running_groups(self.db, t, key, (MONTH_STEPS, WITHIN_STEPS)):
            steps = kept.get(row.dimension)
            if steps is None or row.recorded_to <= t:
                continue
            at = _serial(f"{row.value}-01") - first
            if at < months:
                steps[max(0, at)] += row_sum(row)
        return kept[MONTH_STEPS], kept[WITHIN_STEPS]


def _months(starts: list[date], ends: list[date], steps: list[Tally], within: list[Tally]) -> list[dict[str, Any]]:
    """Each month's sum, the running sum of the steps, with ``within_month``: the same of the
    incidents dated within that month alone."""
    out, running, certain = [], ZERO, ZERO
    for i, start in enumerate(starts):
        running += steps[i]
        certain += within[i]
        out.append({"month": start.isoformat()[:7], "valid_from": start.isoformat(),
                    "valid_to": ends[i].isoformat(), **running.as_dict(), "within_month": certain.as_dict()})
    return out
