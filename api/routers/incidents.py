"""Incidents: record one, revise its valid time, read one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.answers import answer_record
from api.deps import (
    Caller, IdempotencyKey, IfMatchRequired, IfNoneMatch, LedgerDep, Now, Officer, expected_version, request_key, run,
)
from api.models import IncidentAnswer, IncidentIn, IncidentRecorded, PeriodRevisionIn
from api.problems import responses
from api.routers._shared import COMMAND_ERRORS, AsOf, Reader, created, created_responses, read_responses

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post("", status_code=201, response_model=IncidentRecorded, responses=created_responses(),
             summary="Record an incident")
def record_incident(body: IncidentIn, request: Request, response: Response, ledger: LedgerDep, caller: Officer,
                    idempotency_key: IdempotencyKey = None) -> Any:
    """What happened, where, and when (valid time: `valid_from`, and `valid_to` or null if ongoing)."""
    key = request_key(idempotency_key)
    result = run(lambda: ledger.record_incident(caller.owner, request_key=key,
                                                **body.model_dump(mode="json")))
    created(request, response, "read_incident", incident_id=result["incident_id"])
    return result


@router.get("/{incident_id}", response_model=IncidentAnswer, responses=read_responses(), summary="Read an incident")
async def read_incident(incident_id: UUID, request: Request, reader: Reader, caller: Caller, now: Now,
                        if_none_match: IfNoneMatch = None, as_of: AsOf = None) -> Any:
    """`as_of` gives the period (and version) live then; before the incident was recorded,
    nothing yet (`state` `not_yet_recorded`, version 0)."""
    return await answer_record(request, now, caller, IncidentAnswer,
                               lambda: reader.incident_record(str(incident_id), as_of=as_of), if_none_match)


@router.post("/{incident_id}/period-revisions", response_model=IncidentRecorded,
             responses={**COMMAND_ERRORS, **responses(404, 409, 412, 428)}, summary="Revise an incident's period")
def revise_period(incident_id: UUID, body: PeriodRevisionIn, ledger: LedgerDep, caller: Officer,
                  if_match: IfMatchRequired, idempotency_key: IdempotencyKey = None) -> Any:
    """Change when the incident happened (valid time), with a reason. Requires If-Match."""
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=True)
    return run(lambda: ledger.revise_incident_period(
        caller.owner, str(incident_id), valid_from=body.valid_from, valid_to=body.valid_to, reason=body.reason,
        expected_version=version, request_key=key),
        target=("incident", incident_id), precondition=True)
