"""If-Match takes the ETag of any version a record can have: 1 to limits.MAX_VERSION, no more."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.deps import ETAG_PATTERN, decimal_up_to, expected_version
from api.problems import ApiProblem
from ledger.limits import MAX_VERSION


@given(st.integers(min_value=1, max_value=MAX_VERSION), st.sampled_from(['"{}"', "W/\"{}\"", "{}"]))
def test_every_version_up_to_the_limit_is_read(version, form):
    assert re.fullmatch(ETAG_PATTERN, form.format(version))
    assert expected_version(form.format(version), required=True) == version


@given(st.integers(min_value=MAX_VERSION + 1, max_value=10**30) | st.integers(max_value=0))
def test_no_number_beyond_them_is(number):
    assert not re.fullmatch(ETAG_PATTERN, f'"{number}"')
    with pytest.raises(ApiProblem) as refused:
        expected_version(f'"{number}"', required=True)
    assert refused.value.status == 400


def test_the_largest_versions_are_read():
    # 19 digits: the pattern stopped at 18 while versions go on to 2**63 - 1.
    assert expected_version('"1000000000000000000"', required=True) == 10**18
    assert expected_version(f'"{MAX_VERSION}"', required=True) == MAX_VERSION
    assert not re.fullmatch(ETAG_PATTERN, "007") and not re.fullmatch(ETAG_PATTERN, '"3')


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=3 * 10**6))
def test_the_pattern_of_a_limit_is_exactly_the_numbers_up_to_it(limit, number):
    assert bool(re.fullmatch(decimal_up_to(limit), str(number))) == (1 <= number <= limit)
