"""Queries over the projections: tallies, breakdown checks, spreads, histories, as-of reads, listings.

Every role may ask; the projections withhold protected sources from all but auditors
(``include_protected``). Before answering, the log's head and the views' position are read
in one statement; only views found behind are brought up to date (one request at a time),
so a query sees every command answered before it, whichever process answered that. Tallies and
a figure's history pages are answered from rendered bytes kept while the head stays put (api/answers.py).
Times in ``as_of`` are recording time (ISO 8601 with a zone, e.g. 2019-05-01T10:00:00Z);
``valid_from``/``valid_to`` are valid time (dates): an incident counts where its period
overlaps the window.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BeforeValidator

from api.answers import ETAG_HELP, answer, answer_bytes
from api.deps import Caller, IfNoneMatch, Now
from api.exports import rows as export_rows
from api.exports.about import stated
from api.exports import kinds
from api.exports.negotiate import Accept, Format, choose, documented, export, give
from api.models import Dimension, Metric, Population, text
from api.problems import invalid, responses
from api.months import MONTH_PATTERN, monthly_rows
from api.query_models import (
    BreakdownCheck,
    CitationEntry,
    FigureHistory,
    FigureState,
    IncidentEntry,
    ReportEntry,
    SourceEntry,
    Spread,
    TallyMonthsOut,
    TallyBySource,
    TallyHistory,
    TallyOut,
    page,
)
from api.routers._shared import AsOf, PublishedBy, Reader
from projections.publication import check_published_by, iso_published_by
from ledger import limits
from ledger.vocabulary import WHOLE_POPULATION

router = APIRouter(tags=["queries"])


def _iso_day(value: Any) -> Any:
    if isinstance(value, str) and not _DAY.match(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

ValidFrom = Annotated[date | None, BeforeValidator(_iso_day),
                      Query(description="Valid-time window start (YYYY-MM-DD).")]
ValidTo = Annotated[date | None, BeforeValidator(_iso_day), Query(description="Valid-time window end (YYYY-MM-DD).")]
Place = Annotated[text(limits.MAX_FILTER) | None, Query(description="Only incidents whose places include it (case-blind).")]
By = Annotated[Dimension | None, Query(description="Sum per value of this breakdown dimension.")]
MonthOf = Annotated[str | None, Query(pattern=f"^{MONTH_PATTERN}$",
                                      description="A month of valid time, YYYY-MM.")]
Counts = Annotated[Population | None, Query(
    alias="population", description="The population counted (docs/model.md): `counted`, the whole, by default; a"
                                    " subset such as `identified` is counted on its own, never added to the whole.")]
Of = Annotated[Population | None, Query(alias="population", description="Only figures (or checks) of this population.")]
Cursor = Annotated[str | None, Query(max_length=limits.MAX_CURSOR, description="`next_cursor` of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE, description="Items per page.")]
_PART = f"{limits.CODE_PATTERN.strip('^$')}:[^,]+"  # a dimension (a term) and a value in any script
BreakdownParts = Annotated[text(limits.MAX_FILTER) | None, Query(
    alias="breakdown", json_schema_extra={"pattern": f"^{_PART}(,{_PART})*$"},
    description="The breakdown as `dimension:value`, e.g. `perpetrator:russian-forces` or `place:معرة النعمان`;"
                " several dimensions joined"
                " by commas (`perpetrator:russian-forces,victim_group:children`). Without it: the incidents' totals.")]


def _breakdown(asked: str | None) -> dict[str, str]:
    breakdown: dict[str, str] = {}
    for part in (asked or "").split(",") if asked else ():
        dimension, colon, value = part.strip().partition(":")
        if not colon or not dimension or not value:
            raise invalid(f"{part!r} is not dimension:value, e.g. perpetrator:russian-forces", field="breakdown")
        if dimension in breakdown:
            raise invalid(f"dimension {dimension!r} is given twice", field="breakdown")
        breakdown[dimension] = value
    return breakdown


def _v(value: Any) -> Any:
    return getattr(value, "value", value)


def _errors(*extra: int) -> dict[int | str, dict[str, Any]]:
    return responses(401, 422, 503, *extra)


HistoryOrder = Annotated[str, Query(pattern="^(recorded|published)$", description=(
    "`recorded` (the default): in the order the ledger recorded them; `published`: by the publication time of"
    " each word (a report's date, else its filing; the ledger's own acts by their recording), docs/model.md."))]
FigureIds = Annotated[bool, Query(description=(
    "Also list the ids of the figures each sum is made of (and the incidents counted from their parts,"
    " `from_parts`). Off by default: without it, and without a window or a place, the sums come from the"
    " running tallies at a constant cost; the lists grow with the ledger."))]




def _exported(*errors: int, kept: bool = True) -> dict[int | str, dict[str, Any]]:
    """The responses of a route that also exports; ``kept``: its JSON answer is kept (ETag, 304)."""
    documented_ = documented()
    base = _answered(*errors) if kept else _errors(*errors)
    return {**base, **documented_, 200: {**base.get(200, {}), **documented_[200],
                                         "headers": {**base.get(200, {}).get("headers", {}),
                                                     **documented_[200]["headers"]}}}


async def _tally_export(request: Request, fmt: str, now: Any, make: Any, reader: Any, caller: Any, metric: str,
                        **asked: Any) -> Any:
    """A tally or its history as a file: one reading, flattened once, stated with what was asked."""
    return give(fmt, await run_in_threadpool(lambda: make(
        reader, _state(request, now), metric, include_protected=caller.sees_protected, **asked)))


def _about(request: Request, now: Any, **asked: Any) -> dict[str, Any]:
    """Where the export was made: the log's head the views were brought to, and the tree's size there."""
    return stated(now.head, getattr(request.app.state, "audit", None), **asked)


def _state(request: Request, now: Any) -> Any:
    return functools.partial(_about, request, now)


def _answered(*errors: int) -> dict[int | str, dict[str, Any]]:
    headers = {"ETag": {"description": ETAG_HELP, "schema": {"type": "string"}}}
    return {200: {"headers": headers}, 304: {"description": "Not modified: nothing was recorded since.",
                                             "headers": headers}, **_errors(*errors)}


@router.get("/tallies/{metric}", response_model=TallyOut, responses=_exported(), summary="Tally a metric")
async def tally(request: Request, metric: Metric, reader: Reader, caller: Caller, now: Now, by: By = None,
                as_of: AsOf = None, valid_from: ValidFrom = None, valid_to: ValidTo = None, place: Place = None,
                figure_ids: FigureIds = False, population: Counts = None, if_none_match: IfNoneMatch = None,
                format_: Format = None, accept: Accept = None, published_by: PublishedBy = None) -> Any:
    """A metric summed across incidents (retracted figures left out), optionally split `by` a dimension.

    Also as a spreadsheet: `?format=` or `Accept` (text/csv, XLSX, application/x-ndjson); a row for
    the sum, then one per group."""
    fmt = choose(format_, accept)
    if fmt != "json":
        return await _tally_export(request, fmt, now, kinds.tally, reader, caller, _v(metric), by=_v(by), as_of=as_of,
                                   valid_from=valid_from, valid_to=valid_to, place=place, population=_v(population),
                                   published_by=published_by)
    return await answer(request, now, caller, TallyOut, lambda: reader.tally(
        _v(metric), by=_v(by), as_of=as_of, valid_from=valid_from, valid_to=valid_to, place=place,
        figure_ids=figure_ids, population=_v(population), include_protected=caller.sees_protected,
        published_by=published_by), if_none_match)


@router.get("/tallies/{metric}/history", response_model=TallyHistory, responses=_exported(),
            summary="How a tally moved")
async def tally_history(request: Request, metric: Metric, reader: Reader, caller: Caller, now: Now, by: By = None,
                        as_of: AsOf = None, valid_from: ValidFrom = None, valid_to: ValidTo = None,
                        place: Place = None, cursor: Cursor = None, population: Counts = None,
                        limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE, description="Points per page.")] = 100,
                        if_none_match: IfNoneMatch = None, format_: Format = None, accept: Accept = None,
                        published_by: PublishedBy = None, order: HistoryOrder = "recorded") -> Any:
    """One point per moment the tally changed, with the figure changes that moved it, oldest first,
    a page at a time: pass `next_cursor` back as `cursor` for the next page.

    Also as a spreadsheet (`?format=` or `Accept`), a row per point: every point from `cursor` on."""
    fmt = choose(format_, accept)
    if fmt != "json":
        return await _tally_export(request, fmt, now, kinds.tally_history, reader, caller, _v(metric),
                                   by=_v(by), as_of=as_of, valid_from=valid_from,
                                   valid_to=valid_to, place=place, cursor=cursor, population=_v(population),
                                   published_by=published_by, order=order)
    return await answer(request, now, caller, TallyHistory, lambda: reader.tally_history(
        _v(metric), by=_v(by), as_of=as_of, valid_from=valid_from, valid_to=valid_to, place=place,
        cursor=cursor, limit=limit, population=_v(population), include_protected=caller.sees_protected,
        published_by=published_by, order=order), if_none_match)


@router.get("/tallies/{metric}/months", response_model=TallyMonthsOut, responses=_exported(),
            summary="A tally month by month of valid time")
async def tally_months(request: Request, metric: Metric, reader: Reader, caller: Caller, now: Now,
                       as_of: AsOf = None, months_from: MonthOf = None, months_to: MonthOf = None,
                       population: Counts = None, if_none_match: IfNoneMatch = None, format_: Format = None,
                       accept: Accept = None, published_by: PublishedBy = None) -> Any:
    """The metric's tally for each month from `months_from` to `months_to` (YYYY-MM; default the
    latest 12 months the incidents cover; at most 120), each month as the tally with that month as
    its window: an incident counts in every month its period overlaps, a month with no figure is
    `no_data`.

    Also as a spreadsheet (`?format=` or `Accept`), a row per month."""
    fmt = choose(format_, accept)
    asked = {"as_of": as_of, "months_from": months_from, "months_to": months_to, "population": _v(population),
             "published_by": published_by}
    if fmt != "json":
        return await _tally_export(request, fmt, now, kinds.tally_months, reader, caller, _v(metric), **asked)

    def compute() -> dict[str, Any]:
        counted = _v(population) or WHOLE_POPULATION
        months = monthly_rows(reader, _v(metric), as_of, caller.sees_protected, months_from, months_to, counted,
                              published_by)
        return {"metric": _v(metric), "population": counted, "as_of": as_of,
                "published_by": iso_published_by(check_published_by(published_by)), "months": months}
    return await answer(request, now, caller, TallyMonthsOut, compute, if_none_match)


@router.get("/tallies/{metric}/by-source", response_model=TallyBySource, responses=_answered(),
            summary="Tally a metric source by source")
async def tally_by_source(request: Request, metric: Metric, reader: Reader, caller: Caller, now: Now,
                          breakdown: BreakdownParts = None, as_of: AsOf = None, valid_from: ValidFrom = None,
                          valid_to: ValidTo = None, place: Place = None, population: Counts = None,
                          if_none_match: IfNoneMatch = None, published_by: PublishedBy = None) -> Any:
    """What each source's own latest claims add up to, beside the ledger's tally: one sum per source.

    A claim the ledger superseded still counts here (the source said it; `superseded` says how
    many did); retracted figures are left out. A protected source is listed as `"protected"`."""
    parts = _breakdown(breakdown)
    return await answer(request, now, caller, TallyBySource, lambda: reader.tally_by_source(
        _v(metric), breakdown=parts, as_of=as_of, valid_from=valid_from, valid_to=valid_to, place=place,
        population=_v(population), include_protected=caller.sees_protected, published_by=published_by), if_none_match)


#: Incidents on a page of checks when only a cursor is given.
CHECKS_PAGE = 50


@router.get("/checks", response_model=list[BreakdownCheck] | page(BreakdownCheck), responses=_exported(kept=False),
            summary="Do the parts add up")
def breakdown_checks(
    request: Request, reader: Reader, caller: Caller, now: Now, metric: Annotated[Metric | None, Query()] = None,
    incident_id: Annotated[UUID | None, Query()] = None,
    dimension: Annotated[Dimension | None, Query()] = None, totals_only: bool = False, as_of: AsOf = None,
    valid_from: ValidFrom = None, valid_to: ValidTo = None, place: Place = None, population: Of = None,
    format_: Format = None, accept: Accept = None, published_by: PublishedBy = None, cursor: Cursor = None,
    limit: Annotated[int | None, Query(ge=1, le=limits.MAX_PAGE_SIZE, description=(
        "Incidents per page: the checks of that many incidents, as `{items, next_cursor}`."))] = None,
) -> Any:
    """Each total against the sum of its parts along each dimension (of the same population), and
    each subset population against its whole: complete, remainder, parts_exceed_low or inconsistent.

    Without `limit` or `cursor`, every check at once (a list). With them, a page of incidents' checks
    (incidents in id order, each one's checks in the list's order, an incident never split) as
    `{items, next_cursor}`: pass `next_cursor` back as `cursor` for the next page.

    Also as a spreadsheet (`?format=` or `Accept`), a row per total and dimension (of the page, if paged)."""
    fmt = choose(format_, accept)
    asked = {"metric": _v(metric), "incident_id": None if incident_id is None else str(incident_id),
             "dimension": _v(dimension), "totals_only": totals_only, "as_of": as_of, "valid_from": valid_from,
             "valid_to": valid_to, "place": place, "population": _v(population), "published_by": published_by}
    sees = caller.sees_protected
    paged = None if limit is None and cursor is None else reader.breakdown_checks_page(
        cursor=cursor, limit=limit or CHECKS_PAGE, include_protected=sees, **asked)
    if fmt == "json":
        return reader.breakdown_checks(include_protected=sees, **asked) if paged is None else paged
    return give(fmt, kinds.checks(reader, _state(request, now), include_protected=sees,
                                  found=None if paged is None else paged["items"], **asked))


@router.get("/figures", response_model=page(FigureState), responses=_exported(kept=False), summary="List figures")
def list_figures(
    request: Request, reader: Reader, caller: Caller, now: Now, incident_id: Annotated[UUID | None, Query()] = None,
    metric: Annotated[Metric | None, Query()] = None, dimension: Annotated[Dimension | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(active|retracted)$")] = None, as_of: AsOf = None,
    valid_from: ValidFrom = None, valid_to: ValidTo = None, place: Place = None, cursor: Cursor = None,
    limit: Limit = 50, population: Of = None, format_: Format = None, accept: Accept = None,
    published_by: PublishedBy = None,
) -> Any:
    """Figures as of a moment, in id order, a page at a time.

    Also every figure at once (from `cursor` on; `limit` is then the size of the pages read)
    as a spreadsheet: `?format=` or `Accept` (text/csv, XLSX, application/x-ndjson). Its pages
    are all read as of the moment it began (stated as `as_of`): one consistent cut."""
    fmt = choose(format_, accept)

    def figures(after: str | None, size: int, at: Any = as_of) -> dict[str, Any]:
        return reader.figures(
            incident_id=None if incident_id is None else str(incident_id), metric=_v(metric),
            dimension=_v(dimension), status=status, as_of=at, valid_from=valid_from, valid_to=valid_to,
            place=place, cursor=after, limit=size, population=_v(population),
            include_protected=caller.sees_protected, published_by=published_by)

    if fmt == "json":
        return figures(cursor, limit)
    return give(fmt, kinds.figures(
        reader, _state(request, now), include_protected=caller.sees_protected, as_of=as_of, cursor=cursor,
        incident_id=None if incident_id is None else str(incident_id), metric=_v(metric), dimension=_v(dimension),
        status=status, valid_from=valid_from, valid_to=valid_to, place=place, population=_v(population),
        published_by=published_by))


@router.get("/figures/{figure_id}/history", response_model=FigureHistory, responses=_exported(404),
            summary="Every state of a figure")
async def figure_history(request: Request, figure_id: UUID, reader: Reader, caller: Caller, now: Now,
                         as_of: AsOf = None, cursor: Cursor = None,
                         limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE,
                                                     description="Versions per page.")] = 100,
                         if_none_match: IfNoneMatch = None, format_: Format = None, accept: Accept = None,
                         published_by: PublishedBy = None, order: HistoryOrder = "recorded") -> Any:
    """Every version of the figure, oldest first, a page at a time: who changed what, why, and the
    citations live then. Pass `next_cursor` back as `cursor` for the next page. The page's
    citations are listed once, in `citations`; each version names those live on it by their
    position there.

    A correction's evidence that is a protected source's citation reads `"protected"` to anyone
    but an auditor.

    Under `published_by`, the versions that count by then, each with the figure's value, status
    and grade as the cut has them after it (`GET /figures/{id}?published_by=&as_of=` its `recorded_at`).

    Also every version at once (from `cursor` on) as a spreadsheet: `?format=` or `Accept`, a row
    per version with the number of citations live on it, all read as of the moment the export
    began (stated as `as_of`).
    """
    fmt = choose(format_, accept)
    fid = str(figure_id)

    if fmt == "json":
        # Sent as the reads render it: the model's validation and dump took 12 ms of a ~700 KB
        # page (orjson: 0.3 ms), and give the same bytes (tests/e2e/test_queries.py holds them to it).
        # Each citation once, versions naming theirs by position: a hot figure's page repeated
        # every live citation in every version (100k events: 645 KB a page at the median, 98 KB so).
        # Kept while the log stands still, as the tallies are: asked again, it is sent from memory
        # before routing (api/answers.py), ~3 ms of the ~6.6 a page read and sent took over HTTP.
        return await answer_bytes(request, now, caller, lambda: orjson.dumps(reader.figure_history(
            fid, as_of=as_of, cursor=cursor, limit=limit, citation_index=True,
            include_protected=caller.sees_protected, published_by=published_by, order=order)), if_none_match)
    return await run_in_threadpool(lambda: give(fmt, kinds.figure_history(
        reader, _state(request, now), fid, include_protected=caller.sees_protected, as_of=as_of, cursor=cursor,
        published_by=published_by, order=order)))


@router.get("/figures/{figure_id}/spread", response_model=Spread, responses=_exported(404, kept=False),
            summary="What each source claims")
def spread(request: Request, figure_id: UUID, reader: Reader, caller: Caller, now: Now, as_of: AsOf = None,
           format_: Format = None, accept: Accept = None, published_by: PublishedBy = None) -> Any:
    """Each source's latest claim on the figure, the range across them, and the ledger's value.

    Also as a spreadsheet (`?format=` or `Accept`), a row per source's latest claim."""
    fmt = choose(format_, accept)
    if fmt == "json":
        return reader.spread(str(figure_id), as_of=as_of, include_protected=caller.sees_protected,
                             published_by=published_by)
    return give(fmt, kinds.spread(reader, _state(request, now), str(figure_id), include_protected=caller.sees_protected,
                                  as_of=as_of, published_by=published_by))


