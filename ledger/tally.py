"""How counts add up: the one rule every tally, running tally, history and check applies.

Adding counts honestly: lows add to lows, highs to highs, and one unbounded high makes the
sum unbounded. A ``Tally`` keeps the sum of the bounded highs and, apart from it, how many
parts had no upper bound, so that a part can be taken back out again (a correction, a
retraction) and the sum is exactly what it would have been without it: tallies form a
group under ``+`` and ``-``, which is what lets the projections keep running sums as step
functions and apply a change as a difference. It is a tuple, ``(low, bounded, unbounded,
figures, approximate)``, in the order the running tallies store it.

A tally that contains an approximate count ("about 40": ledger/value.py) says so: it counts
its approximate parts as it counts its unbounded ones, so taking one back out is exact too.
Its bounds then include the ledger's reading of "about", not only what sources said.

What one incident contributes to a total of a metric (``IncidentParts``):

- its **total** figure (breakdown ``{}``), when it has one;
- otherwise the **sum of its parts along one dimension** (figures broken down by exactly
  one dimension, e.g. by perpetrator), taken as a *lower bound only*: the parts may leave
  out a remainder nobody counted, so the high is unbounded. Of several dimensions the one
  with the largest documented low is used (ties: the first dimension by name);
- otherwise nothing: figures broken down by two or more dimensions are not summed into a
  total, they would be counted once per dimension.

Parts set against their total (``compare``) are read as documented counts: "at least 82,
including 28 on schools..." leaves a remainder counted from what was documented (the
parts' lows), not from the widest interval arithmetic would allow.

**Populations** (ledger/vocabulary.py). A figure counts the whole counted population or a
subset of it ("34,844 killed, of whom 24,686 identified"). Every rule above applies within
one population: a tally counts one (the whole, unless another is asked for), never the sum of
several, since the identified are among those counted; a subset's parts are set against the
subset, not the whole. A subset set against its whole (``compare_subset``) is one documented
part of it: above the whole's high it is ``inconsistent``, and the rest, the people counted
but not in the subset ("about 10,000 not yet broken down"), is its remainder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ledger.value import Qualifier


class Tally(NamedTuple):
    """A sum of counts; ``figures`` says how many figures it is made of (0: no data, not zero)."""

    low: int = 0
    #: The sum of the parts' bounded highs; the sum's high only while ``unbounded`` is 0.
    bounded: int = 0
    #: How many parts had no upper bound.
    unbounded: int = 0
    figures: int = 0
    #: How many parts are approximate counts.
    approximate: int = 0

    @classmethod
    def of(cls, low: int, high: int | None, figures: int = 1, approximate: int = 0) -> Tally:
        """One count (or ``figures`` counts already added up, ``approximate`` of them approximate)."""
        return cls(low, 0, 1, figures, approximate) if high is None else cls(low, high, 0, figures, approximate)

    @classmethod
    def of_part(cls, part: Part) -> Tally:
        return cls.of(part.low, part.high, 1, part.approximate)

    @classmethod
    def total(cls, counts: Iterable[tuple[int, int | None] | tuple[int, int | None, int]]) -> Tally:
        """The sum of (low, high) or (low, high, approximate) counts."""
        out = ZERO
        for count in counts:
            out += cls.of(count[0], count[1], 1, count[2] if len(count) > 2 else 0)
        return out

    @property
    def high(self) -> int | None:
        return None if self.unbounded else self.bounded

    @property
    def kind(self) -> str:
        """``exact`` (low = high), ``range``, ``lower_bound`` (no high) or ``no_data`` (nothing counted)."""
        return kind_of(self.low, self.high, self.figures)

    def __add__(self, other: tuple) -> Tally:  # type: ignore[override]
        return Tally(self[0] + other[0], self[1] + other[1], self[2] + other[2], self[3] + other[3],
                     self[4] + other[4])

    def __sub__(self, other: tuple) -> Tally:
        return Tally(self[0] - other[0], self[1] - other[1], self[2] - other[2], self[3] - other[3],
                     self[4] - other[4])

    def __neg__(self) -> Tally:
        return Tally(-self[0], -self[1], -self[2], -self[3], -self[4])

    def __bool__(self) -> bool:
        return any(self)

    def as_dict(self) -> dict[str, Any]:
        return reading(self.low, self.high, self.figures, self.approximate)


ZERO = Tally()


def kind_of(low: int, high: int | None, figures: int) -> str:
    """How a sum of ``figures`` counts from ``low`` to ``high`` (None: no upper bound) reads: Tally.kind."""
    if figures == 0:
        return "no_data"
    if high is None:
        return "lower_bound"
    return "exact" if low == high else "range"


def reading(low: int, high: int | None, figures: int, approximate: int) -> dict[str, Any]:
    """A sum as the answers give it (Tally.as_dict), from how it reads: a history renders a
    thousand points a page, and building a Tally for each cost more than the rest of the point."""
    return {"low": low, "high": high, "kind": kind_of(low, high, figures), "figures": figures,
            "approximate": approximate > 0, "approximate_figures": approximate}


class Part(NamedTuple):
    """One figure's current reading, as far as adding it up needs it (a tuple: made per change in a replay)."""

    figure_id: str
    incident_id: str
    dims: str  # the breakdown's dimensions, joined: '' for an incident's total
    depth: int  # how many dimensions the breakdown has
    dim_value: str | None  # with one dimension, its value
    low: int
    high: int | None
    #: 1 when the figure's value is approximate ("about 40"), else 0: a count, so parts add up.
    approximate: int = 0


