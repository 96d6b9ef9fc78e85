"""The vocabulary: read its terms (readers), define and revise one (officers: a reason, If-Match, a request key).

What each term means is recorded (ledger/terms.py), so a new metric, dimension, value or
population needs no code change and its history is in the audit trail. Reads come from the
vocabulary's record itself, not the views: a term is usable the moment it is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import Caller, IdempotencyKey, IfMatchRequired, LedgerDep, Officer, expected_version, request_key, run
from api.models import TermChanged, TermIn, TermKind, TermOut, TermRevisionIn, VocabularyOut
from api.problems import HOW_TO_DEFINE, ApiProblem, responses
from api.routers._shared import COMMAND_ERRORS, AsOf, created, created_responses
from ledger import terms
from ledger.errors import NotFound

router = APIRouter(prefix="/vocabulary", tags=["vocabulary"])


def term_out(key: str, term: dict[str, Any], history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"term": key, **term, "history": history}


def _recorded(ledger: Any) -> Any:
    try:
        return ledger.vocabulary()
    except NotFound:  # before `ledger init` recorded it: the built-ins, as commands read them
        return None


def recorded_terms(ledger: Any, as_of: datetime | None = None) -> Mapping[str, dict[str, Any]]:
    """The terms as recorded now, or as they stood at ``as_of`` (each term's versions recorded by then:
    ``Vocabulary.as_of``); the route and the vocabulary's page read them here."""
    recorded = _recorded(ledger)
    if recorded is None:
        return terms.built_in_terms()
    return recorded.terms if as_of is None else recorded.as_of(as_of)


@router.get("", response_model=VocabularyOut, responses=responses(401, 422), summary="The vocabulary")
async def read_vocabulary(ledger: LedgerDep, caller: Caller,
                          kind: TermKind | None = Query(None, description="Only terms of this kind."),
                          as_of: AsOf = None) -> Any:
    """Every metric, dimension, dimension value and population, with its labels and who defined it when;
    with `as_of`, the terms defined by then, each at its version then."""
    def compute() -> dict[str, Any]:
        found = recorded_terms(ledger, as_of)
        chosen = [term_out(k, t) for k, t in found.items() if kind is None or t["kind"] == kind]
        return {"kinds": {k: spec["names"] for k, spec in terms.KINDS.items()}, "terms": chosen}

    return await run_in_threadpool(run, compute)


@router.get("/{term}", response_model=TermOut, responses={200: {"headers": {"ETag": {"schema": {"type": "string"}}}},
                                                          **responses(401, 404, 422)},
            summary="A term and its history")
async def read_term(term: str, response: Response, ledger: LedgerDep, caller: Caller) -> Any:
    """A term by its name (a value's name is `dimension:value`, e.g. `place:معرة النعمان`), with every
    version: who defined or revised it, when, why, and what changed. Its version is the ETag."""
    def compute() -> dict[str, Any]:
        recorded = _recorded(ledger)
        if recorded is None or term not in recorded.terms:
            raise ApiProblem(404, f"no term {term!r} in the vocabulary; an officer defines it {HOW_TO_DEFINE}")
        return term_out(term, recorded.terms[term], recorded.histories[term])

    found = await run_in_threadpool(run, compute)
    response.headers["ETag"] = f'"{found["version"]}"'
    return found


@router.post("", status_code=201, response_model=TermChanged, responses=created_responses(),
             summary="Define a term")
def define_term(body: TermIn, request: Request, response: Response, ledger: LedgerDep, caller: Officer,
                idempotency_key: IdempotencyKey = None) -> Any:
    """Define a metric, a dimension, a dimension's value or a population, with a reason.

    A term's code is unique across kinds; defining one that exists answers 422 (revise it instead).
    """
    key = request_key(idempotency_key)
    fields = body.model_dump(mode="json", exclude_none=True)
    result = run(lambda: ledger.define_term(caller.owner, request_key=key, **fields))
    # A value's name may be in any script: the Location header carries it percent-encoded.
    created(request, response, "read_term", term=quote(result["term"], safe=":"))
    response.headers["ETag"] = f'"{result["version"]}"'
    return result


@router.post("/{term}/revisions", response_model=TermChanged,
             responses={**COMMAND_ERRORS, **responses(404, 409, 412, 428)}, summary="Revise a term")
def revise_term(term: str, body: TermRevisionIn, ledger: LedgerDep, caller: Officer, if_match: IfMatchRequired,
                idempotency_key: IdempotencyKey = None) -> Any:
    """Change a term's definition, labels, relation or place data, with a reason. Requires If-Match with
    the term's version as read; its kind and code never change (define another term instead)."""
    key = request_key(idempotency_key)
    version = expected_version(if_match, required=True)
    changes = body.model_dump(mode="json", exclude_unset=True)
    reason = changes.pop("reason")

    def revise() -> dict[str, Any]:
        if term not in ledger.terms.terms(reload=True):
            raise ApiProblem(404, f"no term {term!r} in the vocabulary; an officer defines it {HOW_TO_DEFINE}")
        return ledger.revise_term(caller.owner, term, reason=reason, expected_version=version, request_key=key,
                                  **changes)

    return run(revise, precondition=True)
