"""Reports: file one with the figures it states, read one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.answers import answer_record
from api.deps import Caller, IdempotencyKey, IfNoneMatch, LedgerDep, Now, Officer, index_in, request_key, run
from api.models import ReportAnswer, ReportFiled, ReportIn
from api.routers._shared import AsOf, PublishedBy, Reader, created, created_responses, read_responses

router = APIRouter(prefix="/reports", tags=["reports"])


@router.post("", status_code=201, response_model=ReportFiled, responses=created_responses(),
             summary="File a report and its figures")
def file_report(body: ReportIn, request: Request, response: Response, ledger: LedgerDep, caller: Officer,
                idempotency_key: IdempotencyKey = None) -> Any:
    """File a document from a source, with each figure it states as that source's claim.

    The first statement of a figure becomes its current value; a later one does only with
    `adopt: true` and a `reason` (and optionally `evidence`, citation ids). The report and all its claims are recorded in one transaction, or nothing.
    """
    key = request_key(idempotency_key)
    fields = body.as_ledger()
    source_id, figures = fields.pop("source_id"), fields.pop("figures")
    incidents = [f["incident_id"] for f in figures]
    evidence: dict[str, str] = {}  # a citation id -> the first field naming it
    for i, f in enumerate(figures):
        for j, e in enumerate(f["evidence"]):
            evidence.setdefault(str(e), f"figures[{i}].evidence[{j}]")
    result = run(lambda: ledger.file_report(caller.owner, source_id=source_id, figures=figures,
                                            request_key=key, **fields),
                 refs={"source": "source_id", "incident": index_in("figures", incidents, ".incident_id"),
                       "citation": lambda ident: evidence.get(ident, "figures")})
    created(request, response, "read_report", report_id=result["report_id"])
    return result


@router.get("/{report_id}", response_model=ReportAnswer, responses=read_responses(), summary="Read a report")
async def read_report(report_id: UUID, request: Request, reader: Reader, caller: Caller, now: Now,
                      if_none_match: IfNoneMatch = None, as_of: AsOf = None,
                      published_by: PublishedBy = None) -> Any:
    """A report from a protected source answers 404 to anyone but an auditor (as of any time). One
    filed after `as_of`, or published after `published_by`, is nothing yet (`state`
    `not_yet_recorded`, version 0)."""
    return await answer_record(request, now, caller, ReportAnswer, lambda: reader.report_record(
        str(report_id), as_of=as_of, include_protected=caller.sees_protected, published_by=published_by),
        if_none_match)