def is_approximate(qualifier: str) -> int:
    """A figure's ``approximate`` flag as Part and Tally count it, from its value's qualifier."""
    return int(qualifier == Qualifier.APPROXIMATE)


@dataclass(frozen=True, slots=True)
class Contribution:
    tally: Tally
    figure_ids: tuple[str, ...]
    #: The dimension the parts were summed along, when the incident had no total figure.
    from_parts: str | None


class IncidentParts:
    """One incident's live figures of one metric, and what they contribute to its total.

    Kept as figures come and go, so that following an incident through many changes costs
    the number of changes, not changes times figures.
    """

    __slots__ = ("live", "total", "dims")

    def __init__(self, parts: Iterable[Part] = ()) -> None:
        self.live: dict[str, Part] = {}
        self.total: Part | None = None
        self.dims: dict[str, list[int]] = {}  # dimension -> [documented low, figures, approximate ones]
        for part in parts:
            self.put(part)

    def put(self, part: Part) -> None:
        """Count ``part`` in place of any earlier reading of its figure."""
        self.remove(part.figure_id)
        if part.depth > 1:
            return
        self.live[part.figure_id] = part
        if part.depth == 0:
            self.total = part
            return
        d = self.dims.setdefault(part.dims, [0, 0, 0])
        d[0] += part.low
        d[1] += 1
        d[2] += part.approximate

    def remove(self, figure_id: str) -> None:
        old = self.live.pop(figure_id, None)
        if old is None:
            return
        if old.depth == 0:
            self.total = None
            return
        d = self.dims[old.dims]
        d[0] -= old.low
        d[1] -= 1
        d[2] -= old.approximate
        if not d[1]:
            del self.dims[old.dims]

    def _best(self) -> str | None:
        best = None
        for dims in sorted(self.dims):
            if best is None or self.dims[dims][0] > self.dims[best][0]:
                best = dims
        return best

    def tally(self) -> Tally:
        if self.total is not None:
            return Tally.of_part(self.total)
        best = self._best()
        if best is None:
            return ZERO
        low, figures, approximate = self.dims[best]
        return Tally(low, 0, 1, figures, approximate)

    def contribution(self) -> Contribution | None:
        """The tally, with the figures it was made of (None: the incident adds nothing)."""
        if self.total is not None:
            return Contribution(self.tally(), (self.total.figure_id,), None)
        best = self._best()
        if best is None:
            return None
        ids = tuple(sorted(p.figure_id for p in self.live.values() if p.dims == best))
        return Contribution(self.tally(), ids, best)


def incident_contribution(parts: Iterable[Part]) -> Contribution | None:
    """What one incident's live figures of one metric add to that metric's total (see above)."""
    return IncidentParts(parts).contribution()


@dataclass(frozen=True, slots=True)
class Comparison:
    """Parts set against their total.

    ``status``: ``inconsistent`` (the parts document more than the total's high allows, by
    ``excess``), ``remainder`` (less than the total's low: an unspecified remainder of
    ``remainder_low`` to ``remainder_high``), ``complete`` (exactly the total's low) or
    ``parts_exceed_low`` (more than the low, within the high: not a contradiction, but the
    total's low is behind its parts).
    """

    status: str
    excess: int | None
    remainder_low: int | None
    remainder_high: int | None


def compare_subset(whole_low: int, whole_high: int | None, subset_low: int, subset_high: int | None) -> Comparison:
    """A subset population against the whole population of the same incident, metric and breakdown."""
    return compare(whole_low, whole_high, Tally.of(subset_low, subset_high))


def compare(total_low: int, total_high: int | None, parts: Tally) -> Comparison:
    documented = parts.low
    if total_high is not None and documented > total_high:
        return Comparison("inconsistent", documented - total_high, None, None)
    if documented < total_low:
        status = "remainder"
    elif documented == total_low:
        status = "complete"
    else:
        status = "parts_exceed_low"
    high = None if total_high is None else total_high - documented
    return Comparison(status, None, max(0, total_low - documented), high)
