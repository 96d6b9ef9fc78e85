"""The row shape of every export: columns with their HXL hashtags, and the reader's answers flattened.

Rows are made from the answers the JSON routes give, never from the views directly: the
reader has already withheld what a caller may not see (``"protected"`` for the source, no
quotes), so an export cannot show more than the JSON does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ledger.limits import MAX_PAGE_SIZE
from ledger.tally import is_approximate
from ledger.vocabulary import WHOLE_POPULATION

PAGE = MAX_PAGE_SIZE  # the reader's largest page: figures are streamed a page at a time, never held whole


def _attribute(word: str) -> str:
    # HXL attributes are lowercase letters, digits and underscores, and start with a letter.
    text = "".join(c if c.isalnum() and c.isascii() else "_" for c in word.lower())
    return text if text[:1].isalpha() else f"x_{text}"


#: The HXL dictionary's tag for the people a built-in metric counts: ``#affected`` (a number of
#: people) with its impact attribute (``+killed``, ``+injured``, ``+displaced``); ``+civilians`` and
#: ``+detained`` are the ledger's own attributes, where the dictionary has none. A metric that is
#: not a count of people (airstrikes, attacks) is ``#indicator+num`` with the metric as attribute.
PEOPLE_COUNTED: dict[str, str] = {
    "killed": "#affected+killed", "civilians_killed": "#affected+killed+civilians",
    "civilians_injured": "#affected+injured+civilians", "civilians_detained": "#affected+detained+civilians",
    "displaced": "#affected+displaced",
}
#: A column of counts that mixes metrics: HXL's rule is that a hashtag says what every cell of its
#: column is, so a mixed column is the generic numeric indicator, and ``#indicator+name`` says,
#: row by row, which metric each count is of.
MIXED_COUNT = "#indicator+num"


def counted(metric: str | None = None, population: str | None = None) -> str:
    """The hashtag and attributes of a column of counts of one metric (and one population): the
    dictionary's where it has them (``#affected+killed``), a subset population as the ledger's own
    attribute (``+identified``: still people killed, so ``#affected+killed`` holds for it)."""
    tag = MIXED_COUNT if metric is None else PEOPLE_COUNTED.get(metric, f"{MIXED_COUNT}+{_attribute(metric)}")
    if population is not None and population != WHOLE_POPULATION:
        tag += f"+{_attribute(population)}"
    return tag


def counted_of(figure: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """The metric and population of one figure's counts (None, None when there is none to go by)."""
    return (None, None) if not figure else (figure.get("metric"), figure.get("population"))


def count_columns(metric: str | None = None, population: str | None = None) -> list[tuple[str, str]]:
    """A count's three columns: the number as stated, its lower and its upper bound."""
    tag = counted(metric, population)
    return [("number", tag), ("low", f"{tag}+min"), ("high", f"{tag}+max")]


#: Whom a figure, a tally or a check counts (docs/model.md, populations).
POPULATION_COLUMN = ("population", "#meta+population")


def figure_columns(metric: str | None = None, population: str | None = None) -> list[tuple[str, str]]:
    """The figure export's columns: counts tagged by ``metric`` and ``population`` when the export
    has only one of each (``GET /figures?metric=killed``), else as a mixed column."""
    return [
        ("figure_id", "#meta+id+figure"), ("incident_id", "#event+code"), ("metric", "#indicator+name"),
        ("breakdown", "#meta+breakdown"), ("place_code", "#loc+code+breakdown"), POPULATION_COLUMN,
        ("version", "#meta+version"), ("status", "#status"), ("grade", "#meta+grade"), ("qualifier", "#meta+qualifier"),
        *count_columns(metric, population), ("term", "#meta+term"),
        ("quote", "#description+quote"), ("quote_en", "#description+quote+i_en"),
        ("source_id", "#meta+source+id"), ("source", "#meta+source"),
        ("recorded_at", "#date+recorded"), ("recorded_to", "#date+recorded+end"),
        *INCIDENT_OF_FIGURE,
    ]


#: The incident a figure counts in, as recorded at the export's moment: its title, valid time and
#: places, with the P-codes and coordinates the vocabulary gives those places (``;``-separated, in
#: the order of the places).
INCIDENT_OF_FIGURE: list[tuple[str, str]] = [
    ("incident", "#event+name"), ("incident_en", "#event+name+i_en"), ("valid_from", "#date+start"),
    ("valid_to", "#date+end"), ("places", "#loc+name"), ("place_codes", "#loc+code"), ("coordinates", "#geo+coord"),
]

#: The figure export's columns when it mixes metrics (the importer reads these names).
FIGURE_COLUMNS = figure_columns()


def tally_columns(metric: str, population: str | None = None) -> list[tuple[str, str]]:
    m = counted(metric, population)
    return [
        ("metric", "#indicator+name"), POPULATION_COLUMN, ("by", "#meta+dimension"), ("value", "#meta+group"),
        ("low", f"{m}+min"), ("high", f"{m}+max"), ("kind", "#meta+kind"),
        ("figures", "#meta+count+figures"), ("approximate_figures", "#meta+count+approximate"),
        ("valid_from", "#date+start"), ("valid_to", "#date+end"), ("place", "#loc+name"), ("as_of", "#date+as_of"),
        ("published_by", "#date+published_by"),
    ]


def month_columns(metric: str, population: str | None = None) -> list[tuple[str, str]]:
    """A tally's columns, and the month's count of the incidents dated within it alone (tally_months)."""
    m = counted(metric, population)
    return [*tally_columns(metric, population), ("within_month_low", f"{m}+within+min"),
            ("within_month_high", f"{m}+within+max"), ("within_month_kind", "#meta+kind+within"),
            ("within_month_figures", "#meta+count+figures+within")]


def _source(ref: Any) -> tuple[Any, Any]:
    if ref is None or isinstance(ref, str):  # None after a correction; "protected" withheld
        return None, ref
    return ref.get("source_id"), ref.get("name_en") or ref.get("name")


def figure_row(item: dict[str, Any], incident: dict[str, Any] | None = None,
               places: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A figure as a row, with its ``incident`` (as ``Reader.incident`` gives it) and what the
    vocabulary says of that incident's ``places`` (``TermCheck.places``)."""
    value = item.get("value") or {}
    source_id, source = _source(item.get("value_source"))
    return {
        "figure_id": item["figure_id"], "incident_id": item["incident_id"], "metric": item["metric"],
        "breakdown": ";".join(f"{k}={v}" for k, v in sorted(item.get("breakdown", {}).items())) or "total",
        # The OCHA P-code of the figure's place, where the vocabulary gives one (ledger/terms.py).
        "place_code": (item.get("admin_codes") or {}).get(item.get("breakdown", {}).get("place", "")),
        "population": item.get("population", WHOLE_POPULATION), "version": item["version"], "status": item["status"], "grade": item["grade"],
        "qualifier": value.get("qualifier"), "number": value.get("number"), "low": value.get("low"),
        "high": value.get("high"), "term": value.get("term"), "quote": value.get("quote"),
        "quote_en": value.get("quote_en"), "source_id": source_id, "source": source,
        "recorded_at": item.get("recorded_at"), "recorded_to": item.get("recorded_to"),
        **incident_cells(incident, places or {}),
    }


def incident_cells(incident: dict[str, Any] | None, places: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ``INCIDENT_OF_FIGURE`` cells: lists as ``;``-separated text, a place the vocabulary gives no
    code or coordinates an empty item (so the n-th item of each list is of the n-th place)."""
    if incident is None:
        return dict.fromkeys(name for name, _ in INCIDENT_OF_FIGURE)
    names = incident.get("places") or []
    known = [places.get(n) or {} for n in names]
    codes = [k.get("p_code") or "" for k in known]
    points = [",".join(str(x) for x in k["coordinates"]) if k.get("coordinates") else "" for k in known]
    return {"incident": incident.get("title"), "incident_en": incident.get("title_en"),
            "valid_from": _text(incident.get("valid_from")), "valid_to": _text(incident.get("valid_to")),
            "places": "; ".join(names) or None, "place_codes": "; ".join(codes) if any(codes) else None,
            "coordinates": "; ".join(points) if any(points) else None}


def in_pages(items: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The items a reader page (``PAGE``) at a time, for what is read of a whole page at once."""
    items = iter(items)
    while page := list(itertools.islice(items, PAGE)):
        yield page


def _with_incidents(items: Iterable[dict[str, Any]], incidents: Callable[[list[str]], dict[str, dict[str, Any]]],
                    places: Callable[[list[str]], dict[str, dict[str, Any]]],
                    ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, dict[str, dict[str, Any]]]]:
    """Each figure with its incident and that incident's places in the vocabulary, a reader page at
    a time: each page's incidents read in one call (``incidents(ids)``, as of the export's moment)
    and their places looked up (``places(names)``); nothing is kept from one page to the next, so
    memory stays flat."""
    for page in in_pages(items):
        known = incidents(sorted({str(i["incident_id"]) for i in page}))
        where = places(sorted({n for i in known.values() for n in i.get("places") or []}))
        for item in page:
            yield item, known.get(str(item["incident_id"])), where


def figure_rows(items: Iterable[dict[str, Any]], incidents: Callable[[list[str]], dict[str, dict[str, Any]]],
                places: Callable[[list[str]], dict[str, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """The figures as rows, each with its incident's title, valid time and places (``figure_row``)."""
    return (figure_row(item, incident, where) for item, incident, where in _with_incidents(items, incidents, places))


def figure_lines(items: Iterable[dict[str, Any]], incidents: Callable[[list[str]], dict[str, dict[str, Any]]],
                 places: Callable[[list[str]], dict[str, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """The figures as NDJSON gives them: each JSON answer with its ``incident`` (title, valid time,
    places, and the P-codes and coordinates the vocabulary gives them, by place name)."""
    for item, incident, where in _with_incidents(items, incidents, places):
        if incident is None:
            yield {**item, "incident": None}
            continue
        names = incident.get("places") or []
        yield {**item, "incident": {
            "title": incident.get("title"), "title_en": incident.get("title_en"),
            "valid_from": _text(incident.get("valid_from")), "valid_to": _text(incident.get("valid_to")),
            "places": names,
            "place_codes": {n: where[n]["p_code"] for n in names if (where.get(n) or {}).get("p_code")},
            "coordinates": {n: where[n]["coordinates"] for n in names if (where.get(n) or {}).get("coordinates")},
        }}


def paged(page: Callable[[str | None, int], dict[str, Any]], key: str = "items",
          first: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every item of a paged answer (its ``key`` list), a page at a time. The first page is read
    now (or was, ``first``: for what it says beside its items), so a bad request (a cursor, a
    window, an unknown id) is refused before an answer has begun to stream."""
    def pages(answer: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
        while answer is not None:
            yield from answer[key]
            cursor = answer.get("next_cursor")
            # Written out: neither it nor the first page is held while the next one is read (on the
            # hottest figure's history two pages of versions at once were a third of the export's peak).
            answer = None
            if cursor:
                answer = page(cursor, PAGE)

    return pages(page(None, PAGE) if first is None else first)


def figure_items(page: Callable[[str | None, int], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every figure of the listing, a reader page at a time."""
    return paged(page)


def version_columns(metric: str | None = None, population: str | None = None) -> list[tuple[str, str]]:
    """A figure's history: a row per version, who changed what and why, and the claim it came with
    (its counts tagged by the figure's metric and population)."""
    return [
        ("figure_id", "#meta+id+figure"), ("version", "#meta+version"), ("event", "#meta+event"),
        ("recorded_at", "#date+recorded"), ("recorded_to", "#date+recorded+end"), ("actor", "#meta+actor"),
        ("reason", "#meta+reason"), ("status", "#status"), ("grade", "#meta+grade"), ("qualifier", "#meta+qualifier"),
        *count_columns(metric, population), ("term", "#meta+term"),
        ("quote", "#description+quote"), ("quote_en", "#description+quote+i_en"), ("value_changed", "#meta+changed"),
        ("value_source_id", "#meta+source+id"), ("value_source", "#meta+source"),
        ("claim_source_id", "#meta+source+id+claim"), ("claim_source", "#meta+source+claim"),
        ("report_id", "#meta+report+id"), ("evidence", "#meta+evidence"), ("replaces", "#meta+replaces"),
        ("citations", "#meta+count+citations"),
    ]


def _ids(refs: Any, key: str) -> str | None:
    """A list of records as their ids (a withheld one as ``protected``), space-separated."""
    if refs is None:
        return None
    return " ".join(r if isinstance(r, str) else str(r.get(key) or "") for r in refs)


def history_versions(figure_id: str, page: Callable[[str | None, int], dict[str, Any]],
                     first: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every version of a figure, a reader page at a time (read with ``citation_counts=True``;
    ``first``: its first page, already read), each with the figure's id and the number of
    citations live on it.

    The count, not the citations: a hot figure's versions each have thousands live, and
    listing them on every row makes the export versions x citations long; they are
    ``GET /figures/{id}/citations``, each once."""
    return ({"figure_id": figure_id, **version} for version in paged(page, "versions", first))


def history_row(item: dict[str, Any]) -> dict[str, Any]:
    value = item.get("value") or {}
    value_source_id, value_source = _source(item.get("value_source"))
    claim_source_id, claim_source = _source(item.get("source"))
    return {
        "figure_id": item["figure_id"], "version": item["version"], "event": item["event"],
        "recorded_at": item["recorded_at"], "recorded_to": item.get("recorded_to"), "actor": item["actor"],
        "reason": item.get("reason"), "status": item["status"], "grade": item["grade"],
        "qualifier": value.get("qualifier"), "number": value.get("number"), "low": value.get("low"),
        "high": value.get("high"), "term": value.get("term"), "quote": value.get("quote"),
        "quote_en": value.get("quote_en"), "value_changed": int(bool(item.get("value_changed"))),
        "value_source_id": value_source_id, "value_source": value_source, "claim_source_id": claim_source_id,
        "claim_source": claim_source, "report_id": item.get("report_id"),
        "evidence": " ".join(item["evidence"]) if item.get("evidence") else None,
        "replaces": _ids(item.get("replaces"), "source_id"), "citations": item["citations"],
    }


def check_columns(metric: str | None = None) -> list[tuple[str, str]]:
    """The breakdown checks: a row per total and dimension (mixed populations: a check compares one
    population's parts, or a subset with its whole)."""
    m = counted(metric)
    return [
        ("incident_id", "#event+code"), ("metric", "#indicator+name"), POPULATION_COLUMN, ("check", "#meta+check"),
        ("dimension", "#meta+dimension"), ("status", "#status"), ("total_figure_id", "#meta+id+figure"),
        ("total_low", f"{m}+min"), ("total_high", f"{m}+max"), ("total_approximate", "#meta+approximate"),
        ("parts_low", f"{m}+min+parts"), ("parts_high", f"{m}+max+parts"),
        ("parts_approximate", "#meta+count+approximate+parts"), ("remainder_low", f"{m}+min+remainder"),
        ("remainder_high", f"{m}+max+remainder"), ("excess", f"{m}+excess"), ("parts", "#meta+parts"),
    ]


def check_row(check: dict[str, Any]) -> dict[str, Any]:
    remainder = check.get("remainder") or {}
    total = check["total"]
    return {
        "incident_id": check["incident_id"], "metric": check["metric"], "population": check["population"],
        "check": check["check"], "dimension": check["dimension"],
        "status": check["status"], "total_figure_id": total["figure_id"], "total_low": total["low"],
        "total_high": total["high"], "total_approximate": int(total["approximate"]), "parts_low": check["parts_low"],
        "parts_high": check["parts_high"], "parts_approximate": sum(1 for p in check["parts"] if p["approximate"]),
        "remainder_low": remainder.get("low"), "remainder_high": remainder.get("high"), "excess": check.get("excess"),
        # "~" marks an approximate part, as the pages' "about" does.
        "parts": "; ".join(f"{p['value']}={'~' if p['approximate'] else ''}{p['low']}-"
                           f"{'' if p['high'] is None else p['high']}" for p in check["parts"]),
    }


#: The audit log (auditors only): who did what, when, to which record, why, and on what evidence.
AUDIT_COLUMNS: list[tuple[str, str]] = [
    ("position", "#meta+position"), ("notification_id", "#meta+id+notification"), ("recorded_at", "#date+recorded"),
    ("actor", "#meta+actor"), ("kind", "#meta+event"), ("topic", "#meta+topic"), ("aggregate_id", "#meta+id+record"),
    ("aggregate_version", "#meta+version"), ("figure_id", "#meta+id+figure"), ("incident_id", "#event+code"),
    ("reason", "#meta+reason"), ("evidence", "#meta+evidence"),
]


def audit_entries(page: Callable[[str | None, int], dict[str, Any]], size: int, *,
                  newest_first: bool = False) -> Iterator[dict[str, Any]]:
    """The audit log's entries below tree size ``size`` (the tree as the export began): later
    events are left for the next export, so a long one is one cut (read the latest first, they
    are the first ones, passed over)."""
    entries = paged(page)  # the first page read now: a bad cursor is refused before streaming
    later = lambda e: e["position"] >= size  # noqa: E731
    if newest_first:
        return itertools.dropwhile(later, entries)
    return itertools.takewhile(lambda e: not later(e), entries)


def audit_row(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit log entry as a row: its evidence space-separated, as a history row's."""
    return {**entry, "evidence": " ".join(entry["evidence"]) if entry.get("evidence") else None}


def tally_rows(tally: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The sum first (``value`` "total"), then one row per group of ``by``."""
    echo = {k: _text(tally.get(k)) for k in ("metric", "population", "by", "valid_from", "valid_to", "place", "as_of",
                                             "published_by")}
    for value, part in [("total", tally["sum"]), *((g["value"], g) for g in tally.get("groups") or [])]:
        yield {**echo, "value": value, "low": part["low"], "high": part["high"], "kind": part["kind"],
               "figures": part["figures"], "approximate_figures": part["approximate_figures"]}


def history_columns(metric: str, population: str | None = None) -> list[tuple[str, str]]:
    m = counted(metric, population)
    return [("recorded_at", "#date+recorded"), ("metric", "#indicator+name"), POPULATION_COLUMN, ("low", f"{m}+min"),
            ("high", f"{m}+max"), ("kind", "#meta+kind"), ("figures", "#meta+count+figures"),
            ("approximate_figures", "#meta+count+approximate"), ("moved_by", "#meta+figures+moved"),
            ("published_at", "#date+published")]


def history_rows(history: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per point of a tally's history: the figures that moved it as their ids."""
    for point in history.get("points") or []:
        yield {"recorded_at": _text(point.get("recorded_at")), "published_at": _text(point.get("published_at")),
               "metric": history["metric"],
               "population": history.get("population", WHOLE_POPULATION), "low": point["low"],
               "high": point["high"], "kind": point["kind"], "figures": point["figures"],
               "approximate_figures": point["approximate_figures"],
               "moved_by": " ".join(str(m.get("figure_id") or m.get("incident_id") or "") for m in point["moved_by"])}


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def spread_columns(metric: str | None = None, population: str | None = None) -> list[tuple[str, str]]:
    """A figure's spread: a row per source's latest claim (a protected source reads ``protected``, no words)."""
    return [
        ("figure_id", "#meta+id+figure"), ("source_id", "#meta+source+id"), ("source", "#meta+source"),
        ("report_id", "#meta+report+id"), ("version", "#meta+version"), ("claimed_at", "#date+recorded"),
        ("superseded", "#meta+superseded"), ("qualifier", "#meta+qualifier"), ("approximate", "#meta+approximate"),
        *count_columns(metric, population),
        ("term", "#meta+term"), ("quote", "#description+quote"), ("quote_en", "#description+quote+i_en"),
    ]


def spread_rows(spread: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for claim in spread["claims"]:
        value = claim.get("value") or {}
        source_id, source = _source(claim.get("source"))
        yield {"figure_id": spread["figure_id"], "source_id": source_id, "source": source,
               "report_id": claim.get("report_id"), "version": claim["version"], "claimed_at": claim["claimed_at"],
               "superseded": int(bool(claim["superseded"])), "qualifier": claim["qualifier"],
               "approximate": is_approximate(claim["qualifier"]), "number": value.get("number"), "low": claim["low"],
               "high": claim["high"], "term": value.get("term"),
               "quote": value.get("quote"), "quote_en": value.get("quote_en")}


#: The sources (a protected one is in the reader's listing for auditors only, so in no one else's rows).
SOURCE_COLUMNS: list[tuple[str, str]] = [
    ("source_id", "#meta+source+id"), ("name", "#meta+source"), ("name_en", "#meta+source+i_en"),
    ("kind", "#meta+source+type"), ("url", "#meta+url"), ("language", "#meta+lang"),
    ("protected", "#meta+protected"), ("version", "#meta+version"), ("registered_at", "#date+recorded"),
]


def source_row(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _text(item.get(name)) for name, _ in SOURCE_COLUMNS} | {
        "protected": int(bool(item.get("protected")))}


#: The incidents, with their period as recorded at the export's moment.
INCIDENT_COLUMNS: list[tuple[str, str]] = [
    ("incident_id", "#event+code"), ("title", "#event+name"), ("title_en", "#event+name+i_en"),
    ("description", "#description"), ("places", "#loc+name"), ("valid_from", "#date+start"),
    ("valid_to", "#date+end"), ("version", "#meta+version"), ("recorded_at", "#date+recorded"),
]


def incident_row(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _text(item.get(name)) for name, _ in INCIDENT_COLUMNS} | {"places": "; ".join(item["places"])}


#: The reports (a protected source's are in the reader's listing for auditors only, so in no one else's rows).
REPORT_COLUMNS: list[tuple[str, str]] = [
    ("report_id", "#meta+report+id"), ("source_id", "#meta+source+id"), ("source", "#meta+source"),
    ("title", "#meta+report+name"), ("title_en", "#meta+report+name+i_en"), ("language", "#meta+lang"),
    ("published_on", "#date+reported"), ("url", "#meta+url"), ("reference", "#meta+reference"),
    ("period_from", "#date+start"), ("period_to", "#date+end"), ("places", "#loc+name"),
    ("figure_ids", "#meta+id+figure"), ("filed_at", "#date+recorded"),
]


def report_row(item: dict[str, Any]) -> dict[str, Any]:
    source_id, source = _source(item.get("source"))
    return {name: _text(item.get(name)) for name, _ in REPORT_COLUMNS} | {
        "source_id": source_id, "source": source, "places": "; ".join(item.get("places") or []),
        "figure_ids": " ".join(str(f) for f in item.get("figure_ids") or [])}


#: A report's or a figure's citations; one of a protected source reads ``protected`` with no
#: id, link or words (the reader gives it so), to anyone but an auditor.
CITATION_COLUMNS: list[tuple[str, str]] = [
    ("citation_id", "#meta+id+citation"), ("target_kind", "#meta+target+type"), ("target_id", "#meta+target+id"),
    ("source_id", "#meta+source+id"), ("source", "#meta+source"), ("url", "#meta+url"),
    ("quote", "#description+quote"), ("quote_en", "#description+quote+i_en"), ("page", "#meta+page"),
    ("accessed_on", "#date+accessed"), ("sha256", "#meta+hash"), ("cited_by", "#meta+actor"),
    ("cited_at", "#date+recorded"), ("withdrawn", "#meta+withdrawn"), ("withdrawn_at", "#date+withdrawn"),
    ("withdrawn_reason", "#meta+reason+withdrawn"),
]


def citation_row(item: dict[str, Any]) -> dict[str, Any]:
    source_id, source = _source(item.get("source"))
    return {name: _text(item.get(name)) for name, _ in CITATION_COLUMNS} | {
        "source_id": source_id, "source": source, "withdrawn": int(bool(item.get("withdrawn")))}


#: The audit trail's signed checkpoints (hashes only: anyone may have them).
CHECKPOINT_COLUMNS: list[tuple[str, str]] = [
    ("size", "#meta+size"), ("time", "#date+signed"), ("root", "#meta+hash+root"), ("note", "#meta+note"),
]
