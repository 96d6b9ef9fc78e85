"""Citations: cite a document for a report or a figure, withdraw a citation, read one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.answers import answer_record
from api.deps import (
    Caller, IdempotencyKey, IfMatch, IfNoneMatch, LedgerDep, Now, Officer, expected_version, request_key, run,
)
from api.models import CitationAnswer, CitationChanged, CitationIn, CitationRecorded, WithdrawalIn
from api.problems import responses
from api.routers._shared import COMMAND_ERRORS, AsOf, Reader, created, created_responses, read_responses

router = APIRouter(prefix="/citations", tags=["citations"])


@router.post("", status_code=201, response_model=CitationRecorded, responses=created_responses(),
             summary="Cite a document")
def cite(body: CitationIn, request: Request, response: Response, ledger: LedgerDep, caller: Officer,
         idempotency_key: IdempotencyKey = None) -> Any:
    """Link a report or a figure (`target_id`; its kind is looked up) to the document that backs it."""
    key = request_key(idempotency_key)
    fields = body.model_dump(mode="json")
    target_id, source_id = fields.pop("target_id"), fields.pop("source_id")
    result = run(lambda: ledger.cite(caller.owner, target_id=target_id, source_id=source_id,
                                     request_key=key, **fields),
                 refs={"source": "source_id", "report or figure": "target_id"})
    created(request, response, "read_citation", citation_id=result["citation_id"])
    return result


@router.get("/{citation_id}", response_model=CitationAnswer, responses=read_responses(), summary="Read a citation")
async def read_citation(citation_id: UUID, request: Request, reader: Reader, caller: Caller, now: Now,
                        if_none_match: IfNoneMatch = None, as_of: AsOf = None) -> Any:
    """A citation of a protected source answers 404 to anyone but an auditor (as of any time). As of
    a time before it was made, nothing yet (`state` `not_yet_recorded`, version 0)."""
    return await answer_record(request, now, caller, CitationAnswer, lambda: reader.citation_record(
        str(citation_id), as_of=as_of, include_protected=caller.sees_protected), if_none_match)


@router.post("/{citation_id}/withdrawals", response_model=CitationChanged,
             responses={**COMMAND_ERRORS, **responses(404, 409, 412, 428)}, summary="Withdraw a citation")
def withdraw(citation_id: UUID, body: WithdrawalIn, ledger: LedgerDep, caller: Officer,
             if_match: IfMatch = None, idempotency_key: IdempotencyKey = None) -> Any:
    """The citation stops backing anything (it is kept, never deleted). If-Match is optional."""
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=False)
    return run(lambda: ledger.withdraw_citation(caller.owner, str(citation_id), reason=body.reason,
                                                expected_version=version, request_key=key),
               target=("citation", citation_id), precondition=version is not None)
