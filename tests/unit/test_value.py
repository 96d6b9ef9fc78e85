import pytest
from hypothesis import given, strategies as st

from ledger.errors import InvalidInput
from ledger.value import VAGUE_TERMS, Count, Qualifier


@pytest.mark.parametrize(
    ("qualifier", "number", "low", "high"),
    [
        ("exact", 71, 71, 71),
        ("at_least", 108, 108, None),
        ("more_than", 300_000, 300_001, None),
        ("at_most", 20, 0, 20),
        ("fewer_than", 20, 0, 19),
    ],
)
def test_each_qualifier_reads_into_its_documented_bounds(qualifier, number, low, high):
    count = Count.of(qualifier, number, quote="words")
    assert (count.low, count.high, count.number, count.quote) == (low, high, number, "words")


def test_range_keeps_both_ends():
    count = Count.of("range", low=40, high=50)
    assert (count.low, count.high, count.number) == (40, 50, None)


@pytest.mark.parametrize(("term", "bounds"), list(VAGUE_TERMS.items()))
def test_vague_terms_read_by_the_table(term, bounds):
    count = Count.of("vague", term=term.upper(), quote=f"{term} more")
    assert (count.low, count.high, count.term) == (*bounds, term)


def test_arabic_vague_terms_read_as_their_english_equivalents():
    assert Count.of("vague", term="مئات").term == "hundreds"
    assert (Count.of("vague", term="عشرات الآلاف").low, Count.of("vague", term="عشرات الآلاف").high) == (20_000, 99_999)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qualifier": "exact", "number": -1}, "must not be negative"),
        ({"qualifier": "at_least", "number": 1.5}, "whole number"),
        ({"qualifier": "exact", "number": True}, "whole number"),
        ({"qualifier": "exact", "number": "12"}, "whole number"),
        ({"qualifier": "range", "low": 10, "high": 5}, "low 10 exceeds high 5"),
        ({"qualifier": "range", "low": 1}, "high must be a whole number"),
        ({"qualifier": "about", "number": 3}, "qualifier 'about' is not known"),
        ({"qualifier": "vague", "term": "loads"}, "no documented reading"),
        ({"qualifier": "vague"}, "needs a term"),
        ({"qualifier": "fewer_than", "number": 0}, "not a count"),
        ({"qualifier": "exact", "number": 3, "low": 1}, "takes number only"),
        ({"qualifier": "exact", "number": 3, "quote": "  "}, "quote must be the words"),
        ({"number": 3}, "needs a qualifier"),
        ({"qualifier": "exact", "number": 3, "colour": "red"}, "unknown value fields: colour"),
    ],
)
def test_bad_values_are_refused_with_a_message_that_says_what_is_wrong(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        Count.parse(kwargs)


def test_value_must_be_an_object():
    with pytest.raises(InvalidInput, match="must be an object"):
        Count.parse(108)


def test_arabic_quote_is_kept_as_written():
    quote = "مقتل ما لا يقل عن 108 مدنياً"
    count = Count.of("at_least", 108, quote=quote, quote_en="at least 108 civilians killed")
    assert Count.from_dict(count.as_dict()).quote == quote


counts = st.one_of(
    st.builds(lambda q, n: Count.of(q, n), st.sampled_from(["exact", "at_least", "more_than", "at_most"]),
              st.integers(0, 10**9)),
    st.builds(lambda n: Count.of("fewer_than", n), st.integers(1, 10**9)),
    st.builds(lambda a, b: Count.of("range", low=min(a, b), high=max(a, b)), st.integers(0, 10**9), st.integers(0, 10**9)),
    st.builds(lambda t: Count.of("vague", term=t), st.sampled_from(sorted(VAGUE_TERMS))),
)


@given(counts)
def test_bounds_are_ordered_integers_and_survive_storage(count):
    assert isinstance(count.low, int) and count.low >= 0
    assert count.high is None or (isinstance(count.high, int) and count.low <= count.high)
    assert Count.from_dict(count.as_dict()) == count
    assert Count.parse({k: v for k, v in count.as_dict().items() if k in ("qualifier", "number", "term")
                        or (count.qualifier is Qualifier.RANGE and k in ("low", "high"))}) == count


def test_counts_beyond_any_real_count_are_refused():
    with pytest.raises(InvalidInput, match="larger than any count"):
        Count.parse({"qualifier": "exact", "number": 10**20})