def _citations(request: Request, now: Any, reader: Any, caller: Any, fmt: str, kind: str, target_id: str,
               as_of: Any, include_withdrawn: bool) -> Any:
    """A figure's or a report's citations, as JSON or as a file of a row each (the reader's answer,
    already redacted: a protected source's citation reads ``protected``)."""
    cited = reader.citations(target_id, as_of=as_of, include_withdrawn=include_withdrawn,
                             include_protected=caller.sees_protected)
    if fmt == "json":
        return cited
    about = _about(request, now, target_id=target_id, as_of=as_of, include_withdrawn=include_withdrawn)
    return export(fmt, export_rows.CITATION_COLUMNS, map(export_rows.citation_row, cited), cited, about,
                  f"{kind}-{target_id}-citations")


@router.get("/figures/{figure_id}/citations", response_model=list[CitationEntry],
            responses=_exported(404, kept=False), summary="A figure's citations")
def figure_citations(request: Request, figure_id: UUID, reader: Reader, caller: Caller, now: Now,
                     as_of: AsOf = None, include_withdrawn: bool = True, format_: Format = None,
                     accept: Accept = None) -> Any:
    """The citations of the figure as of a moment, oldest first (withdrawn ones marked).

    Also as a spreadsheet (`?format=` or `Accept`), a row per citation."""
    fmt = choose(format_, accept)
    # 404 only for an id never recorded: as of a time before the figure was, its citations were none yet.
    reader.figure(str(figure_id), include_protected=caller.sees_protected)
    return _citations(request, now, reader, caller, fmt, "figure", str(figure_id), as_of, include_withdrawn)


