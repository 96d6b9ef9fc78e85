"""The months a count by valid time covers: consecutive, the latest year by default, never more than the cap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.months import DEFAULT_MONTHS, MONTHS, latest, months

month = st.tuples(st.integers(1990, 2100), st.integers(1, 12))


@given(month, month)
def test_the_default_span_is_the_latest_year_the_incidents_cover(a, b):
    start, end = min(a, b), max(a, b)
    chosen = months(latest(start, end), end)
    covered = (end[0] - start[0]) * 12 + end[1] - start[1] + 1
    assert chosen[-1] == end and chosen[0] >= start
    assert len(chosen) == min(DEFAULT_MONTHS, covered)
    serials = [y * 12 + m for y, m in chosen]
    assert serials == list(range(serials[0], serials[0] + len(serials)))  # consecutive, no month left out


@given(month, month)
def test_a_chosen_span_is_cut_at_the_cap(a, b):
    start, end = min(a, b), max(a, b)
    chosen = months(start, end)
    assert chosen[0] == start and len(chosen) <= MONTHS and all(1 <= m <= 12 for _, m in chosen)
