"""The columns an import reads: each with its HXL hashtag and the API body field it fills.

An import file is the inverse of a figure export (api/exports/rows.py) plus what a report
needs that an export of current values does not carry (its title, language, publication
date) and, optionally, a citation of each figure. The export's own columns keep their names
and hashtags; those the ledger makes itself (ids it derives, versions, grades, times) are
read and ignored, never imported: a grade or a retraction is a decision made in the ledger,
not a claim a source made.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import orjson

from api.exports.delimited import STATED
from api.exports.rows import FIGURE_COLUMNS

#: column: the report field it fills (rows of one report must agree on these).
REPORT = {
    "source_id": "source_id", "report_title": "title", "report_title_en": "title_en", "language": "language",
    "published_on": "published_on", "report_url": "url", "reference": "reference",
}
#: column: the figure statement field it fills.
FIGURE = {"incident_id": "incident_id", "metric": "metric", "breakdown": "breakdown", "population": "population",
          "adopt": "adopt", "adopt_reason": "reason"}
#: column: the value field it fills (as ledger.value.Count.statement reads it).
VALUE = {k: k for k in ("qualifier", "number", "low", "high", "term", "quote", "quote_en")}
#: column: the citation field it fills (a citation of the row's figure, from the row's source).
CITATION = {"citation_url": "url", "citation_quote": "quote", "citation_quote_en": "quote_en",
            "citation_page": "page", "accessed_on": "accessed_on", "citation_sha256": "sha256"}
#: column: the field of the source to register when the row's ``source_id`` names none in this
#: ledger (a file exported from another ledger, imported into an empty one).
NEW_SOURCE = {"source": "name", "source_en": "name_en", "source_kind": "kind", "source_language": "language"}
#: column: the field of the incident to record when the row's ``incident_id`` names none in this ledger.
NEW_INCIDENT = {"incident": "title", "incident_en": "title_en", "valid_from": "valid_from", "valid_to": "valid_to",
                "places": "places"}
#: A row with a correction's reason states no source's claim: it corrects the figure's value, after
#: the reports of the file are filed (a correction is the ledger's value of a figure no source claimed).
CORRECTION = "correction_reason"
#: What the ledger writes in an export and makes itself: read, never imported.
IGNORED = {"figure_id", "version", "status", "grade", "recorded_at", "recorded_to", "place_code", "place_codes",
           "coordinates", *(name for name, _ in STATED)}  # where the export was made: ledger_position, tree_size

_EXPORTED = dict(FIGURE_COLUMNS)
TAGS: dict[str, str] = {
    **{name: _EXPORTED[name] for name in (*FIGURE, *VALUE, *NEW_SOURCE, *NEW_INCIDENT, "source_id")
       if name in _EXPORTED},
    "source_en": "#meta+source+i_en", "source_kind": "#meta+source+type", "source_language": "#meta+source+lang",
    "report_title": "#meta+report+title", "report_title_en": "#meta+report+title+i_en",
    "language": "#meta+report+lang", "published_on": "#date+reported", "report_url": "#meta+report+url",
    "reference": "#meta+report+reference", "adopt": "#meta+adopt", "adopt_reason": "#meta+adopt+reason",
    CORRECTION: "#meta+correction+reason",
    "citation_url": "#meta+citation+url", "citation_quote": "#description+citation",
    "citation_quote_en": "#description+citation+i_en", "citation_page": "#meta+citation+page",
    "accessed_on": "#date+accessed", "citation_sha256": "#meta+citation+sha256",
    **{name: _EXPORTED[name] for name in IGNORED if name in _EXPORTED},
    **dict(STATED),
}
#: Hashtags earlier exports gave these columns, still read: files already exported import as before.
FORMER_TAGS = {"#event+id": "incident_id", "#date+published": "published_on", "#loc+code": "place_code"}
COLUMNS = [*REPORT, *NEW_SOURCE, *FIGURE, *NEW_INCIDENT, *VALUE, CORRECTION, *CITATION]
#: Where each API body field of a report is read from, for naming the column at fault.
FIELD_COLUMN = {
    **{field: column for column, field in REPORT.items()}, **{f: c for c, f in FIGURE.items()},
    **{f"value.{f}": c for c, f in VALUE.items()}, "value": "qualifier",
}


def hashtag(tag: str) -> str:
    """A hashtag in the HXL standard's sense: case and the order of attributes do not matter."""
    name, *attributes = tag.strip().lower().split("+")
    return "+".join([name.strip(), *sorted(a.strip() for a in attributes if a.strip())])


