"""The download links under the pages' tables: each is the API's export of the same reading.

A browser signed in with a session cannot send the Bearer key the API's routes ask for, so
each link here hands the signed-in caller to the export route itself (``api/routers/queries.py``,
``api/routers/audit.py`` for the audit log and the checkpoints, auditors only as their page is):
the same rows, the same writers (``api/exports/``), the same redaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import Now, may_read_audit_trail
from api.models import Metric
from api.routers import audit as audit_routes
from api.routers import queries
from api.routers._shared import Reader
from api.web.audit_pages import Kind
from api.web.pages import AsOf, Counted, Month, Signed, Words, moment
from api.web.render import PREFIX, kept_cut, published_of
from ledger import limits

router = APIRouter(include_in_schema=False, dependencies=[Depends(kept_cut)])

#: The formats the pages offer (the API gives more: ndjson, json); hxl is CSV with HXL's hashtag row.
Format = Annotated[Literal["csv", "hxl", "xlsx"], Query(alias="format")]
Moment = Annotated[str | None, Query(max_length=limits.MAX_MOMENT)]


@router.get(PREFIX + "/tallies/{metric}/download")
async def tally(request: Request, metric: Metric, reader: Reader, session: Signed, now: Now, format_: Format,
                as_of: AsOf = None, population: Counted = None) -> Any:
    return await queries.tally(request, metric, reader, session.caller, now, as_of=moment(as_of), by=None,
                               valid_from=None, valid_to=None, place=None, figure_ids=False, if_none_match=None,
                               format_=format_, accept=None, population=population,
                               published_by=published_of(request))


@router.get(PREFIX + "/tallies/{metric}/history/download")
async def tally_history(request: Request, metric: Metric, reader: Reader, session: Signed, now: Now,
                        format_: Format, as_of: AsOf = None, population: Counted = None) -> Any:
    return await queries.tally_history(request, metric, reader, session.caller, now, as_of=moment(as_of), by=None,
                                       valid_from=None, valid_to=None, place=None, if_none_match=None,
                                       format_=format_, accept=None, population=population,
                                       published_by=published_of(request))


@router.get(PREFIX + "/tallies/{metric}/months/download")
async def months(request: Request, metric: Metric, reader: Reader, session: Signed, now: Now, format_: Format,
                 as_of: AsOf = None, months_from: Month = None, months_to: Month = None,
                 population: Counted = None) -> Any:
    return await queries.tally_months(request, metric, reader, session.caller, now, as_of=moment(as_of),
                                      months_from=months_from, months_to=months_to, population=population,
                                      if_none_match=None, format_=format_, accept=None,
                                      published_by=published_of(request))


@router.get(PREFIX + "/figures/download")
def figures(request: Request, reader: Reader, session: Signed, now: Now, format_: Format, as_of: AsOf = None,
            incident_id: Annotated[UUID | None, Query()] = None) -> Any:
    return queries.list_figures(request, reader, session.caller, now, incident_id=incident_id, metric=None,
                                dimension=None, status=None, as_of=moment(as_of), valid_from=None, valid_to=None,
                                place=None, cursor=None, limit=50, format_=format_, accept=None,
                                published_by=published_of(request))


@router.get(PREFIX + "/figures/{figure_id}/history/download")
async def figure_history(request: Request, figure_id: UUID, reader: Reader, session: Signed, now: Now,
                         format_: Format, as_of: AsOf = None) -> Any:
    """Every version of the figure, a row each, as the API's history export gives them."""
    return await queries.figure_history(request, figure_id, reader, session.caller, now, as_of=moment(as_of),
                                        cursor=None, limit=100, format_=format_, accept=None,
                                        published_by=published_of(request))


@router.get(PREFIX + "/figures/{figure_id}/spread/download")
def spread(request: Request, figure_id: UUID, reader: Reader, session: Signed, now: Now, format_: Format,
           as_of: AsOf = None) -> Any:
    """Each source's latest claim on the figure, a row each."""
    return queries.spread(request, figure_id, reader, session.caller, now, as_of=moment(as_of), format_=format_,
                          accept=None, published_by=published_of(request))


