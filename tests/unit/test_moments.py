"""A recording time's one rule (ledger/checks.py read_moment) and the pattern the API documents of it
say the same years; no year it takes overflows a read (its instant in any zone, a microsecond on)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ledger import checks, limits
from projections.times import iso, micros


def test_the_documented_pattern_takes_the_years_the_rule_takes() -> None:
    pattern = re.compile(limits.RECORDED_MOMENT_PATTERN)
    for year in range(1, 10000):
        text = f"{year:04d}-06-01T00:00:00Z"
        taken = limits.FIRST_RECORDED_YEAR <= year <= limits.LAST_YEAR
        assert bool(pattern.match(text)) == taken, year
        if taken:
            checks.read_moment(text)
        else:
            with pytest.raises(ValueError, match="or later|or earlier"):
                checks.read_moment(text)


@pytest.mark.parametrize("text", [f"{limits.LAST_YEAR}-12-31T23:59:59.999999-23:59",
                                  f"{limits.FIRST_RECORDED_YEAR}-01-01T00:00:00+23:59"])
def test_the_extreme_moments_are_read_without_overflow(text: str) -> None:
    moment = checks.read_moment(text)
    assert iso(micros(moment + timedelta(microseconds=1))) is not None
