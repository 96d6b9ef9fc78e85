"""The arguments every read takes, checked once: as_of, metric, dimension, breakdown, population, window, place.

Metrics, dimensions, breakdown values and populations are checked against the recorded
vocabulary (the reader's ``terms``: ledger/terms.py), so a term defined a moment ago in
another process is known to every read.

Bad input raises ledger.errors.InvalidInput naming the field (the reader's docstring says
what each argument means).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

from ledger import vocabulary
from ledger.errors import InvalidInput
from ledger.terms import TermCheck
from projections.times import as_of_micros, day, iso, micros


def check_as_of(as_of: datetime | None) -> datetime | None:
    if as_of is None:
        return None
    if not isinstance(as_of, datetime):
        raise InvalidInput("as_of must be a date and time with a time zone", field="as_of")
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidInput("as_of must carry a time zone (UTC), e.g. 2019-05-01T10:00:00Z", field="as_of")
    return as_of


def read_time(as_of: datetime | None) -> int:
    """The instant in recording time (microseconds) an answer as of ``as_of`` is read at."""
    return as_of_micros(check_as_of(as_of))


def iso_as_of(as_of: datetime | None) -> str | None:
    return None if as_of is None else iso(micros(as_of))


def check_metric(terms: TermCheck, metric: object) -> str:
    return terms.metric(metric)


def check_dimension(terms: TermCheck, dimension: object, field: str) -> str | None:
    return None if dimension is None else terms.dimension(dimension, field)


def check_breakdown(terms: TermCheck, breakdown: object) -> dict[str, str] | None:
    return None if breakdown is None else terms.breakdown(breakdown)


def check_population(terms: TermCheck, population: object) -> str:
    """The population a tally counts: one, the whole counted population unless named (never a sum of several)."""
    return terms.population(population)


def check_population_filter(terms: TermCheck, population: object) -> str | None:
    """A population to list figures of (None: every population)."""
    return None if population is None else terms.population(population)


def check_window(valid_from: date | str | None, valid_to: date | str | None) -> tuple[str | None, str | None]:
    try:
        wf, wt = day(valid_from, "valid_from"), day(valid_to, "valid_to")
    except ValueError as error:
        raise InvalidInput(str(error), field="valid_from" if "valid_from" in str(error) else "valid_to") from None
    if wf is not None and wt is not None and wf > wt:
        raise InvalidInput(f"valid_from {wf} is after valid_to {wt}", field="valid_from")
    return wf, wt


def check_order(order: object) -> bool:
    """A history's order, checked: True for publication order ("published"), False for recording order."""
    if order not in ("recorded", "published"):
        raise InvalidInput(f"order {order!r} is not known; use recorded or published", field="order")
    return order == "published"


def check_place(place: str | None) -> str | None:
    if place is None:
        return None
    if not isinstance(place, str) or not place.strip():
        raise InvalidInput("place must be a place name", field="place")
    return unicodedata.normalize("NFC", place.strip()).casefold()



def echo_of(metric: str, by: str | None, as_of: datetime | None, wf: str | None, wt: str | None,
         place: str | None, population: str = vocabulary.WHOLE_POPULATION) -> dict[str, Any]:
    """The arguments of a tally, as its answer states them (with the population it counts)."""
    return {"metric": metric, "population": population, "by": by, "as_of": iso_as_of(as_of), "valid_from": wf,
            "valid_to": wt, "place": place}
