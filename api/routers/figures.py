"""Figures: read one (with its ETag), correct, supersede, retract and grade it (If-Match required)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from api.answers import answer_record
from api.deps import (
    Caller, IdempotencyKey, IfMatchRequired, IfNoneMatch, LedgerDep, Now, Officer, expected_version, index_in,
    request_key, run,
)
from api.models import CorrectionIn, FigureAnswer, FigureChanged, GradeIn, RetractionIn, SupersessionIn
from api.problems import ApiProblem, responses
from api.routers._shared import COMMAND_ERRORS, AsOf, PublishedBy, Reader, read_responses
from ledger import limits

router = APIRouter(prefix="/figures", tags=["figures"])

CHANGE_ERRORS = {**COMMAND_ERRORS, **responses(404, 409, 412, 428)}


@router.get("/{figure_id}", response_model=FigureAnswer, responses=read_responses(), summary="Read a figure")
async def read_figure(
    figure_id: UUID, request: Request, reader: Reader, caller: Caller, now: Now, if_none_match: IfNoneMatch = None,
    version: Annotated[int | None, Query(ge=1, le=limits.MAX_VERSION, description="The figure as it was at this version.")] = None,
    as_of: AsOf = None, published_by: PublishedBy = None,
) -> Any:
    """The current value, status, grade and every source's latest claim, with the version as ETag.

    Claims of protected sources keep their numbers but withhold the source, the report and
    the quoted words from anyone but an auditor. `as_of` gives the version live at that
    recording time; not with `version`. `published_by` gives it as the sources' words published
    by then made it. Before the figure was recorded (or while none of its words was published by
    the cut) the answer is what the ledger said then, nothing yet: `state` `not_yet_recorded`,
    version 0 (ETag `"0"`), every value field null. `version` counts from 1: 0 is refused.
    """
    def figure() -> dict[str, Any]:
        record = reader.figure_record(str(figure_id), version=version, as_of=as_of,
                                      include_protected=caller.sees_protected, published_by=published_by)
        if version is not None and record["version"] != version:
            raise ApiProblem(404, f"the figure has no version {version}; its latest is {record['version']}")
        return record

    return await answer_record(request, now, caller, FigureAnswer, figure, if_none_match)


@router.post("/{figure_id}/corrections", response_model=FigureChanged, responses=CHANGE_ERRORS,
             summary="Correct a figure")
def correct(figure_id: UUID, body: CorrectionIn, ledger: LedgerDep, caller: Officer,
            if_match: IfMatchRequired, idempotency_key: IdempotencyKey = None) -> Any:
    """Set the figure's current value, with a reason and optionally the citations backing it.

    Requires If-Match with the version you read; a correction also reinstates a retracted figure.
    """
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=True)
    evidence = [str(e) for e in body.evidence]
    return run(lambda: ledger.correct_figure(
        caller.owner, str(figure_id), value=body.value.as_ledger(), reason=body.reason, evidence=evidence,
        expected_version=version, request_key=key),
        target=("figure", figure_id), refs={"citation": index_in("evidence", evidence)}, precondition=True)


@router.post("/{figure_id}/supersessions", response_model=FigureChanged, responses=CHANGE_ERRORS,
             summary="Supersede a figure's claims")
def supersede(figure_id: UUID, body: SupersessionIn, ledger: LedgerDep, caller: Officer,
              if_match: IfMatchRequired, idempotency_key: IdempotencyKey = None) -> Any:
    """A later source or an investigation replaces earlier claims (all live ones unless `replaces` names them)."""
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=True)
    replaces = None if body.replaces is None else [str(s) for s in body.replaces]
    evidence = [str(e) for e in body.evidence]
    return run(lambda: ledger.supersede_figure(
        caller.owner, str(figure_id), source_id=str(body.source_id), report_id=str(body.report_id),
        value=body.value.as_ledger(), reason=body.reason, replaces=replaces, evidence=evidence,
        expected_version=version, request_key=key),
        target=("figure", figure_id),
        refs={"source": "source_id", "report": "report_id", "citation": index_in("evidence", evidence)},
        precondition=True)


@router.post("/{figure_id}/retractions", response_model=FigureChanged, responses=CHANGE_ERRORS,
             summary="Retract a figure")
def retract(figure_id: UUID, body: RetractionIn, ledger: LedgerDep, caller: Officer,
            if_match: IfMatchRequired, idempotency_key: IdempotencyKey = None) -> Any:
    """The figure stops counting in tallies; its history stays. With a reason and optionally the citations
    backing it. Requires If-Match."""
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=True)
    evidence = [str(e) for e in body.evidence]
    return run(lambda: ledger.retract_figure(caller.owner, str(figure_id), reason=body.reason, evidence=evidence,
                                             expected_version=version, request_key=key),
               target=("figure", figure_id), refs={"citation": index_in("evidence", evidence)}, precondition=True)


@router.post("/{figure_id}/grades", response_model=FigureChanged, responses=CHANGE_ERRORS,
             summary="Grade a figure")
def grade(figure_id: UUID, body: GradeIn, ledger: LedgerDep, caller: Officer,
          if_match: IfMatchRequired, idempotency_key: IdempotencyKey = None) -> Any:
    """Set the verification grade, with a reason and optionally the citations backing it. Requires If-Match."""
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=True)
    evidence = [str(e) for e in body.evidence]
    return run(lambda: ledger.grade_figure(caller.owner, str(figure_id), grade=body.grade.value, reason=body.reason,
                                           evidence=evidence, expected_version=version, request_key=key),
               target=("figure", figure_id), refs={"citation": index_in("evidence", evidence)}, precondition=True)