@router.get("/reports/{report_id}/citations", response_model=list[CitationEntry],
            responses=_exported(404, kept=False), summary="A report's citations")
def report_citations(request: Request, report_id: UUID, reader: Reader, caller: Caller, now: Now,
                     as_of: AsOf = None, include_withdrawn: bool = True, format_: Format = None,
                     accept: Accept = None) -> Any:
    """The citations of the report, oldest first. A protected source's report answers 404 to anyone
    but an auditor, exactly as an unknown one.

    Also as a spreadsheet (`?format=` or `Accept`), a row per citation."""
    fmt = choose(format_, accept)
    # 404 for an id never recorded or hidden, the same bytes either way; before the report was filed: none yet.
    reader.report(str(report_id), include_protected=caller.sees_protected)
    return _citations(request, now, reader, caller, fmt, "report", str(report_id), as_of, include_withdrawn)


def report_figures(reader: Any, record: dict[str, Any], as_of: Any, include_protected: bool,
                   published_by: Any = None) -> list[dict[str, Any]]:
    """The figures the report ``record`` states, each as it stood at ``as_of`` (cut at
    ``published_by``; the report page's table too)."""
    return reader.figures_of(record["figure_ids"], as_of=as_of, include_protected=include_protected,
                             published_by=published_by)


