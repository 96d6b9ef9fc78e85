"""The months a count by month of valid time covers: those asked for (``months_from``, ``months_to``:
YYYY-MM), or else the latest DEFAULT_MONTHS the incidents' periods cover, at most MONTHS; and
the count for each, in one read (``Reader.tally_months``, projections/tally_months.py: each
month as the tally with that month as its window). The API's ``GET /tallies/{metric}/months``,
its exports, ``ledger export tally-months`` and the count's web page all choose them here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ledger.errors import InvalidInput
from ledger.vocabulary import WHOLE_POPULATION
from projections.publication import check_published_by

#: Months one chart shows at most, and by default: the latest year the incidents cover.
MONTHS, DEFAULT_MONTHS = 120, 12
#: A month, YYYY-MM, of the years 1000-9999 (dates Python and both stores hold); the API's schema states it.
MONTH_PATTERN = r"([1-9][0-9]{3})-(0[1-9]|1[0-2])"
_MONTH = re.compile(MONTH_PATTERN)


def parse_month(value: str | None, field: str) -> tuple[int, int] | None:
    if not value:
        return None
    found = _MONTH.fullmatch(value.strip())
    if found is None:
        raise InvalidInput(f"{field} must be a month, YYYY-MM, e.g. 2019-05", field=field)
    return int(found.group(1)), int(found.group(2))


def span(reader: Any, at: Any) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The months the incidents' periods cover (``Reader.incidents_span``); None for none."""
    found = reader.incidents_span(as_of=at)
    if found is None:
        return None
    first, last = found
    return (int(first[:4]), int(first[5:7])), (int(last[:4]), int(last[5:7]))


def latest(start: tuple[int, int], end: tuple[int, int], count: int = DEFAULT_MONTHS) -> tuple[int, int]:
    """The first of the latest ``count`` months up to ``end``, not before ``start``."""
    serial = max(start[0] * 12 + start[1] - 1, end[0] * 12 + end[1] - count)
    return serial // 12, serial % 12 + 1


def months(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    if start > end:
        raise InvalidInput("months_from is after months_to", field="months_from")
    out, (y, m) = [], start
    while (y, m) <= end and len(out) < MONTHS:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def by_month(reader: Any, metric: str, chosen: list[tuple[int, int]], at: Any, sees: bool,
             population: str | None = None, published_by: str | None = None) -> list[dict[str, Any]]:
    """``[{"month": "YYYY-MM", "valid_from", "valid_to", "low", "high", "kind", "figures"}]`` of one
    population (None: the whole), in one read (``Reader.tally_months``: each month as the tally with
    that month as its window), cut at ``published_by`` if given."""
    (y0, m0), (y1, m1) = chosen[0], chosen[-1]
    return reader.tally_months(metric, valid_from=date(y0, m0, 1), valid_to=date(y1, m1, 1), as_of=at,
                               include_protected=sees, population=population,
                               published_by=published_by)


def monthly_rows(reader: Any, metric: str, at: Any, sees: bool, months_from: str | None,
                 months_to: str | None, population: str = WHOLE_POPULATION,
                 published_by: str | None = None) -> list[dict[str, Any]]:
    """The months asked for, or the latest year of the incidents' span; [] when there is no incident.
    The span is the incidents' (records: as_of alone); the counts are cut at ``published_by``
    (checked first: a bad one is refused even where there is no incident to count)."""
    check_published_by(published_by)
    start, end = parse_month(months_from, "months_from"), parse_month(months_to, "months_to")
    if start is None or end is None:
        found = span(reader, at)
        if found is None:
            return []
        end = end or found[1]
        start = start or latest(found[0], end)
    return by_month(reader, metric, months(start, end), at, sees, population, published_by)