BY_TAG = {**{hashtag(tag): name for tag, name in FORMER_TAGS.items()},
          **{hashtag(tag): name for name, tag in TAGS.items()}}
#: The HXL hashtags of a count: of people (``#affected``, whatever its attributes say of whom) or
#: a numeric indicator (``#indicator+num``); ``+min`` and ``+max`` mark its bounds.
_COUNTS = {"#affected": (), "#indicator": ("num",)}


def count_column(tag: str) -> str | None:
    """``number``, ``low`` or ``high`` for a hashtag of a count (``#affected+killed+min``, and the
    former ``#affected+num``), whatever attributes say which metric and population it counts."""
    name, *attributes = hashtag(tag).split("+")
    if name not in _COUNTS or not set(_COUNTS[name]) <= set(attributes):
        return None
    if {"parts", "remainder", "excess"} & set(attributes):  # a check's sums: no import column
        return None
    return "low" if "min" in attributes else "high" if "max" in attributes else "number"


class Mapping:
    """Which import column each header of a file names, and values every row takes.

    A mapping file (JSON, or TOML by its ``.toml`` name) says
    ``{"columns": {"Header in the file": "import column"}, "set": {"language": "ar"}}``; a
    header mapped to ``""`` is ignored. Without one, headers are the import's column names.
    """

    def __init__(self, columns: dict[str, str] | None = None, fixed: dict[str, Any] | None = None) -> None:
        if not isinstance(columns or {}, dict) or not isinstance(fixed or {}, dict):
            raise ValueError('a mapping\'s "columns" and "set" are tables of name: value')
        self.columns = {str(k).strip(): str(v).strip() for k, v in (columns or {}).items()}
        self.fixed = dict(fixed or {})
        for name in [*self.columns.values(), *self.fixed]:
            if name and name not in COLUMNS and name not in IGNORED:
                raise ValueError(f"the mapping names {name!r}, which is not an import column;"
                                 f" the columns are: {', '.join(COLUMNS)}")

    @classmethod
    def read(cls, path: str | Path | None) -> Mapping:
        if path is None:
            return cls()
        raw = Path(path).read_bytes()
        try:
            data = tomllib.loads(raw.decode()) if str(path).endswith(".toml") else orjson.loads(raw)
        except (tomllib.TOMLDecodeError, orjson.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"the mapping file cannot be read: {e}") from None
        if not isinstance(data, dict) or set(data) - {"columns", "set"}:
            raise ValueError('a mapping file holds "columns" (header: column) and "set" (column: value)')
        return cls(data.get("columns"), data.get("set"))

    def name(self, header: Any, tag: str | None) -> str | None:
        """The import column of a file's column; None for one the import does not read."""
        name = self._meant(header, tag)
        return None if name in IGNORED else name

    def unknown(self, header: Any, tag: str | None) -> bool:
        """A column the file has but nothing reads: refused, as the API refuses a field it does not know."""
        text = "" if header is None else str(header).strip()
        return self._meant(header, tag) is None and text not in self.columns and bool(text or tag)

    def _meant(self, header: Any, tag: str | None) -> str | None:
        text = "" if header is None else str(header).strip()
        if text in self.columns:
            return self.columns[text] or None
        name = (BY_TAG.get(hashtag(tag)) or count_column(tag)) if tag else None
        if name is None and (text in COLUMNS or text in IGNORED):
            name = text
        return name
