"""Each kind of export, made once for both the API's routes and ``ledger export``: what is read
(as the caller may see it), its columns, its rows, its JSON items and what it states.

``state(**asked)`` says where the export was made (``about.stated`` at the position the caller
read at); ``include_protected`` is the caller's (``Caller.sees_protected``; ``ledger export`` is a
reader). A long export reads all its pages as of one pinned moment (``about.pinned``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from api.exports import rows as export_rows
from api.exports.about import pinned
from api.months import monthly_rows
from projections.publication import check_published_by, iso_published_by
from ledger.errors import NotFound
from ledger.vocabulary import WHOLE_POPULATION

State = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Made:
    """An export ready to write: ``rows`` for the tabular formats, ``items`` (the JSON answers) for
    NDJSON and JSON. Both are lazy: only the one written is read."""

    columns: list[tuple[str, str]]
    rows: Iterable[dict[str, Any]]
    items: Iterable[dict[str, Any]]
    about: dict[str, Any]
    name: str

    def of(self, fmt: str) -> Iterable[dict[str, Any]]:
        return self.items if fmt in ("json", "ndjson") else self.rows


def figures(reader: Any, state: State, *, include_protected: bool, as_of: Any = None, cursor: str | None = None,
            incident_id: str | None = None, metric: str | None = None, dimension: str | None = None,
            status: str | None = None, valid_from: Any = None, valid_to: Any = None, place: str | None = None,
            population: str | None = None, published_by: Any = None) -> Made:
    """Every figure from ``cursor`` on, each with its incident (``GET /figures``, ``ledger export figures``)."""
    at = pinned(as_of)
    items = export_rows.figure_items(lambda after, size: reader.figures(
        incident_id=incident_id, metric=metric, dimension=dimension, status=status, as_of=at,
        valid_from=valid_from, valid_to=valid_to, place=place, cursor=cursor if after is None else after,
        limit=size, population=population, include_protected=include_protected, published_by=published_by))
    about = state(as_of=at, incident_id=incident_id, metric=metric, dimension=dimension, status=status,
                  valid_from=valid_from, valid_to=valid_to, place=place, population=population,
                  published_by=published_by)
    return _figure_export(reader, at, export_rows.figure_columns(metric, population), items, about, "figures")


def report_figures(reader: Any, state: State, report_id: str, figures: list[dict[str, Any]], *, as_of: Any = None,
                   published_by: Any = None) -> Made:
    """The figures a report states, as they stand (``figures``: read already, as the JSON answer gives
    them), each with its incident (``GET /reports/{id}/figures``)."""
    about = state(report_id=report_id, as_of=as_of, published_by=published_by)
    return _figure_export(reader, as_of, export_rows.FIGURE_COLUMNS, figures, about, f"report-{report_id}-figures")


def _figure_export(reader: Any, as_of: Any, columns: list[tuple[str, str]], items: Iterable[dict[str, Any]],
                    about: dict[str, Any], name: str) -> Made:
    """Figures as rows and as NDJSON lines, each with its incident as of ``as_of`` (a page of them read at once)."""
    incidents = lambda ids: reader.incidents_by_id(ids, as_of=as_of)  # noqa: E731
    return Made(columns, export_rows.figure_rows(items, incidents, reader.terms.places),
                export_rows.figure_lines(items, incidents, reader.terms.places), about, name)


def listing(kind: str, reader: Any, state: State, *, include_protected: bool, as_of: Any = None,
            cursor: str | None = None, **asked: Any) -> Made:
    """Every source, incident or report (``kind``) from ``cursor`` on, with the listing's filters ``asked``."""
    read, columns, row = {
        "sources": (reader.sources, export_rows.SOURCE_COLUMNS, export_rows.source_row),
        "incidents": (reader.incidents, export_rows.INCIDENT_COLUMNS, export_rows.incident_row),
        "reports": (reader.reports, export_rows.REPORT_COLUMNS, export_rows.report_row),
    }[kind]
    at = pinned(as_of)
    items = export_rows.paged(lambda after, size: read(
        as_of=at, cursor=cursor if after is None else after, limit=size, include_protected=include_protected,
        **asked))
    return Made(columns, map(row, items), items, state(as_of=at, **asked), kind)