@router.get("/reports/{report_id}/figures", response_model=list[FigureState],
            responses=_exported(404, kept=False), summary="The figures a report states")
def list_report_figures(request: Request, report_id: UUID, reader: Reader, caller: Caller, now: Now,
                        as_of: AsOf = None, format_: Format = None, accept: Accept = None,
                        published_by: PublishedBy = None) -> Any:
    """Each figure the report states, as it stands (or stood at `as_of`): its current value, which
    may be another source's claim or a correction since.

    Also as a spreadsheet (`?format=` or `Accept`), a row per figure, as `GET /figures` gives them."""
    fmt = choose(format_, accept)
    # A protected source's report is 404 to anyone but an auditor, exactly as an unknown one.
    record = reader.report(str(report_id), as_of=as_of, include_protected=caller.sees_protected)
    figures = report_figures(reader, record, as_of, caller.sees_protected, published_by)
    if fmt == "json":
        return figures
    return give(fmt, kinds.report_figures(reader, _state(request, now), str(report_id), figures, as_of=as_of,
                                          published_by=published_by))


def _listing_export(request: Request, now: Any, fmt: str, kind: str, reader: Any, caller: Any, cursor: str | None,
                    as_of: Any, **asked: Any) -> Any:
    """Every item of a listing from ``cursor`` on, its pages all read as of the moment the export began."""
    return give(fmt, kinds.listing(kind, reader, _state(request, now), include_protected=caller.sees_protected,
                                   as_of=as_of, cursor=cursor, **asked))


