"""The row shape of every export: columns with their HXL hashtags, and the reader's answers flattened.

Rows are made from the answers the JSON routes give, never from the views directly: the
reader has already withheld what a caller may not see (``"protected"`` for the source, no
quotes), so an export cannot show more than the JSON does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ledger.limits import MAX_PAGE_SIZE

PAGE = MAX_PAGE_SIZE  # the reader's largest page: figures are streamed a page at a time, never held whole


def _attribute(word: str) -> str:
    # HXL attributes are lowercase letters, digits and underscores.
    return "".join(c if c.isalnum() else "_" for c in word.lower())


FIGURE_COLUMNS: list[tuple[str, str]] = [
    ("figure_id", "#meta+id+figure"), ("incident_id", "#event+id"), ("metric", "#indicator+name"),
    ("breakdown", "#meta+breakdown"), ("version", "#meta+version"), ("status", "#status"),
    ("grade", "#meta+grade"), ("qualifier", "#meta+qualifier"), ("number", "#affected+num"),
    ("low", "#affected+min"), ("high", "#affected+max"), ("term", "#meta+term"),
    ("quote", "#description+quote"), ("quote_en", "#description+quote+i_en"),
    ("source_id", "#meta+source+id"), ("source", "#meta+source"),
    ("recorded_at", "#date+recorded"), ("recorded_to", "#date+recorded+end"),
]


def tally_columns(metric: str) -> list[tuple[str, str]]:
    m = _attribute(metric)
    return [
        ("metric", "#indicator+name"), ("by", "#meta+dimension"), ("value", "#meta+group"),
        ("low", f"#affected+{m}+min"), ("high", f"#affected+{m}+max"), ("kind", "#meta+kind"),
        ("figures", "#meta+count+figures"), ("valid_from", "#date+start"), ("valid_to", "#date+end"),
        ("place", "#loc+name"), ("as_of", "#date+as_of"),
    ]


def _source(ref: Any) -> tuple[Any, Any]:
    if ref is None or isinstance(ref, str):  # None after a correction; "protected" withheld
        return None, ref
    return ref.get("source_id"), ref.get("name_en") or ref.get("name")


def figure_row(item: dict[str, Any]) -> dict[str, Any]:
    value = item.get("value") or {}
    source_id, source = _source(item.get("value_source"))
    return {
        "figure_id": item["figure_id"], "incident_id": item["incident_id"], "metric": item["metric"],
        "breakdown": ";".join(f"{k}={v}" for k, v in sorted(item.get("breakdown", {}).items())) or "total",
        "version": item["version"], "status": item["status"], "grade": item["grade"],
        "qualifier": value.get("qualifier"), "number": value.get("number"), "low": value.get("low"),
        "high": value.get("high"), "term": value.get("term"), "quote": value.get("quote"),
        "quote_en": value.get("quote_en"), "source_id": source_id, "source": source,
        "recorded_at": item.get("recorded_at"), "recorded_to": item.get("recorded_to"),
    }


def figure_items(page: Callable[[str | None, int], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every figure of the listing, a reader page at a time. The first page is read now, so a
    bad request (a cursor, a window) is refused before an answer has begun to stream."""
    first = page(None, PAGE)

    def pages() -> Iterator[dict[str, Any]]:
        answer = first
        while True:
            yield from answer["items"]
            if not (cursor := answer.get("next_cursor")):
                return
            answer = page(cursor, PAGE)

    return pages()


def tally_rows(tally: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The sum first (``value`` "total"), then one row per group of ``by``."""
    echo = {k: _text(tally.get(k)) for k in ("metric", "by", "valid_from", "valid_to", "place", "as_of")}
    for value, part in [("total", tally["sum"]), *((g["value"], g) for g in tally.get("groups") or [])]:
        yield {**echo, "value": value, "low": part["low"], "high": part["high"], "kind": part["kind"],
               "figures": part["figures"]}


def history_columns(metric: str) -> list[tuple[str, str]]:
    m = _attribute(metric)
    return [("recorded_at", "#date+recorded"), ("metric", "#indicator+name"), ("low", f"#affected+{m}+min"),
            ("high", f"#affected+{m}+max"), ("kind", "#meta+kind"), ("figures", "#meta+count+figures"),
            ("moved_by", "#meta+figures+moved")]


def history_rows(history: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per point of a tally's history: the figures that moved it as their ids."""
    for point in history.get("points") or []:
        yield {"recorded_at": _text(point["recorded_at"]), "metric": history["metric"], "low": point["low"],
               "high": point["high"], "kind": point["kind"], "figures": point["figures"],
               "moved_by": " ".join(str(m.get("figure_id") or m.get("incident_id") or "") for m in point["moved_by"])}


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
