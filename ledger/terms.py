"""The vocabulary as data: every metric, dimension, dimension value and population is a recorded term.

A term is defined by an officer (who, when, why, a definition, English and Arabic labels) and
revised the same way, so a new metric ("killed": everyone, civilian or not) needs no code
change, and the audit trail holds the history of every word the ledger counts in. The
whole vocabulary is one record (``Vocabulary``, a fixed id): a term's code is unique across
kinds, and defining the built-ins at start-up from several processes at once records them
exactly once (the store's unique (id, version) lets one process win; the others then find
them defined).

What each kind of term carries is data too (``KINDS``): a metric may be ``part_of`` another
(civilians killed are part of everyone killed, which the checks compare); a dimension is
``closed`` (its values must be defined terms) or open (any value, in any script); a value of
the ``place`` dimension may carry its OCHA P-code and WGS84 coordinates.

Commands and reads check the words they are given against the recorded vocabulary through a
``TermCheck``, which reads the record again when it meets a word it does not know (another
process may just have defined it). A word still unknown is refused with a message naming it
and how to define it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from ledger import checks, vocabulary
from ledger.errors import InvalidInput, UnknownTerm, VersionConflict
from ledger.event import LedgerCreated
from ledger.limits import CODE_PATTERN, MAX_DEFINITION, MAX_LABEL, MAX_SLUG, P_CODE_PATTERN

VOCABULARY_ID = uuid.uuid5(uuid.UUID("0b7f3c1e-2d4a-4e8b-9c6f-5a1d2e3f4b50"), "vocabulary")

#: The kinds of term: what each names, and the fields only it may carry.
KINDS: dict[str, dict[str, Any]] = {
    "metric": {"names": "what a figure counts (civilians killed, people displaced...)", "fields": ("part_of",)},
    "dimension": {"names": "what a figure may be broken down by (perpetrator, place...)", "fields": ("closed",)},
    "value": {"names": "a value of a dimension (a place, with its P-code and coordinates; a party; a group)",
              "fields": ("dimension", "p_code", "coordinates")},
    "population": {"names": "which people a figure counts (the whole counted, the identified...)", "fields": ()},
}

#: The fields a definition may set, and which a revision may change (kind, code and dimension never change).
TEXT_FIELDS = ("definition", "label_en", "label_ar")
REVISABLE = (*TEXT_FIELDS, "part_of", "closed", "p_code", "coordinates")

#: The dimension whose values may carry an administrative code and coordinates.
PLACE = "place"

#: Who records the built-in terms (at ``ledger init``, ``seed`` and ``serve``).
BUILT_IN_ACTOR = "ledger (built-in vocabulary)"
BUILT_IN_REASON = "built into the ledger: the vocabulary it started with (ledger/vocabulary.py)"


def key_of(kind: str, code: str, dimension: str | None = None) -> str:
    """A term's name in the vocabulary: its code, or ``dimension:value`` for a dimension's value."""
    return f"{dimension}:{code}" if kind == "value" else code


def breakdown_value(value: object, dimension: str) -> str:
    """A breakdown value as recorded: any script, NFC-normalised, trimmed, bounded, and free of commas and
    semicolons (which separate pairs in the query's ``dimension:value,dimension:value`` and the
    exports' ``dimension=value;dimension=value``)."""
    field = f"breakdown.{dimension}"
    if not isinstance(value, str):
        raise InvalidInput(f"breakdown value for {dimension!r} must be text, got {type(value).__name__}",
                           field=field)
    cleaned = checks.text(unicodedata.normalize("NFC", value), field, max_length=MAX_SLUG)
    assert cleaned is not None
    if "," in cleaned or ";" in cleaned:
        raise InvalidInput(f"breakdown value for {dimension!r} must not contain a comma or a semicolon, got"
                           f" {cleaned!r}", field=field)
    return cleaned


def _code(value: object, field: str = "code") -> str:
    if not isinstance(value, str) or not re.match(CODE_PATTERN, value):
        raise InvalidInput(f"{field} must be a lower-case code such as 'civilians_killed', got {value!r}",
                           field=field)
    return value


def _coordinates(value: object) -> list[float] | None:
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise InvalidInput("coordinates must be [latitude, longitude] in degrees (WGS84)", field="coordinates")
    lat, lon = float(value[0]), float(value[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"coordinates {lat}, {lon} are outside [-90, 90] x [-180, 180] (WGS84)",
                           field="coordinates")
    return [lat, lon]


def _p_code(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(P_CODE_PATTERN, value):
        raise InvalidInput(f"p_code must be an OCHA P-code such as 'SY070100', got {value!r}", field="p_code")
    return value


class Vocabulary(Aggregate):
    """Every term the ledger counts in, keyed by its name (``key_of``), each with its history."""

    class Event(Aggregate.Event):
        def mutate(self, aggregate: Any) -> Any:
            # The library dates the record after applying an event: a term's version is dated by its own
            # event (``_at``), not by the one before it, which is what an as-of read compares.
            if aggregate is not None:
                aggregate.modified_on = self.timestamp
            return super().mutate(aggregate)

    class Opened(LedgerCreated):
        pass

    def __init__(self, *, actor: str) -> None:
        self.opened_by = actor
        self.terms: dict[str, dict[str, Any]] = {}
        #: Each term's versions: what was defined or changed, by whom, when, why.
        self.histories: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def open(cls, actor: str) -> Vocabulary:
        return cls._create(cls.Opened, id=VOCABULARY_ID, actor=checks.actor(actor))

    # ---- commands ----------------------------------------------------------------------

    def define(self, actor: str, *, kind: object, code: object, reason: object, dimension: object = None,
               **fields: Any) -> str:
        """Define a new term; returns its name. Every field is checked before anything is recorded."""
        if not isinstance(kind, str) or kind not in KINDS:
            raise InvalidInput(f"kind {kind!r} is not a kind of term; use one of: {', '.join(KINDS)}", field="kind")
        if kind == "value":  # a value's code is the value itself, in any script
            dimension = self._known(_code(dimension, "dimension"), "dimension", "dimension")
            try:
                code = breakdown_value(code, dimension)
            except InvalidInput as e:
                raise e.at("code") from None
        elif dimension is not None:
            raise InvalidInput("only a dimension's value names a dimension", field="dimension")
        else:
            code = _code(code)
        key = key_of(kind, code, dimension if kind == "value" else None)
        if key in self.terms:  # a code names one term, whatever its kind
            raise InvalidInput(f"{key!r} is already defined (a {self.terms[key]['kind']}); revise it with"
                               f" POST /vocabulary/{key}/revisions", field="code")
        unknown = set(fields) - set(REVISABLE)
        if unknown:
            raise InvalidInput(f"a term has no {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
        term = {"kind": kind, "code": code, "dimension": dimension if kind == "value" else None,
                **self._fields(kind, key, {f: fields.get(f) for f in REVISABLE}, fields)}
        self._defined(actor=checks.actor(actor), key=key, term=term, reason=checks.reason(reason))
        return key

    def revise(self, actor: str, key: object, *, reason: object, expected_version: int | None = None,
               **changes: Any) -> None:
        """Change what a term says (not its kind or code); ``expected_version`` is the term's own version."""
        current = self.term(key)
        if expected_version is not None and expected_version != current["version"]:
            raise VersionConflict("term", key, expected_version, current["version"])
        unknown = set(changes) - set(REVISABLE)
        if unknown:
            raise InvalidInput(f"a revision changes only {', '.join(REVISABLE)}; not {', '.join(sorted(unknown))}",
                               field=sorted(unknown)[0])
        merged = {**{f: current.get(f) for f in REVISABLE}, **changes}
        checked = self._fields(current["kind"], str(key), merged, changes)
        changed = {f: v for f, v in checked.items() if v != current.get(f)}
        if not changed:
            raise InvalidInput("this revision changes nothing", field=next(iter(changes), "definition"))
        self._revised(actor=checks.actor(actor), key=str(key), changes=changed, reason=checks.reason(reason))

    def as_of(self, moment: datetime) -> dict[str, dict[str, Any]]:
        """Every term as it stood at ``moment`` (a recording time, with its zone): each term's versions
        recorded by then, folded as its events fold them; a term defined later is left out."""
        out = {}
        for key, versions in self.histories.items():
            term = None
            for entry in versions:
                if datetime.fromisoformat(entry["at"]) > moment:
                    break
                term = _folded(term, entry)
            if term is not None:
                out[key] = term
        return out

    def term(self, key: object) -> dict[str, Any]:
        if not isinstance(key, str) or key not in self.terms:
            raise UnknownTerm(f"term {key!r} is not in the vocabulary", field="term")
        return self.terms[key]

    # ---- events ------------------------------------------------------------------------

    @event("Defined")
    def _defined(self, actor: str, key: str, term: dict[str, Any], reason: str) -> None:
        entry = {"version": 1, "event": "defined", "actor": actor, "at": _at(self), "reason": reason, "changes": term}
        self.histories[key] = [entry]
        self.terms[key] = _folded(None, entry)

    @event("Revised")
    def _revised(self, actor: str, key: str, changes: dict[str, Any], reason: str) -> None:
        entry = {"version": self.terms[key]["version"] + 1, "event": "revised", "actor": actor, "at": _at(self),
                 "reason": reason, "changes": changes}
        # A new list: a command's copy of the record shares the cached one's lists (ledger/replay.py, detached).
        self.histories[key] = [*self.histories[key], entry]
        self.terms[key] = _folded(self.terms[key], entry)

    # ---- checks of a term's fields -----------------------------------------------------

    def _known(self, code: str, kind: str, field: str) -> str:
        term = self.terms.get(code)
        if term is None or term["kind"] != kind:
            raise UnknownTerm(f"{kind} {code!r} is not in the vocabulary", field=field)
        return code

    def _fields(self, kind: str, key: str, values: dict[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
        allowed = set(KINDS[kind]["fields"]) - {"dimension"}
        for f in ("part_of", "closed", "p_code", "coordinates"):
            if f not in allowed and given.get(f) not in (None, False):
                raise InvalidInput(f"a {kind} has no {f} (only {_owner(f)} does)", field=f)
        out: dict[str, Any] = {
            "definition": checks.text(values.get("definition"), "definition", max_length=MAX_DEFINITION),
            "label_en": checks.text(values.get("label_en"), "label_en", max_length=MAX_LABEL),
            "label_ar": checks.text(values.get("label_ar"), "label_ar", required=False, max_length=MAX_LABEL),
        }
        if "part_of" in allowed:
            part_of = values.get("part_of")
            if part_of is not None:
                part_of = self._known(_code(part_of, "part_of"), "metric", "part_of")
                seen, at = {key}, part_of
                while at is not None:  # a metric is never part of itself, however far round
                    if at in seen:
                        raise InvalidInput(f"metric {key!r} cannot be part of {part_of!r}: that is a cycle",
                                           field="part_of")
                    seen.add(at)
                    at = self.terms[at].get("part_of")
            out["part_of"] = part_of
        if "closed" in allowed:
            out["closed"] = checks.flag(values.get("closed") or False, "closed")
        if "p_code" in allowed:
            dimension = values.get("dimension") or key.partition(":")[0]
            if dimension != PLACE and (values.get("p_code") is not None or values.get("coordinates") is not None):
                raise InvalidInput(f"only a value of the {PLACE!r} dimension carries a P-code and coordinates",
                                   field="p_code" if values.get("p_code") is not None else "coordinates")
            out["p_code"] = _p_code(values.get("p_code"))
            out["coordinates"] = _coordinates(values.get("coordinates"))
        return out


def _folded(term: dict[str, Any] | None, entry: dict[str, Any]) -> dict[str, Any]:
    """A term after one of its versions (None: before its definition): now, and as of any time (``as_of``)."""
    if term is None:
        return {**entry["changes"], "version": 1, "defined_by": entry["actor"], "defined_at": entry["at"],
                "revised_by": None, "revised_at": None, "reason": entry["reason"]}
    return {**term, **entry["changes"], "version": entry["version"], "revised_by": entry["actor"],
            "revised_at": entry["at"], "reason": entry["reason"]}


def _owner(field: str) -> str:
    return next((f"a {kind}" for kind, spec in KINDS.items() if field in spec["fields"]), "no kind")


def _at(vocabulary_: Vocabulary) -> str:
    return vocabulary_.modified_on.isoformat()


# ---- the built-in vocabulary ------------------------------------------------------------

#: Arabic labels of the built-in terms (ledger/vocabulary.py holds their codes and English).
_ARABIC: dict[str, str] = {
    "killed": "القتلى", "civilians_killed": "القتلى المدنيون", "civilians_injured": "الجرحى المدنيون",
    "civilians_detained": "المعتقلون المدنيون", "displaced": "النازحون",
    "attacks_on_vital_facilities": "الهجمات على المنشآت الحيوية", "airstrikes": "الغارات الجوية",
    "ground_attacks": "الهجمات البرية", "barrel_bombs": "البراميل المتفجرة",
    "cluster_munition_attacks": "هجمات بالذخائر العنقودية",
    "perpetrator": "الجهة المسؤولة", "victim_group": "فئة الضحايا", "facility_type": "نوع المنشأة",
    "place": "المكان", "weapon": "السلاح أو الوسيلة",
    "counted": "كل من أحصاهم المصدر", "identified": "المعرّفون", "named": "المعلنة أسماؤهم",
    "verified": "الموثّقون فرديًا", "unidentified": "غير المعرّفين",
}


def built_ins() -> list[dict[str, Any]]:
    """The terms the ledger starts with, as definitions (``Vocabulary.define``'s fields)."""
    out: list[dict[str, Any]] = []
    for kind, table in (("metric", vocabulary.METRICS), ("dimension", vocabulary.DIMENSIONS),
                        ("population", vocabulary.POPULATIONS)):
        for code, label in table.items():
            term: dict[str, Any] = {"kind": kind, "code": code, "definition": label, "label_en": label,
                                    "label_ar": _ARABIC.get(code)}
            if kind == "metric":
                term["part_of"] = vocabulary.PART_OF.get(code)
            out.append(term)
    # A whole must be defined before its parts.
    return sorted(out, key=lambda t: t.get("part_of") is not None)


def built_in_terms() -> dict[str, dict[str, Any]]:
    """The built-in terms as a vocabulary that was never recorded reads them (a store older than the vocabulary)."""
    v = Vocabulary(actor=BUILT_IN_ACTOR)
    for t in built_ins():
        term = {"kind": t["kind"], "code": t["code"], "dimension": None,
                **v._fields(t["kind"], t["code"], t, t)}
        v.terms[t["code"]] = {**term, "version": 0, "defined_by": BUILT_IN_ACTOR, "defined_at": None,
                              "revised_by": None, "revised_at": None, "reason": BUILT_IN_REASON}
    return v.terms


def define_built_ins(v: Vocabulary) -> int:
    """Define on ``v`` the built-in terms it lacks; how many were."""
    missing = [t for t in built_ins() if t["code"] not in v.terms]
    for t in missing:
        v.define(BUILT_IN_ACTOR, reason=BUILT_IN_REASON, **t)
    return len(missing)


# ---- checking words against the vocabulary ----------------------------------------------


class TermCheck:
    """Checks words against the recorded vocabulary, reading it again on a word it does not know.

    ``load`` returns the vocabulary's terms as stored now. Safe to share between threads: the
    terms are replaced whole, never changed in place.
    """

    def __init__(self, load: Callable[[], Mapping[str, dict[str, Any]]]) -> None:
        self._load = load
        self._terms: Mapping[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def built_in(cls) -> TermCheck:
        """The built-in vocabulary alone (a reader with no ledger behind it)."""
        terms = built_in_terms()
        return cls(lambda: terms)

    def terms(self, *, reload: bool = False) -> Mapping[str, dict[str, Any]]:
        if self._terms is None or reload:
            with self._lock:
                self._terms = self._load()
        return self._terms

    def find(self, key: str, kind: str) -> dict[str, Any] | None:
        """The term named ``key`` if it is of ``kind``, reading the vocabulary again on a miss."""
        term = self.terms().get(key)
        if term is None:
            term = self.terms(reload=True).get(key)
        return term if term is not None and term["kind"] == kind else None

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: t for k, t in self.terms().items() if t["kind"] == kind}

    def _one(self, value: object, kind: str, what: str, field: str) -> str:
        if isinstance(value, str) and self.find(value, kind) is not None:
            return value
        raise UnknownTerm(f"{what} {value!r} is not in the vocabulary", field=field, detail=f" (kind: {kind!r})")

    def metric(self, value: object, field: str = "metric") -> str:
        return self._one(value, "metric", "metric", field)

    def dimension(self, value: object, field: str = "dimension") -> str:
        return self._one(value, "dimension", "dimension", field)

    def population(self, value: object, field: str = "population") -> str:
        """A population code; none stated is the whole counted population."""
        if value is None:
            return vocabulary.WHOLE_POPULATION
        return self._one(value, "population", "population", field)

    def breakdown(self, value: object) -> dict[str, str]:
        """A breakdown maps dimensions to values; its keys are sorted so equal breakdowns compare equal."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise InvalidInput("breakdown must be an object of dimension: value", field="breakdown")
        checked: dict[str, str] = {}
        for dimension in sorted(value):
            self._one(dimension, "dimension", "breakdown dimension", f"breakdown.{dimension}")
            item = breakdown_value(value[dimension], dimension)
            if self.find(dimension, "dimension").get("closed") and self.find(key_of("value", item, dimension),
                                                                             "value") is None:
                raise UnknownTerm(f"{dimension!r} is a closed dimension and {item!r} is not one of its values",
                                  field=f"breakdown.{dimension}", detail=f" (kind: 'value', dimension: {dimension!r})")
            checked[dimension] = item
        return checked

    def part_of(self) -> dict[str, str]:
        """Each metric that is part of another, and that other."""
        return {k: t["part_of"] for k, t in self.of_kind("metric").items() if t.get("part_of")}

    def places(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The P-code and coordinates the vocabulary gives each of these place names (either may be None;
        a name it does not define is left out)."""
        terms = self.terms()
        return {name: {"p_code": term.get("p_code"), "coordinates": term.get("coordinates")}
                for name in names if (term := terms.get(key_of("value", name, PLACE))) is not None}

    def place_codes(self, names: Iterable[str]) -> dict[str, str]:
        """The P-codes of those of these place names the vocabulary defines with one."""
        return {name: place["p_code"] for name, place in self.places(names).items() if place["p_code"]}