@router.get("/incidents", response_model=page(IncidentEntry), responses=_exported(kept=False),
            summary="List incidents")
def list_incidents(request: Request, reader: Reader, caller: Caller, now: Now, as_of: AsOf = None,
                   valid_from: ValidFrom = None, valid_to: ValidTo = None, place: Place = None,
                   cursor: Cursor = None, limit: Limit = 50, format_: Format = None, accept: Accept = None) -> Any:
    """Incidents as of a moment (with their period as recorded then), in id order.

    Also every incident at once (from `cursor` on) as a spreadsheet: `?format=` or `Accept`,
    all read as of the moment the export began (stated as `as_of`)."""
    fmt = choose(format_, accept)

    def incidents(after: str | None, size: int, at: Any = as_of) -> dict[str, Any]:
        return reader.incidents(as_of=at, valid_from=valid_from, valid_to=valid_to, place=place, cursor=after,
                                limit=size, include_protected=caller.sees_protected)

    if fmt == "json":
        return incidents(cursor, limit)
    return _listing_export(request, now, fmt, "incidents", reader, caller, cursor, as_of, valid_from=valid_from,
                           valid_to=valid_to, place=place)


@router.get("/sources", response_model=page(SourceEntry), responses=_exported(kept=False), summary="List sources")
def list_sources(request: Request, reader: Reader, caller: Caller, now: Now, as_of: AsOf = None,
                 cursor: Cursor = None, limit: Limit = 50, format_: Format = None, accept: Accept = None) -> Any:
    """Sources registered by a moment, in id order; protected ones for auditors only.

    Also every source at once (from `cursor` on) as a spreadsheet: `?format=` or `Accept`."""
    fmt = choose(format_, accept)

    def sources(after: str | None, size: int, at: Any = as_of) -> dict[str, Any]:
        return reader.sources(as_of=at, cursor=after, limit=size, include_protected=caller.sees_protected)

    if fmt == "json":
        return sources(cursor, limit)
    return _listing_export(request, now, fmt, "sources", reader, caller, cursor, as_of)


@router.get("/reports", response_model=page(ReportEntry), responses=_exported(kept=False), summary="List reports")
def list_reports(request: Request, reader: Reader, caller: Caller, now: Now,
                 source_id: Annotated[UUID | None, Query()] = None, as_of: AsOf = None, cursor: Cursor = None,
                 limit: Limit = 50, format_: Format = None, accept: Accept = None,
                 published_by: PublishedBy = None) -> Any:
    """Reports filed by a moment (and published by `published_by`), in id order; a protected
    source's reports for auditors only.

    Also every report at once (from `cursor` on) as a spreadsheet: `?format=` or `Accept`."""
    fmt = choose(format_, accept)
    source = None if source_id is None else str(source_id)

    def reports(after: str | None, size: int, at: Any = as_of) -> dict[str, Any]:
        return reader.reports(source_id=source, as_of=at, cursor=after, limit=size,
                              include_protected=caller.sees_protected, published_by=published_by)

    if fmt == "json":
        return reports(cursor, limit)
    return _listing_export(request, now, fmt, "reports", reader, caller, cursor, as_of, source_id=source,
                           published_by=published_by)
