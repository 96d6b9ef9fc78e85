"""The reading of approximate counts: the number and approximator kept, the band documented."""

import pytest
from hypothesis import given, strategies as st

from ledger.errors import InvalidInput
from ledger.limits import MAX_COUNT
from ledger.tally import Tally
from ledger.value import APPROXIMATORS, Count, Qualifier, approximate_band


@pytest.mark.parametrize("word", ["about", "Around", "some", "approximately", "نحو", "حوالي", "ما يقارب", "تقريبا"])
def test_about_reaches_a_tenth_either_side(word):
    c = Count.of("approximate", 40, term=word, quote=f"{word} 40")
    assert (c.qualifier, c.number, c.term, c.low, c.high) == (Qualifier.APPROXIMATE, 40, "about", 36, 44)
    assert c.quote == f"{word} 40"


@pytest.mark.parametrize("word", ["nearly", "almost", "قرابة"])
def test_nearly_stops_at_the_number(word):
    c = Count.of("approximate", 500, term=word)
    assert (c.term, c.low, c.high) == ("nearly", 450, 500)


def test_small_numbers_still_have_a_band_and_never_go_negative():
    assert (Count.of("approximate", 3, term="about").low, Count.of("approximate", 3, term="about").high) == (2, 4)
    assert Count.of("approximate", 0, term="about").low == 0


@pytest.mark.parametrize("kwargs", [{"term": "many"}, {}, {"term": "about", "low": 1}])
def test_refused_without_a_known_approximator(kwargs):
    with pytest.raises(InvalidInput):
        Count.of("approximate", 40, **kwargs)


def test_stored_form_reads_back_as_recorded():
    c = Count.of("approximate", 41, term="حوالي")
    assert Count.from_dict(c.as_dict()) == c


@given(st.integers(0, MAX_COUNT), st.sampled_from(sorted(APPROXIMATORS)))
def test_bounds_hold_the_number(n, word):
    c = Count.of("approximate", n, term=word)
    assert c.low <= n <= c.high <= MAX_COUNT
    assert n - c.low == min(n, approximate_band(n))


@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(sorted(APPROXIMATORS))), min_size=1, max_size=20))
def test_a_tally_of_approximate_counts_is_the_sum_of_their_bands(items):
    counts = [Count.of("approximate", n, term=w) for n, w in items]
    t = Tally.total((c.low, c.high) for c in counts)
    assert t.low == sum(c.low for c in counts)
    assert t.high == sum(c.high for c in counts)
