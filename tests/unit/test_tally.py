"""The counting rule on its own: tallies add as a group, unbounded parts open the sum, ranges stay ranges."""

from __future__ import annotations

from functools import reduce

from hypothesis import example, given
from hypothesis import strategies as st

from ledger.tally import ZERO, IncidentParts, Part, Tally, compare, incident_contribution

lows = st.integers(min_value=0, max_value=10**6)


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int | None]:
    low = draw(lows)
    high = draw(st.one_of(st.none(), st.integers(min_value=low, max_value=low + 10**6)))
    return low, high


@st.composite
def marked_counts(draw: st.DrawFn) -> tuple[int, int | None, int]:
    """A count and whether it is approximate ("about 40": 1) or not (0)."""
    return (*draw(counts()), draw(st.integers(0, 1)))


tallies = st.builds(lambda cs: Tally.total(cs), st.lists(marked_counts(), max_size=6))


@given(tallies, tallies, tallies)
def test_addition_is_associative_and_commutative(a: Tally, b: Tally, c: Tally) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + ZERO == a


@given(tallies, tallies)
def test_a_part_taken_back_out_leaves_the_sum_as_it_was(a: Tally, b: Tally) -> None:
    assert (a + b) - b == a
    assert a - a == ZERO
    assert -a + a == ZERO


@given(st.lists(counts(), max_size=8))
def test_lows_add_highs_add_and_one_open_high_opens_the_sum(cs: list[tuple[int, int | None]]) -> None:
    total = Tally.total(cs)
    assert total.low == sum(low for low, _ in cs)
    assert total.figures == len(cs)
    if any(high is None for _, high in cs):
        assert total.high is None
        assert total.kind == "lower_bound"
    else:
        assert total.high == sum(high for _, high in cs)  # type: ignore[misc]
        assert total.high >= total.low
    if not cs:
        assert total.kind == "no_data"  # nothing counted is not zero counted


@given(st.lists(st.tuples(lows, st.integers(min_value=1, max_value=1000)), min_size=1, max_size=6))
def test_ranges_stay_ranges_and_exact_counts_stay_exact(spans: list[tuple[int, int]]) -> None:
    ranges = Tally.total((low, low + width) for low, width in spans)
    assert ranges.kind == "range"
    assert (ranges.low, ranges.high) == (sum(lo for lo, _ in spans), sum(lo + w for lo, w in spans))
    exact = Tally.total((low, low) for low, _ in spans)
    assert exact.kind == "exact"


@given(st.lists(st.tuples(st.sampled_from(["", "perpetrator", "victim_group", "perpetrator,place"]), counts()),
                max_size=8))
def test_an_incident_counts_its_total_or_else_its_best_documented_parts(
    figures: list[tuple[str, tuple[int, int | None]]],
) -> None:
    # An incident has one total figure per metric (a figure is its incident, metric and breakdown).
    first_total = next((i for i, (dims, _) in enumerate(figures) if not dims), None)
    parts = [Part(f"f{i}", "i", dims, dims.count(",") + 1 if dims else 0, None, low, high)
             for i, (dims, (low, high)) in enumerate(figures) if dims or i == first_total]
    got = incident_contribution(parts)
    totals = [p for p in parts if p.depth == 0]
    singles = [p for p in parts if p.depth == 1]
    if totals:
        assert got is not None and got.from_parts is None
        assert got.tally == Tally.of(totals[0].low, totals[0].high)
    elif not singles:
        assert got is None  # parts along two dimensions at once are never summed into a total
    else:
        assert got is not None and got.from_parts in {p.dims for p in singles}
        chosen = [p for p in singles if p.dims == got.from_parts]
        assert got.tally.low == sum(p.low for p in chosen) == max(
            sum(p.low for p in singles if p.dims == d) for d in {p.dims for p in singles})
        assert got.tally.high is None  # parts may leave out a remainder nobody counted
        assert got.figure_ids == tuple(sorted(p.figure_id for p in chosen))


def test_the_seed_cases_parts_against_their_totals() -> None:
    facilities = Tally.total([(28, None), (11, None), (18, None), (9, None)])
    by_type = compare(82, None, facilities)
    assert (by_type.status, by_type.remainder_low, by_type.remainder_high) == ("remainder", 16, None)
    by_party = compare(108, None, Tally.total([(71, None), (37, None)]))
    assert by_party.status == "complete"
    over = compare(10, 12, Tally.total([(8, 8), (7, 7)]))
    assert (over.status, over.excess) == ("inconsistent", 3)
    within = compare(10, 20, Tally.total([(8, 8), (7, 7)]))
    assert (within.status, within.remainder_low, within.remainder_high) == ("parts_exceed_low", 0, 5)