def figure_history(reader: Any, state: State, figure_id: str, *, include_protected: bool, as_of: Any = None,
                   cursor: str | None = None, published_by: Any = None, order: str = "recorded") -> Made:
    """Every version of a figure from ``cursor`` on, with the number of citations live on each."""
    at = pinned(as_of)

    def read(after: str | None, size: int) -> dict[str, Any]:
        return reader.figure_history(figure_id, as_of=at, cursor=cursor if after is None else after, limit=size,
                                     citation_counts=True, include_protected=include_protected,
                                     published_by=published_by, order=order)

    first = read(None, export_rows.PAGE)
    items = export_rows.history_versions(figure_id, read, first)
    about = state(figure_id=figure_id, as_of=at, published_by=published_by,
                  order=None if order == "recorded" else order)
    # The counts tagged by the figure's metric, which its history names (mixed as of before the
    # figure was recorded). Only a first page with no version leaves that open (a cursor past the
    # end, a cut before its words), and only then is the figure read.
    named: dict[str, Any] | None = first
    if not first["versions"]:
        try:
            reader.figure(figure_id, as_of=at, include_protected=include_protected)
        except NotFound:
            named = None
    columns = export_rows.version_columns(*export_rows.counted_of(named))
    return Made(columns, map(export_rows.history_row, items), items, about, f"figure-{figure_id}-history")


def spread(reader: Any, state: State, figure_id: str, *, include_protected: bool, as_of: Any = None,
           published_by: Any = None) -> Made:
    """Each source's latest claim on a figure."""
    answered = reader.spread(figure_id, as_of=as_of, include_protected=include_protected, published_by=published_by)
    about = state(figure_id=figure_id, as_of=as_of, published_by=published_by)
    columns = export_rows.spread_columns(*export_rows.counted_of(answered["current"]))
    return Made(columns, export_rows.spread_rows(answered), answered["claims"], about, f"figure-{figure_id}-spread")


def tally(reader: Any, state: State, metric: str, *, include_protected: bool, **asked: Any) -> Made:
    """A tally: its sum, then a row per group of ``by`` (the rows are the NDJSON lines too)."""
    flat = list(export_rows.tally_rows(reader.tally(metric, include_protected=include_protected, **asked)))
    return Made(export_rows.tally_columns(metric, asked.get("population")), flat, flat,
                state(metric=metric, **asked), f"tally-{metric}")


def tally_history(reader: Any, state: State, metric: str, *, include_protected: bool, **asked: Any) -> Made:
    """How a tally moved: a row per point, from ``cursor`` on."""
    flat = list(export_rows.history_rows(reader.tally_history(metric, include_protected=include_protected, **asked)))
    if asked.get("order") == "recorded":  # the default is not stated, as a figure's history does not
        asked = {**asked, "order": None}
    return Made(export_rows.history_columns(metric, asked.get("population")), flat, flat,
                state(metric=metric, **asked), f"tally-{metric}-history")


def tally_months(reader: Any, state: State, metric: str, *, include_protected: bool, as_of: Any = None,
                 months_from: str | None = None, months_to: str | None = None, population: str | None = None,
                 published_by: Any = None) -> Made:
    """A tally month by month of valid time (api/months.py chooses the months): a row per month."""
    counted = WHOLE_POPULATION if population is None else population
    found = monthly_rows(reader, metric, as_of, include_protected, months_from, months_to, counted, published_by)
    echo = {"metric": metric, "population": counted, "by": None, "value": None, "place": None,
            "as_of": None if as_of is None else as_of.isoformat(),
            "published_by": iso_published_by(check_published_by(published_by))}  # the same on every row
    flat = [{**echo, "low": r["low"], "high": r["high"], "kind": r["kind"], "figures": r["figures"],
             "valid_from": r["valid_from"], "valid_to": r["valid_to"],
             **{f"within_month_{k}": r["within_month"][k] for k in ("low", "high", "kind", "figures")}} for r in found]
    about = state(metric=metric, by_month=True, as_of=as_of, population=population, published_by=published_by,
                  months_from=months_from, months_to=months_to)
    lines = [{"metric": metric, "population": counted, **r} for r in found]
    return Made(export_rows.month_columns(metric, counted), flat, lines, about, f"tally-{metric}-by-month")


def checks(reader: Any, state: State, *, include_protected: bool, found: list[dict[str, Any]] | None = None,
           **asked: Any) -> Made:
    """The breakdown checks, a row per total and dimension (``found``: a page of them, already read)."""
    if found is None:
        found = reader.breakdown_checks(include_protected=include_protected, **asked)
    about = state(**{**asked, "totals_only": asked.get("totals_only") or None})
    return Made(export_rows.check_columns(asked.get("metric")), map(export_rows.check_row, found), found, about,
                "checks")


def audit_log(entries: Callable[[str | None, int], dict[str, Any]], size: int, about: dict[str, Any], *,
              newest_first: bool = False) -> Made:
    """The audit log (auditors only) below tree size ``size``: the tree as the export began."""
    items = export_rows.audit_entries(entries, size, newest_first=newest_first)
    return Made(export_rows.AUDIT_COLUMNS, map(export_rows.audit_row, items), items, about, "audit-log")
