"""Breakdown checks with populations, on their own: where every count is exact, a population's
parts never exceed it and a subset never exceeds its whole without the check saying so, and
each remainder is what the parts (or the subset) leave unallocated."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from ledger.vocabulary import POPULATIONS, WHOLE_POPULATION
from projections.breakdown_checks import Reading, breakdown_checks

GROUPS = ("children", "women", "men")
#: (population, victim group or None for the total) -> an exact count.
readings = st.dictionaries(st.tuples(st.sampled_from(list(POPULATIONS)), st.sampled_from((None, *GROUPS))),
                           st.integers(0, 1000), max_size=12)


def _readings(given_: dict) -> list[Reading]:
    return [Reading(f"{p}/{g}", "incident", "civilians_killed", {} if g is None else {"victim_group": g}, n, n, p)
            for (p, g), n in given_.items()]


@given(readings)
def test_nothing_exceeds_what_it_is_part_of_unflagged_and_remainders_are_explicit(given_) -> None:
    checks = breakdown_checks(_readings(given_))
    for c in checks:
        assert (c["status"] == "inconsistent") == (c["parts_low"] > c["total"]["high"])
        if c["status"] == "inconsistent":
            assert c["excess"] == c["parts_low"] - c["total"]["high"] and c["remainder"] is None
        else:
            gap = c["total"]["low"] - c["parts_low"]
            assert c["remainder"] == {"low": max(0, gap), "high": gap}
        if c["check"] == "subset":
            # A subset is set against the whole of its own breakdown, and its parts never against the whole.
            (subset,) = c["parts"]
            assert c["total"]["population"] == WHOLE_POPULATION != c["population"] == subset["value"]
            assert given_[(c["population"], c["total"]["breakdown"].get("victim_group"))] == subset["low"]
        else:
            assert c["total"]["population"] == c["population"] and c["dimension"] == "victim_group"
            assert c["parts_low"] == sum(n for (p, g), n in given_.items() if p == c["population"] and g)
    # Exactly the subsets that have a whole, and the populations with a total and parts, are checked.
    subsets = Counter((p, g) for (p, g) in given_ if p != WHOLE_POPULATION and (WHOLE_POPULATION, g) in given_)
    assert Counter((c["population"], c["total"]["breakdown"].get("victim_group")) for c in checks
                   if c["check"] == "subset") == subsets
    with_parts = {p for (p, g) in given_ if g is not None and (p, None) in given_}
    assert {c["population"] for c in checks if c["check"] == "parts"} == with_parts
    for population in POPULATIONS:
        assert breakdown_checks(_readings(given_), population=population) == [
            c for c in checks if c["population"] == population]


def test_the_reported_case_leaves_ten_thousand_counted_but_not_identified() -> None:
    checks = breakdown_checks(_readings({(WHOLE_POPULATION, None): 34_844, ("identified", None): 24_686,
                                         ("identified", "children"): 7_797, ("identified", "women"): 4_959}))
    assert [(c["check"], c["status"], c["remainder"]["low"]) for c in checks] == [
        ("subset", "remainder", 10_158), ("parts", "remainder", 11_930)]