@router.get(PREFIX + "/checks/download")
def checks(request: Request, reader: Reader, session: Signed, now: Now, format_: Format, as_of: AsOf = None,
           metric: Annotated[Metric | None, Query()] = None,
           incident_id: Annotated[UUID | None, Query()] = None) -> Any:
    return queries.breakdown_checks(request, reader, session.caller, now, metric=metric, incident_id=incident_id,
                                    dimension=None, totals_only=False, as_of=moment(as_of), valid_from=None,
                                    valid_to=None, place=None, format_=format_, accept=None,
                                    published_by=published_of(request))


@router.get(PREFIX + "/incidents/download")
def incidents(request: Request, reader: Reader, session: Signed, now: Now, format_: Format,
              as_of: AsOf = None) -> Any:
    return queries.list_incidents(request, reader, session.caller, now, as_of=moment(as_of), valid_from=None,
                                  valid_to=None, place=None, cursor=None, limit=50, format_=format_, accept=None)


@router.get(PREFIX + "/sources/download")
def sources(request: Request, reader: Reader, session: Signed, now: Now, format_: Format, as_of: AsOf = None) -> Any:
    return queries.list_sources(request, reader, session.caller, now, as_of=moment(as_of), cursor=None, limit=50,
                                format_=format_, accept=None)


@router.get(PREFIX + "/reports/{report_id}/figures/download")
def report_figures(request: Request, report_id: UUID, reader: Reader, session: Signed, now: Now, format_: Format,
                   as_of: AsOf = None) -> Any:
    return queries.list_report_figures(request, report_id, reader, session.caller, now, as_of=moment(as_of),
                                       format_=format_, accept=None, published_by=published_of(request))


@router.get(PREFIX + "/reports/{report_id}/citations/download")
def report_citations(request: Request, report_id: UUID, reader: Reader, session: Signed, now: Now, format_: Format,
                     as_of: AsOf = None) -> Any:
    return queries.report_citations(request, report_id, reader, session.caller, now, as_of=moment(as_of),
                                    include_withdrawn=True, format_=format_, accept=None)


@router.get(PREFIX + "/sources/{source_id}/reports/download")
def source_reports(request: Request, source_id: UUID, reader: Reader, session: Signed, now: Now, format_: Format,
                   as_of: AsOf = None) -> Any:
    """The source's reports, as GET /reports?source_id= gives them (every one, not the page's first)."""
    return queries.list_reports(request, reader, session.caller, now, source_id=source_id, as_of=moment(as_of),
                                cursor=None, limit=50, format_=format_, accept=None, published_by=published_of(request))


@router.get(PREFIX + "/audit/checkpoints/download")
async def checkpoints(session: Signed, trail: audit_routes.Trail, format_: Format) -> Any:
    """Every signed checkpoint (the page shows the latest 20). Auditors only, as the page."""
    await may_read_audit_trail(session.caller)
    return await run_in_threadpool(audit_routes.checkpoints, trail, format_=format_, accept=None)


@router.get(PREFIX + "/audit/download")
async def audit_log(session: Signed, trail: audit_routes.Trail, format_: Format,
                    actor: Words = None,
                    figure_id: Annotated[UUID | None, Query()] = None,
                    incident_id: Annotated[UUID | None, Query()] = None, kind: Kind = None, since: Moment = None,
                    until: Moment = None, order: Annotated[audit_routes.Order, Query()] = "oldest") -> Any:
    """The audit log with the page's filters and order, every event of them. Auditors only, as the API's /audit/log."""
    await may_read_audit_trail(session.caller)
    return await run_in_threadpool(
        audit_routes.audit_log, trail, session.caller, actor=actor or None, figure_id=figure_id,
        incident_id=incident_id, kind=kind or None, since=moment(since, "since"), until=moment(until, "until"),
        cursor=None, limit=100, order=order, format_=format_, accept=None)