@given(counts(), st.lists(counts(), max_size=6))
def test_a_comparison_is_exactly_one_of_its_cases(total: tuple[int, int | None],
                                                 parts: list[tuple[int, int | None]]) -> None:
    low, high = total
    documented = Tally.total(parts)
    c = compare(low, high, documented)
    if c.status == "inconsistent":
        assert high is not None and documented.low - high == c.excess > 0
    else:
        assert c.excess is None and c.remainder_low == max(0, low - documented.low)
        assert c.remainder_high == (None if high is None else high - documented.low)
        expected = {-1: "remainder", 0: "complete", 1: "parts_exceed_low"}
        assert c.status == expected[(documented.low > low) - (documented.low < low)]


def test_reduce_over_many_parts_matches_the_running_sum() -> None:
    cs = [(i, i + (i % 3)) for i in range(50)] + [(5, None)]
    running = reduce(lambda acc, c: acc + Tally.of(*c), cs, ZERO)
    assert running == Tally.total(cs)
    assert running - Tally.of(5, None) == Tally.total(cs[:-1])


incident_figures = st.lists(
    st.tuples(st.sampled_from([("", 0), ("perpetrator", 1), ("victim_group", 1), ("place", 1)]),
              st.sampled_from(["x", "y", "z"]), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 50)),
              st.booleans(), st.integers(0, 1)),
    max_size=8)


@given(incident_figures, st.lists(st.integers(0, 7), max_size=6))
@example([(("perpetrator", 1), "x", 5, None, True, 0), (("victim_group", 1), "x", 2, None, True, 1),
          (("victim_group", 1), "y", 3, None, True, 1)], [])  # a tie: the first dimension by name wins
def test_parts_kept_as_figures_come_and_go_read_as_the_live_figures_counted_afresh(figures, removals):
    state = IncidentParts()
    live: dict[str, Part] = {}
    for (dims, depth), value, low, high, active, approximate in figures:
        fid = f"{dims}={value}" if depth else "total"  # one figure per breakdown, as in the ledger
        part = Part(fid, "i", dims, depth, value if depth else None, low, None if high is None else low + high,
                    approximate)
        live.pop(fid, None)
        if active:
            state.put(part)
            live[fid] = part
        else:  # retracted
            state.remove(fid)
    for n in removals:
        if n < len(figures):
            (dims, depth), value = figures[n][0], figures[n][1]
            fid = f"{dims}={value}" if depth else "total"
            state.remove(fid)
            live.pop(fid, None)
    fresh = IncidentParts(live.values())
    assert state.contribution() == fresh.contribution()
    assert state.tally() == (ZERO if fresh.contribution() is None else fresh.contribution().tally)


@given(st.lists(marked_counts(), max_size=8))
def test_a_tally_says_approximate_exactly_when_a_part_it_adds_is(cs: list[tuple[int, int | None, int]]) -> None:
    total = Tally.total(cs)
    flags = sum(a for _, _, a in cs)
    shown = total.as_dict()
    assert (total.approximate, shown["approximate_figures"]) == (flags, flags)
    assert shown["approximate"] is (flags > 0)
    # The flag says how the bounds were read; it never moves them.
    plain = Tally.total((low, high) for low, high, _ in cs)
    assert (total.low, total.high, total.figures, total.kind) == (plain.low, plain.high, plain.figures, plain.kind)


@given(st.lists(marked_counts(), min_size=1, max_size=8), st.data())
def test_taking_approximate_parts_back_out_leaves_a_tally_that_says_so_only_if_one_is_left(cs, data) -> None:
    total = Tally.total(cs)
    removed = data.draw(st.lists(st.integers(0, len(cs) - 1), unique=True, max_size=len(cs)))
    for i in removed:
        total -= Tally.of(*cs[i][:2], 1, cs[i][2])
    kept = [c for i, c in enumerate(cs) if i not in removed]
    assert total == Tally.total(kept)
    assert total.as_dict()["approximate"] is any(a for _, _, a in kept)


@given(st.lists(st.tuples(st.sampled_from(["", "perpetrator", "victim_group"]), marked_counts()), max_size=8))
def test_an_incident_is_approximate_when_a_figure_it_counts_is(figures) -> None:
    first_total = next((i for i, (dims, _) in enumerate(figures) if not dims), None)
    parts = [Part(f"f{i}", "i", dims, 1 if dims else 0, dims or None, low, high, approximate)
             for i, (dims, (low, high, approximate)) in enumerate(figures) if dims or i == first_total]
    got = incident_contribution(parts)
    if got is None:
        assert not parts
        return
    counted = [p for p in parts if p.figure_id in got.figure_ids]
    # Only the figures it counts: an approximate part beside a total does not make the total approximate.
    assert got.tally.approximate == sum(p.approximate for p in counted)
