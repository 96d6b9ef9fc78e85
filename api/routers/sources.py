"""Sources: register one, change its protection, read one (auditors only, when protected)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.answers import answer_record
from api.deps import (
    Caller, IdempotencyKey, IfMatch, IfNoneMatch, LedgerDep, Now, Officer, expected_version, request_key, run,
)
from api.models import ProtectionIn, SourceAnswer, SourceIn, SourceRecorded
from api.problems import responses
from api.routers._shared import COMMAND_ERRORS, AsOf, Reader, created, created_responses, read_responses

router = APIRouter(prefix="/sources", tags=["sources"])


@router.post("", status_code=201, response_model=SourceRecorded, responses=created_responses(),
             summary="Register a source")
def register_source(body: SourceIn, request: Request, response: Response, ledger: LedgerDep, caller: Officer,
                    idempotency_key: IdempotencyKey = None) -> Any:
    """Register who publishes claims: a monitoring network, a media office, a witness...

    A protected source's identity is withheld from everyone but auditors, in every response.
    """
    key = request_key(idempotency_key)
    result = run(lambda: ledger.register_source(caller.owner, request_key=key,
                                                **body.model_dump(mode="json")))
    created(request, response, "read_source", source_id=result["source_id"])
    return result


@router.get("/{source_id}", response_model=SourceAnswer, responses=read_responses(), summary="Read a source")
async def read_source(source_id: UUID, request: Request, reader: Reader, caller: Caller, now: Now,
                      if_none_match: IfNoneMatch = None, as_of: AsOf = None) -> Any:
    """A protected source answers 404, as if it did not exist, to anyone but an auditor, as of any time.

    `as_of` gives the version live then (its protection then); before the source was registered,
    nothing yet (`state` `not_yet_recorded`, version 0).
    """
    return await answer_record(request, now, caller, SourceAnswer, lambda: reader.source_record(
        str(source_id), as_of=as_of, include_protected=caller.sees_protected), if_none_match)


@router.post("/{source_id}/protection", response_model=SourceRecorded,
             responses={**COMMAND_ERRORS, **responses(404, 409, 412, 428)}, summary="Protect or unprotect a source")
def change_protection(source_id: UUID, body: ProtectionIn, ledger: LedgerDep, caller: Officer,
                      if_match: IfMatch = None, idempotency_key: IdempotencyKey = None) -> Any:
    """Withhold a source's identity from readers (or stop withholding it), with a reason.

    Protecting takes If-Match as optional (an officer may protect a source it cannot read, and
    the safe direction must not wait on a read); when sent, a stale version answers 412.
    Unprotecting (`protected: false`) requires If-Match (428 without it): two officers deciding
    on one witness must not undo each other's decision unseen.
    """
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=not body.protected)
    return run(lambda: ledger.change_source_protection(
        caller.owner, str(source_id), protected=body.protected, reason=body.reason, expected_version=version,
        request_key=key), target=("source", source_id), precondition=version is not None)
