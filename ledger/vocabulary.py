"""The controlled words of the ledger: the built-in metrics, dimensions and populations, grades, kinds of source.

Metrics, dimensions, their values and populations are data: terms recorded in the
vocabulary (ledger/terms.py), which officers extend without a code change. The ones below
are the vocabulary the ledger starts with, recorded once by ``ledger init`` (and ``seed``,
``serve``); commands and reads check words against the recorded vocabulary, not these lists.
Grades and kinds of source stay fixed here.
"""

from __future__ import annotations

import re

from ledger.errors import InvalidInput
from ledger.limits import LANGUAGE_PATTERN

#: What a figure counts: the built-in metrics (more are defined as terms: ledger/terms.py).
METRICS: dict[str, str] = {
    "killed": "people killed: everyone, civilian or not (what ministries and many monitors count)",
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

#: Built-in metrics that are part of another: their figures never exceed the other's (checked by GET /checks).
PART_OF: dict[str, str] = {"civilians_killed": "killed"}

#: The dimensions a figure may be broken down by (all open: any value, in any script).
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
#: it never adds to the whole's tally (ledger/tally.py). These are the built-in ones, recorded
#: once as terms; a new population is defined by an officer (POST /vocabulary, kind "population"),
#: not added here, and every read and command checks against the recorded vocabulary.
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

_LANGUAGE = re.compile(LANGUAGE_PATTERN)


def _one_of(value: object, allowed: dict[str, str], what: str, field: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(
            f"{what} {value!r} is not known; use one of: {', '.join(allowed)}", field=field
        )
    return value


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
