"""What a source said about a number, kept faithfully: the words, the qualifier and the bounds.

A count is never a float. Every value has a lower bound and an upper bound (``None`` when
the source puts no ceiling on it), derived from the qualifier by the rules below, and
keeps the quoted words beside them so that a reader can always check the reading.

Rules (docs/model.md repeats them):

==============  ==========================  ====================
qualifier       source says                 bounds
==============  ==========================  ====================
exact           "71 were killed"            [71, 71]
at_least        "at least 108", "no fewer   [108, unbounded)
                than 132"
more_than       "more than 300,000"         [300,001, unbounded)
at_most         "at most 20", "up to 20"    [0, 20]
fewer_than      "fewer than 20"             [0, 19]
range           "between 40 and 50"         [40, 50]
vague           "hundreds", "dozens"        by the table VAGUE_TERMS
approximate     "about 40", "nearly 500"    about: [36, 44]; nearly: [450, 500]
==============  ==========================  ====================

An approximate count keeps the number as said and the approximator (``term``: ``about`` or
``nearly``, read from the words by APPROXIMATORS). Its band is a tenth of the number,
rounded up (at least 1): "about N" reaches a band either side, "nearly N" stops at N.

The bounds are stored in the event beside the words, so that a later change of the vague
table never rewrites what an earlier reading said.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ledger import checks
from ledger.limits import MAX_COUNT
from ledger.errors import InvalidInput


class Qualifier(StrEnum):
    EXACT = "exact"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    AT_MOST = "at_most"
    FEWER_THAN = "fewer_than"
    RANGE = "range"
    VAGUE = "vague"
    APPROXIMATE = "approximate"


#: Vague quantities and the bounds the ledger reads into them. A plural of a unit means at
#: least two of it ("hundreds" is at least 200) and fewer than the next unit, which the
#: source would have used otherwise ("hundreds" is at most 999). Arabic terms, as they
#: appear in Syrian reports, map to the same readings.
VAGUE_TERMS: dict[str, tuple[int, int]] = {
    "tens": (20, 99),
    "dozens": (24, 99),
    "hundreds": (200, 999),
    "thousands": (2_000, 9_999),
    "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999),
}
VAGUE_ALIASES: dict[str, str] = {
    "عشرات": "tens",
    "مئات": "hundreds",
    "آلاف": "thousands",
    "عشرات الآلاف": "tens of thousands",
    "مئات الآلاف": "hundreds of thousands",
}


#: Approximators and the reading each takes: ``about`` is either side of the number,
#: ``nearly`` is below it and at most the number itself ("nearly 500" never means 510).
APPROXIMATORS: dict[str, str] = {
    "about": "about",
    "around": "about",
    "some": "about",
    "approximately": "about",
    "roughly": "about",
    "nearly": "nearly",
    "almost": "nearly",
    "نحو": "about",
    "حوالي": "about",
    "ما يقارب": "about",
    "تقريبا": "about",
    "تقريباً": "about",
    "قرابة": "nearly",
}


#: The digits a count may be written in, each set its own: Latin, Arabic-Indic (an Arabic keyboard's) and
#: Extended Arabic-Indic (a Persian or Urdu one's). A number in one set reads as its value; one mixing sets is
#: a slip, not a number (Python's int() would take it, and any other script's digits too).
DIGIT_SETS = ("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
              "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9")
#: Digits past which int() refuses text (sys.get_int_max_str_digits()): such a number is no count or version.
_LONGEST = 4000


def written_number(text: str) -> int | None:
    """A whole number as typed in one digit set (DIGIT_SETS); None for anything else: a mix of sets, a
    sign, a space, a separator, another character."""
    for digits in DIGIT_SETS:
        if 0 < len(text) <= _LONGEST and all(c in digits for c in text):
            return int(text.translate(str.maketrans(digits, DIGIT_SETS[0])))
    return None


def approximate_band(number: int) -> int:
    """How far an approximate number reaches: a tenth of it, rounded up, at least 1."""
    return max(1, -(-number // 10))


def _count(value: object, field: str) -> int:
    # bool is an int in Python; a count of True is a bug in the caller, not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number, got {value!r}", field=field)
    if value < 0:
        raise InvalidInput(f"{field} must not be negative, got {value}", field=field)
    if value > MAX_COUNT:
        raise InvalidInput(f"{field} {value} is larger than any count the ledger takes ({MAX_COUNT:,})", field=field)
    return value


@dataclass(frozen=True, slots=True)
class Count:
    """One source's statement of a number, or the ledger's current reading of it."""

    qualifier: Qualifier
    low: int
    high: int | None
    number: int | None = None
    term: str | None = None
    quote: str | None = None
    quote_en: str | None = None

    @property
    def is_exact(self) -> bool:
        return self.high is not None and self.low == self.high

    @classmethod
    def of(
        cls,
        qualifier: str,
        number: int | None = None,
        *,
        low: int | None = None,
        high: int | None = None,
        term: str | None = None,
        quote: str | None = None,
        quote_en: str | None = None,
    ) -> Count:
        """Build a count from what the source said, deriving the bounds by the documented rules."""
        try:
            q = Qualifier(qualifier)
        except ValueError:
            raise InvalidInput(
                f"qualifier {qualifier!r} is not known; use one of: {', '.join(q.value for q in Qualifier)}",
                field="qualifier",
            ) from None
        for name, text in (("quote", quote), ("quote_en", quote_en)):
            if text is not None and (not isinstance(text, str) or not text.strip()):
                raise InvalidInput(f"{name} must be the words as written, not empty", field=name)
            if text is not None:
                checks.plain(text, name)
        if q is Qualifier.RANGE:
            if number is not None:
                raise InvalidInput("a range takes low and high, not number", field="number")
            lo, hi = _count(low, "low"), _count(high, "high")
            if lo > hi:
                raise InvalidInput(f"range low {lo} exceeds high {hi}", field="low")
            return cls(q, lo, hi, None, None, quote, quote_en)
        if q is Qualifier.VAGUE:
            if not isinstance(term, str):
                raise InvalidInput(
                    f"a vague quantity needs a term, one of: {', '.join(VAGUE_TERMS)}", field="term"
                )
            canonical = VAGUE_ALIASES.get(term.strip(), term.strip().lower())
            if canonical not in VAGUE_TERMS:
                raise InvalidInput(
                    f"vague term {term!r} has no documented reading; use one of:"
                    f" {', '.join([*VAGUE_TERMS, *VAGUE_ALIASES])}",
                    field="term",
                )
            lo, hi = VAGUE_TERMS[canonical]
            return cls(q, lo, hi, None, canonical, quote, quote_en)
        if q is Qualifier.APPROXIMATE:
            if low is not None or high is not None:
                raise InvalidInput("an approximate count takes number and term, not low/high", field="low")
            if not isinstance(term, str) or term.strip().lower() not in APPROXIMATORS:
                raise InvalidInput(
                    f"an approximate count needs a term, one of: {', '.join(APPROXIMATORS)}", field="term"
                )
            n = _count(number, "number")
            reading = APPROXIMATORS[term.strip().lower()]
            band = approximate_band(n)
            hi = n if reading == "nearly" else min(n + band, MAX_COUNT)
            return cls(q, max(0, n - band), hi, n, reading, quote, quote_en)
        if low is not None or high is not None or term is not None:
            raise InvalidInput(
                f"a count qualified {q.value!r} takes number only (low/high are for ranges,"
                " term for vague quantities)",
                field="number",
            )
        n = _count(number, "number")
        if q is Qualifier.EXACT:
            return cls(q, n, n, n, None, quote, quote_en)
        if q is Qualifier.AT_LEAST:
            return cls(q, n, None, n, None, quote, quote_en)
        if q is Qualifier.MORE_THAN:
            return cls(q, n + 1, None, n, None, quote, quote_en)
        if q is Qualifier.AT_MOST:
            return cls(q, 0, n, n, None, quote, quote_en)
        if n == 0:
            raise InvalidInput("'fewer than 0' is not a count", field="number")
        return cls(q, 0, n - 1, n, None, quote, quote_en)

    def as_dict(self) -> dict[str, Any]:
        """The form stored in events and returned by the API (JSON-native, integers only)."""
        return {
            "qualifier": self.qualifier.value,
            "number": self.number,
            "low": self.low,
            "high": self.high,
            "term": self.term,
            "quote": self.quote,
            "quote_en": self.quote_en,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Count:
        """Read a stored value back exactly as recorded (bounds are not re-derived)."""
        return cls(
            Qualifier(data["qualifier"]),
            data["low"],
            data["high"],
            data.get("number"),
            data.get("term"),
            data.get("quote"),
            data.get("quote_en"),
        )

    @classmethod
    def parse(cls, data: object) -> Count:
        """Build a count from untrusted input (the API, a data file).

        A Count is taken as it is: the API's request model parsed it already, and a value
        is parsed once on its way in.
        """
        if isinstance(data, Count):
            return data
        if not isinstance(data, dict):
            raise InvalidInput("a value must be an object with a qualifier", field="value")
        unknown = set(data) - {"qualifier", "number", "low", "high", "term", "quote", "quote_en"}
        if unknown:
            raise InvalidInput(f"unknown value fields: {', '.join(sorted(unknown))}", field="value")
        if "qualifier" not in data:
            raise InvalidInput("a value needs a qualifier", field="qualifier")
        return cls.of(
            data["qualifier"],
            data.get("number"),
            low=data.get("low"),
            high=data.get("high"),
            term=data.get("term"),
            quote=data.get("quote"),
            quote_en=data.get("quote_en"),
        )

    @staticmethod
    def statement(data: dict[str, Any]) -> dict[str, Any]:
        """What the source said, from a count as the ledger writes it out (an export row: the
        bounds it derived beside the words), as ``parse`` takes it back.

        Derived bounds are left out when they are what these rules derive from the rest; any
        other low or high is kept, so that ``parse`` refuses it with its own words.
        """
        given = {k: v for k, v in data.items() if v is not None}
        if given.get("qualifier") not in Qualifier.__members__.values() or not ({"low", "high"} & set(given)):
            return given
        said = {k: v for k, v in given.items() if k not in ("low", "high")}
        if given["qualifier"] == Qualifier.RANGE:
            return given
        try:
            derived = Count.parse(said)
        except InvalidInput:
            return given
        if given.get("low", derived.low) == derived.low and given.get("high", derived.high) == derived.high:
            return said
        return given

    def describe(self) -> str:
        """A short English rendering, e.g. 'at least 108' or 'hundreds (200-999)'."""
        n = f"{self.number:,}" if self.number is not None else ""
        match self.qualifier:
            case Qualifier.EXACT:
                return n
            case Qualifier.AT_LEAST:
                return f"at least {n}"
            case Qualifier.MORE_THAN:
                return f"more than {n}"
            case Qualifier.AT_MOST:
                return f"at most {n}"
            case Qualifier.FEWER_THAN:
                return f"fewer than {n}"
            case Qualifier.RANGE:
                return f"{self.low:,}-{self.high:,}"
            case Qualifier.VAGUE:
                return f"{self.term} ({self.low:,}-{self.high:,})"
            case Qualifier.APPROXIMATE:
                return f"{self.term} {n} ({self.low:,}-{self.high:,})"
