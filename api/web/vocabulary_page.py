"""The vocabulary's page: every term with its labels in the page's language, and the officers' forms to
define a term and to revise one, each handed to the API route that records it (api/routers/definitions.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.models import TermIn, TermRevisionIn
from api.problems import ApiProblem
from api.routers import definitions
from api.web.forms import Refused, as_model, body_of, form_state, new_state, preconditions, record
from api.web.pages import AsOf, Signed, Words, moment
from api.web.i18n import choose
from api.web.render import PREFIX, kept_cut, label, page
from api.web.session import Session
from api.web.sign_in import form_fields
from ledger import terms

router = APIRouter(include_in_schema=False, dependencies=[Depends(kept_cut)])

#: The place fields a form gives apart, read into the API's ``coordinates``.
_COORDINATES = ("latitude", "longitude")


def _on_form(field: str) -> str:
    """The form's field for the one the API names: its ``coordinates`` (or one of them) are the latitude's
    and longitude's, and the refusal is shown beside the first."""
    return _COORDINATES[0] if field.startswith("coordinates") else field


def _page(request: Request, session: Session, *, define: dict[str, Any] | None = None,
          revise: dict[str, Any] | None = None, status: int = 200, at: datetime | None = None) -> HTMLResponse:
    lang = choose(request)
    recorded = request.app.state.ledger.terms.terms(reload=True) if at is None else (
        definitions.recorded_terms(request.app.state.ledger, at))
    listed = [{"term": key, **term, "label": label(term, lang)} for key, term in recorded.items()]
    listed.sort(key=lambda t: (list(terms.KINDS).index(t["kind"]), t["term"]))
    revise = revise or new_state("revision")
    # The term the revision form is for, as it is now: its version is the form's If-Match (a hidden field),
    # so a refused form sent again decides on what the officer was just shown, and a 412 shows it.
    revising = recorded.get(revise["values"].get("term", "").strip())
    return page(request, "vocabulary.html", session, status=status, terms=listed, kinds=terms.KINDS,
                define=define or new_state("term"), revise=revise, revising=revising)


@router.get(PREFIX + "/vocabulary", response_class=HTMLResponse)
def vocabulary(request: Request, session: Signed, as_of: AsOf = None, term: Words = None) -> HTMLResponse:
    """As of a time, the terms defined by then, each at its version then (``GET /vocabulary?as_of=``); under
    a cut, as recorded, and the page says so: a cut is of sources' words, not of terms.
    ``term``: the term the revision form is for (each row's "Revise" link)."""
    at = moment(as_of)
    revise = new_state("revision")
    if term:
        revise["values"]["term"] = term.strip()
    return _page(request, session, revise=revise, at=at)


def _body(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """The form as the API's body: the checkbox as a flag, latitude and longitude as coordinates."""
    body = body_of([(k, v) for k, v in fields if k not in ("term", "csrf")])
    if "closed" in body:
        body["closed"] = body["closed"] in ("on", "true", "1")
    given = [body.pop(k, None) for k in _COORDINATES]
    if any(v is not None for v in given):
        try:
            body["coordinates"] = [float(v) for v in given]  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise Refused(ApiProblem(422, "give both latitude and longitude, in degrees (WGS84)",
                                     field="coordinates")) from None
    return body


@router.post(PREFIX + "/vocabulary", response_class=HTMLResponse)
async def define(request: Request, session: Signed) -> Any:
    """Define a term: POST /vocabulary, with its reason and the form's request key."""
    fields = await form_fields(request, session)
    key = preconditions(fields)["idempotency_key"]
    try:
        body = as_model(TermIn, _body(fields))
        await record(request, session, lambda: definitions.define_term(
            body, request, Response(), request.app.state.ledger, session.caller, idempotency_key=key))
    except Refused as refused:
        return await run_in_threadpool(_page, request, session, define=form_state(fields, refused.problem, _on_form),
                                       status=refused.problem.status)
    return RedirectResponse(PREFIX + "/vocabulary", status_code=303)


@router.post(PREFIX + "/vocabulary/revisions", response_class=HTMLResponse)
async def revise(request: Request, session: Signed) -> Any:
    """Revise a term: POST /vocabulary/{term}/revisions, with its reason, If-Match (the version shown) and key."""
    fields = await form_fields(request, session)
    term = dict(fields).get("term", "").strip()
    try:
        body = as_model(TermRevisionIn, _body(fields))
        await record(request, session, lambda: definitions.revise_term(
            term, body, request.app.state.ledger, session.caller, **preconditions(fields)))
    except Refused as refused:
        return await run_in_threadpool(_page, request, session, revise=form_state(fields, refused.problem, _on_form),
                                       status=refused.problem.status)
    return RedirectResponse(PREFIX + "/vocabulary", status_code=303)
