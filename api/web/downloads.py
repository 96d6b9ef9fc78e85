"""The download links under the pages' tables: each is the API's export of the same reading.

A browser signed in with a session cannot send the Bearer key the API's routes ask for, so
each link here hands the signed-in caller to the export route itself (``api/routers/queries.py``):
the same rows, the same writers (``api/exports/``), the same redaction. The counts by month,
which the API has no route for, are the API's windowed tally a month at a time, written by the
same export step with the tally's columns.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import Now
from api.exports import rows as export_rows
from api.exports.negotiate import export
from api.models import Metric
from api.routers import queries
from api.routers._shared import Reader
from api.web.pages import AsOf, Month, Signed, moment, monthly_rows
from api.web.render import PREFIX

router = APIRouter(include_in_schema=False)

#: The formats the pages offer (the API gives more: hxl, ndjson, json).
Format = Annotated[Literal["csv", "xlsx"], Query(alias="format")]


@router.get(PREFIX + "/tallies/{metric}/download")
async def tally(request: Request, metric: Metric, reader: Reader, session: Signed, now: Now, format_: Format,
                as_of: AsOf = None) -> Any:
    return await queries.tally(request, metric, reader, session.caller, now, as_of=moment(as_of), by=None,
                               valid_from=None, valid_to=None, place=None, figure_ids=False, if_none_match=None,
                               format_=format_, accept=None)


@router.get(PREFIX + "/tallies/{metric}/history/download")
async def tally_history(request: Request, metric: Metric, reader: Reader, session: Signed, now: Now,
                        format_: Format, as_of: AsOf = None) -> Any:
    return await queries.tally_history(request, metric, reader, session.caller, now, as_of=moment(as_of), by=None,
                                       valid_from=None, valid_to=None, place=None, if_none_match=None,
                                       format_=format_, accept=None)


@router.get(PREFIX + "/tallies/{metric}/months/download")
async def months(metric: Metric, reader: Reader, session: Signed, now: Now, format_: Format, as_of: AsOf = None,
                 months_from: Month = None, months_to: Month = None) -> Any:
    at = moment(as_of)
    rows = await run_in_threadpool(monthly_rows, reader, metric.value, at, session.caller.sees_protected,
                                   months_from, months_to)
    flat = [{"metric": metric.value, "by": None, "value": None, "low": r["low"], "high": r["high"], "kind": r["kind"],
             "figures": r["figures"], "valid_from": r["valid_from"], "valid_to": r["valid_to"], "place": None,
             "as_of": None if at is None else at.isoformat()} for r in rows]
    about = {"ledger_position": now.head, "metric": metric.value, "by_month": True,
             **({"as_of": at.isoformat()} if at else {})}
    return export(format_, export_rows.tally_columns(metric.value), flat, flat, about,
                  f"tally-{metric.value}-by-month")


@router.get(PREFIX + "/figures/download")
def figures(reader: Reader, session: Signed, now: Now, format_: Format, as_of: AsOf = None,
            incident_id: Annotated[UUID | None, Query()] = None) -> Any:
    return queries.list_figures(reader, session.caller, now, incident_id=incident_id, metric=None, dimension=None,
                                status=None, as_of=moment(as_of), valid_from=None, valid_to=None, place=None,
                                cursor=None, limit=50, format_=format_, accept=None)


@router.get(PREFIX + "/figures/{figure_id}/history/download")
def figure_history(figure_id: UUID, reader: Reader, session: Signed, now: Now, format_: Format,
                   as_of: AsOf = None) -> Any:
    """Every version of the figure, a row each, in the figures export's columns (read a page at a time)."""
    at, sees = moment(as_of), session.caller.sees_protected
    first = reader.figure_history(str(figure_id), as_of=at, limit=export_rows.PAGE, include_protected=sees)

    def versions() -> Any:
        page, head = first, {k: first[k] for k in ("figure_id", "incident_id", "metric", "breakdown")}
        while True:
            for version in page["versions"]:
                yield export_rows.figure_row({**head, **version})
            if page["next_cursor"] is None:
                return
            page = reader.figure_history(str(figure_id), as_of=at, cursor=page["next_cursor"],
                                         limit=export_rows.PAGE, include_protected=sees)

    about = {"ledger_position": now.head, "figure_id": str(figure_id), **({"as_of": at.isoformat()} if at else {})}
    return export(format_, export_rows.FIGURE_COLUMNS, versions(), [], about, f"figure-{figure_id}-history")

