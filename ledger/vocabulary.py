"""The controlled words of the ledger: metrics, breakdown dimensions, populations, grades, kinds of source.

Kept in one place so that adding a metric or a grade is a one-line change, and so that
every command is checked against the same lists the documentation shows.
"""

from __future__ import annotations

import re

from ledger.errors import InvalidInput
from ledger.limits import LANGUAGE_PATTERN, SLUG_PATTERN

#: What a figure counts. Add new metrics here; stored events keep the code as written.
METRICS: dict[str, str] = {
    "civilians_killed": "civilians killed",
    "civilians_injured": "civilians injured",
    "civilians_detained": "civilians detained",
    "displaced": "people displaced",
    "attacks_on_vital_facilities": "attacks on vital civilian facilities",
    "airstrikes": "airstrikes",
    "ground_attacks": "ground attacks",
    "barrel_bombs": "barrel bombs dropped",
    "cluster_munition_attacks": "attacks with cluster munitions",
}

#: The dimensions a figure may be broken down by.
DIMENSIONS: dict[str, str] = {
    "perpetrator": "party responsible",
    "victim_group": "victim group (children, women, men...)",
    "facility_type": "type of facility attacked (school, place of worship, medical facility...)",
    "place": "place (governorate, district, town)",
    "weapon": "weapon or means",
}

#: Which people (or events) a figure counts. A figure of another population than ``counted`` is a
#: subset of the whole counted population of the same incident, metric and breakdown ("34,844
#: killed, of whom 24,686 identified"): it carries its own breakdown, its parts add up to it, and
#: it never adds to the whole's tally (ledger/tally.py). Add new populations here.
POPULATIONS: dict[str, str] = {
    "counted": "everyone the source counted: the whole population (the default)",
    "identified": "those identified (by name, age, sex or an identity document)",
    "named": "those whose names are published",
    "verified": "those whose deaths or cases the source verified individually",
    "unidentified": "those counted but not identified (yet)",
}
#: The population a figure counts when none is stated; its figures keep the ids they had before populations.
WHOLE_POPULATION = "counted"

#: Verification grades, from the strongest to the weakest; "unassessed" until an officer grades it.
GRADES: dict[str, str] = {
    "unassessed": "not yet assessed by a verification officer",
    "confirmed": "corroborated by independent sources or direct evidence",
    "fair": "credible single source, consistent with other information",
    "weak": "single source, not corroborated",
    "contested": "sources disagree materially",
    "discounted": "judged unreliable; kept for the record",
}

SOURCE_KINDS: dict[str, str] = {
    "monitoring_network": "human-rights monitoring network or casualty recorder",
    "media_office": "media office or news outlet",
    "official_body": "official or governmental body, UN agency",
    "investigation": "investigation or inquiry",
    "witness": "individual witness",
    "other": "other",
}

_SLUG = re.compile(SLUG_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)


def _one_of(value: object, allowed: dict[str, str], what: str, field: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(
            f"{what} {value!r} is not known; use one of: {', '.join(allowed)}", field=field
        )
    return value


def check_metric(value: object) -> str:
    return _one_of(value, METRICS, "metric", "metric")


def check_population(value: object) -> str:
    """A population code; none stated is the whole counted population."""
    if value is None:
        return WHOLE_POPULATION
    return _one_of(value, POPULATIONS, "population", "population")


def check_grade(value: object) -> str:
    return _one_of(value, GRADES, "grade", "grade")


def check_source_kind(value: object) -> str:
    return _one_of(value, SOURCE_KINDS, "source kind", "kind")


def check_language(value: object, field: str = "language") -> str:
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise InvalidInput(
            f"language {value!r} is not a BCP 47 tag such as 'ar' or 'en'", field=field
        )
    return value


def check_breakdown(value: object) -> dict[str, str]:
    """A breakdown maps dimensions to slugs; its keys are sorted so equal breakdowns compare equal."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("breakdown must be an object of dimension: value", field="breakdown")
    checked: dict[str, str] = {}
    for dimension in sorted(value):
        _one_of(dimension, DIMENSIONS, "breakdown dimension", "breakdown")
        item = value[dimension]
        if not isinstance(item, str) or not _SLUG.match(item):
            raise InvalidInput(
                f"breakdown value for {dimension!r} must be a lower-case slug such as"
                f" 'russian-forces', got {item!r}",
                field="breakdown",
            )
        checked[dimension] = item
    return checked
