"""The officers' forms: each POST is handed to the very API route that records it.

A form is read into the body the route takes (field names are the API's field paths, such
as ``value.number`` or ``figures[2].incident_id``, so a refusal naming a field lands next to
it), checked by the route's own model, and passed to the route function with the signed-in
officer, the version the form was made from (If-Match) and the form's own request key
(Idempotency-Key): a second click on the same form records nothing twice. The rules, the
refusals and their words are the API's.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Annotated, Any, Callable
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from api.deps import etag, may_give_commands
from api.guard import MAX_UPLOAD
from ledger.errors import InvalidInput, NotFound
from ledger.value import written_number
from api.models import (
    CitationIn, CorrectionIn, GradeIn, IncidentIn, PeriodRevisionIn, ProtectionIn, ReportIn, RetractionIn, SourceIn,
    SupersessionIn, WithdrawalIn,
)
from api.problems import ApiProblem, from_validation_error, invalid
from api.routers import citations, figures, incidents, reports, sources
from api.routers.queries import Reader
from api.web import evidence
from api.web.sign_in import checked, form_fields
from api.web.pages import AsOf, Signed, Words, figure_page, incident_page, listing, moment, source_page
from api.web import report_rows
from api.web.report_rows import MAX_ROWS
from api.web.render import PREFIX, kept_cut, page
from api.web.session import Session
from projections import search

router = APIRouter(include_in_schema=False, dependencies=[Depends(kept_cut)])

#: Fields a form may repeat, gathered into a list.
LISTS = {"places", "evidence", "replaces"}
NUMBERS = {"number", "low", "high"}
FLAGS = {"protected", "adopt"}
_PART = re.compile(r"([a-z_][a-z0-9_]*)(?:\[(\d{1,3})\])?")
#: How many parts a field's name has at most: ``figures[2].breakdown[0].dimension`` is the deepest of the
#: API's field paths a form sends. A name nested deeper names no field, and read whole it nested the body
#: past Python's recursion limit (a 500).
MAX_PARTS = 3
#: How many sources and incidents a picker offers at once; the officer's search words (a GET
#: form beside the picker, no JavaScript) narrow the choice, so any of them can be reached.
CHOICES = 200
#: A source's id pasted beside the picker: a protected source is never listed to an officer, yet may be
#: filed or cited from by its id, as the API takes it (its refusal of an unknown id lands on ``source_id``).
PASTED = "source_id_pasted"


def body_of(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """A form's fields as the JSON body the API route takes (blank fields left out); a field
    given both as a value and as a group of fields (``title`` and ``title.y``) is refused naming it."""
    body: dict[str, Any] = {}
    for name, raw in fields:
        value: Any = raw.strip()
        if value == "" or name in ("request_key", "version"):
            continue
        target, parts = body, name.split(".")
        if len(parts) > MAX_PARTS:
            raise Refused(invalid(f"{name} is not a field of this form", name))
        for i, part in enumerate(parts):
            match = _PART.fullmatch(part)
            if match is None:
                break
            key, index = match.group(1), match.group(2)
            last, path = i == len(parts) - 1, ".".join(parts[:i + 1])
            if index is not None and int(index) < MAX_ROWS:
                rows = _within(target, key, dict, path)
                target = _within(rows, int(index), dict, path)
                continue
            if not last:
                target = _within(target, key, dict, path)
                continue
            if key in NUMBERS and (number := written_number(value)) is not None:
                value = number
            elif key in FLAGS:
                value = value in ("on", "true", "1")
            if key in LISTS:
                _within(target, key, list, path).append(value)
            elif isinstance(target.get(key), (dict, list)):
                raise _clash(path)
            else:
                target[key] = value
    return _rows_to_lists(body)


def _within(target: dict[Any, Any], key: Any, kind: type, path: str) -> Any:
    """``target[key]``, made a ``kind`` if absent; refused when the form gave it as something else."""
    found = target.setdefault(key, kind())
    if not isinstance(found, kind):
        raise _clash(path)
    return found


def _clash(path: str) -> Refused:
    return Refused(invalid(f"{path} is given both as a value and as a group of fields; send it one way", path))


def _rows_to_lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            return [_rows_to_lists(node[k]) for k in sorted(node) if node[k]]
        return {k: _rows_to_lists(v) for k, v in node.items()}
    return node


def preconditions(fields: list[tuple[str, str]]) -> dict[str, str | None]:
    """The version the form was made from, as If-Match, and its request key, as Idempotency-Key."""
    given = dict(fields)
    version = written_number(given.get("version", "").strip())
    return {"if_match": None if version is None else etag(version),
            "idempotency_key": given.get("request_key") or None}


def _fresh_key() -> str:
    return str(uuid.uuid4())


# The steps every officer's form takes (this module's, the vocabulary page's): read, check
# against the route's model, record through the route, and show again when refused.

class Refused(Exception):
    def __init__(self, problem: ApiProblem) -> None:
        self.problem = problem


def as_model(model: type[BaseModel], body: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise Refused(from_validation_error(RequestValidationError(error.errors()))) from None


async def record(request: Request, session: Session, call: Callable[[], Any]) -> Any:
    await may_give_commands(session.caller)  # the API's role rule
    try:
        return await run_in_threadpool(call)
    except ApiProblem as problem:
        raise Refused(problem) from None


def form_state(fields: list[tuple[str, str]], problem: ApiProblem,
                on_form: Callable[[str], str] = str) -> dict[str, Any]:
    """What a refused form shows again: the officer's input, and the API's words next to the field
    (``on_form``: the form's field for the path the API named, where the two differ)."""
    errors: dict[str, str] = {}
    for item in problem.extensions.get("errors", []):
        errors.setdefault(on_form(item["field"]), item["message"])
    field = problem.extensions.get("field")
    field = on_form(field) if field else field
    if field == "If-Match":  # a form sends its If-Match as its `version` field (preconditions)
        field = "version"
    if field and field not in errors:
        errors[field] = problem.detail
    return {"values": dict(fields), "multi": fields, "errors": errors, "problem": problem,
            "request_key": _fresh_key()}


def new_state(kind: str) -> dict[str, Any]:
    """What a new, empty form shows: nothing given, and a request key of its own."""
    return {"values": {}, "multi": [], "errors": {}, "problem": None, "request_key": _fresh_key(), "kind": kind}


# ---- new records ------------------------------------------------------------------------------

FORMS: dict[str, tuple[type[BaseModel], Callable[..., Any], str, str]] = {
    # kind: (body model, API route, id in its answer, page of the new record)
    "source": (SourceIn, sources.register_source, "source_id", "/sources/"),
    "incident": (IncidentIn, incidents.record_incident, "incident_id", "/incidents/"),
    "report": (ReportIn, reports.file_report, "report_id", "/reports/"),
    "citation": (CitationIn, citations.cite, "citation_id", "/citations/"),
}
Rows = Annotated[int, Query(ge=1, le=MAX_ROWS)]
Pairs = Annotated[int, Query(ge=1, le=report_rows.MAX_PAIRS)]
Target = Annotated[UUID | None, Query()]


async def commanding(session: Signed) -> Session:
    """The signed-in caller, if the API would take a command from them: else its 403, as a page."""
    await may_give_commands(session.caller)
    return session


Commanding = Annotated[Session, Depends(commanding)]


@router.get(PREFIX + "/new/{kind}", response_class=HTMLResponse)
def new_form(request: Request, kind: str, reader: Reader, session: Commanding, rows: Rows = 3,
             pairs: Pairs = 1, target: Target = None, source_id: Target = None, source_q: Words = None,
             incident_q: Words = None, as_of: AsOf = None) -> Any:
    if kind not in FORMS:
        raise ApiProblem(404, "there is no such form")
    moment(as_of)  # taken so that the footer's as-of form answers; the page then shows no form (base.html)
    form = new_state(kind)
    for name, given in (("target_id", target), ("source_id", source_id)):
        if given is not None:
            form["values"][name] = str(given)
    form["search"] = {"source_q": (source_q or "").strip(), "incident_q": (incident_q or "").strip()}
    return _new_page(request, session, reader, kind, form, rows, dict.fromkeys(range(rows), pairs))


def _new_page(request: Request, session: Session, reader: Any, kind: str, form: dict[str, Any], rows: int,
              pairs: dict[int, int] | None = None, status: int = 200) -> HTMLResponse:
    sees = session.caller.sees_protected
    search_words = form.setdefault("search", {"source_q": "", "incident_q": ""})
    sources = search.sources(reader, search_words["source_q"], limit=CHOICES, include_protected=sees)
    incidents = search.incidents(reader, search_words["incident_q"], limit=CHOICES, include_protected=sees)
    choices = {
        "sources": by_name(_keeping_chosen(sources["items"], "source_id", form, lambda i: reader.source(
            i, include_protected=sees)), "name"),
        "incidents": by_name(_keeping_chosen(incidents["items"], "incident_id", form, lambda i: reader.incident(
            i, include_protected=sees)), "title"),
        "more_sources": sources["more"], "more_incidents": incidents["more"],
        "searched_part": {"sources": not sources["complete"], "incidents": not incidents["complete"]},
        "scan": search.SCAN,
    }
    given, values = form["values"].get("source_id"), form["values"]
    if given and given not in {str(s["source_id"]) for s in choices["sources"]}:
        values.setdefault(PASTED, given)  # not one the officer may see listed: shown as the id it is
    return page(request, f"new_{kind}.html", session, status=status, form=form, rows=range(rows), forms_only=True,
                pairs=pairs or {}, words=report_rows.WORDS, upload_mib=MAX_UPLOAD >> 20, **choices)


def by_name(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """A picker's choices in the order of their names (case and accents aside), not of their ids."""
    return sorted(items, key=lambda item: (_collated(item.get(key) or ""), str(item.get(key))))


def _collated(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))


def _keeping_chosen(items: list[dict[str, Any]], key: str, form: dict[str, Any],
                    one: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    """The choices, plus any the refused form had picked that the search left out (so it stays picked)."""
    shown = {str(item[key]) for item in items}
    extra = []
    for name, value in form.get("multi", []):
        if name.endswith(key) and value and value not in shown:
            try:
                extra.append(one(value))
            except (NotFound, InvalidInput):  # an id naming nothing: the API refuses it, not a choice
                continue
            shown.add(value)
    return extra + items


@router.post(PREFIX + "/new/{kind}", response_class=HTMLResponse)
async def create(request: Request, kind: str, reader: Reader, session: Signed) -> Any:
    if kind not in FORMS:
        raise ApiProblem(404, "there is no such form")
    model, route, ident, where = FORMS[kind]
    shown = await _form_of(request, session, kind)  # as typed, for the form shown again
    key = preconditions(shown)["idempotency_key"]
    fields = _with_pasted(shown)
    typed = report_rows.read(fields) if kind == "report" else None
    add = dict(fields).get("add")
    if typed is not None and add:  # the form's own "add a row / a breakdown" buttons: shown again, nothing recorded
        form = {**new_state(kind), "values": dict(shown), "multi": shown, "request_key": key or _fresh_key()}
        return await run_in_threadpool(_new_page, request, session, reader, kind, form, *typed.layout(add))
    try:
        fields = _with_digest(fields, request.scope.get(DIGEST))
        body = as_model(model, _body(typed, fields))
        result = await record(request, session, lambda: route(body, request, Response(), request.app.state.ledger,
                                                               session.caller, idempotency_key=key))
    except Refused as refused:
        form = {**form_state(shown, refused.problem, typed.form_field if typed else str), "kind": kind}
        if request.scope.get(DIGEST) and not form["values"].get("sha256"):
            form["values"]["sha256"] = request.scope[DIGEST]  # the file is not sent again: its hash is kept
        rows, pairs = typed.layout() if typed else (3, {})
        return await run_in_threadpool(_new_page, request, session, reader, kind, form, rows, pairs,
                                       refused.problem.status)
    made = str(result[ident])
    if await run_in_threadpool(_hidden_from, reader, session, kind, body):
        # Its page would be the unknown id's 404 to this officer: say here, once, what was recorded.
        return page(request, "recorded_protected.html", session, kind=kind, made=made,
                    name=getattr(body, "name", None) if kind == "source" else None)
    return RedirectResponse(PREFIX + where + made, status_code=303)


#: The SHA-256 of the file a citation form posted without JavaScript (evidence.py), kept on the request.
DIGEST = "web.evidence_sha256"


async def _form_of(request: Request, session: Session, kind: str) -> list[tuple[str, str]]:
    """The posted form's fields; a citation form's file (no JavaScript) hashed as it streams, kept nowhere."""
    content_type = request.headers.get("content-type", "")
    if kind != "citation" or not content_type.lower().startswith("multipart/form-data"):
        return await form_fields(request, session)
    fields, digest = await evidence.read(content_type, request.stream())
    request.scope[DIGEST] = digest
    return checked(request, session, fields)


def _with_pasted(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The form's fields with a pasted source id, when one was given, as its ``source_id``."""
    pasted = dict(fields).get(PASTED, "").strip()
    kept = [(k, v) for k, v in fields if k != PASTED and not (pasted and k == "source_id")]
    return [*kept, ("source_id", pasted)] if pasted else kept


def _with_digest(fields: list[tuple[str, str]], digest: str | None) -> list[tuple[str, str]]:
    """The file's hash as the citation's ``sha256``; one typed that is not the file's is refused naming it."""
    if digest is None:
        return fields
    typed = dict(fields).get("sha256", "").strip().lower()
    if typed and typed != digest:
        raise Refused(invalid(f"the SHA-256 given is not the chosen file's ({digest}); give one or the other",
                              "sha256"))
    return [*(f for f in fields if f[0] != "sha256"), ("sha256", digest)]


def _hidden_from(reader: Any, session: Session, kind: str, body: Any) -> bool:
    """Is what was just recorded a protected source's, whose page the officer may not open?"""
    if session.caller.sees_protected or kind == "incident":
        return False
    if kind == "source":
        return bool(body.protected)
    try:
        reader.source(str(body.source_id), include_protected=False)
    except NotFound:
        return True
    return False


def _body(typed: report_rows.Rows | None, fields: list[tuple[str, str]]) -> dict[str, Any]:
    """A form's body; a report's figures from its rows (report_rows.py)."""
    if typed is None:
        return body_of(fields)
    try:
        return {**body_of(typed.own), "figures": typed.statements(body_of)}
    except ApiProblem as problem:  # a pair missing its half: refused as the API refuses
        raise Refused(problem) from None


# ---- changing a figure or a citation -------------------------------------------------------------

CHANGES: dict[str, tuple[type[BaseModel], Callable[..., Any]]] = {
    "corrections": (CorrectionIn, figures.correct),
    "supersessions": (SupersessionIn, figures.supersede),
    "retractions": (RetractionIn, figures.retract),
    "grades": (GradeIn, figures.grade),
}


@router.post(PREFIX + "/figures/{figure_id}/{change}", response_class=HTMLResponse)
async def change_figure(request: Request, figure_id: UUID, change: str, reader: Reader, session: Signed) -> Any:
    if change not in CHANGES:
        raise ApiProblem(404, "there is no such change")
    model, route = CHANGES[change]
    fields = await form_fields(request, session)
    try:
        body = as_model(model, body_of(fields))
        await record(request, session, lambda: route(figure_id, body, request.app.state.ledger, session.caller,
                                                      **preconditions(fields)))
    except Refused as refused:
        form = {**form_state(fields, refused.problem), "change": change}
        return await run_in_threadpool(figure_page, request, session, reader, str(figure_id), None, None, None,
                                       status=refused.problem.status, form=form)
    return RedirectResponse(f"{PREFIX}/figures/{figure_id}", status_code=303)


@router.post(PREFIX + "/citations/{citation_id}/withdrawals", response_class=HTMLResponse)
async def withdraw(request: Request, citation_id: UUID, session: Signed) -> Any:
    fields = await form_fields(request, session)
    try:
        body = as_model(WithdrawalIn, body_of(fields))
        await record(request, session, lambda: citations.withdraw(citation_id, body, request.app.state.ledger,
                                                                   session.caller, **preconditions(fields)))
    except Refused as refused:
        return page(request, "refused.html", session, status=refused.problem.status, problem=refused.problem,
                    back=f"{PREFIX}/citations/{citation_id}")
    return RedirectResponse(f"{PREFIX}/citations/{citation_id}", status_code=303)


# ---- changing a source or an incident ------------------------------------------------------------

@router.post(PREFIX + "/sources/{source_id}/protection", response_class=HTMLResponse)
async def protect(request: Request, source_id: UUID, reader: Reader, session: Signed) -> Any:
    """Protect a source (or stop protecting it): POST /sources/{id}/protection, with its reason."""
    return await _protection(request, source_id, reader, session, await form_fields(request, session))


@router.post(PREFIX + "/sources/protection", response_class=HTMLResponse)
async def protect_by_id(request: Request, reader: Reader, session: Signed) -> Any:
    """The same, for a source named by its id: an officer cannot open a protected source's page to unprotect it."""
    fields = await form_fields(request, session)
    given = dict(fields).get("source_id", "").strip()
    try:
        source_id = UUID(given)
    except ValueError:
        problem = ApiProblem(422, "source_id must be a source's id (a UUID)", field="source_id")
        return await run_in_threadpool(_sources_refused, request, session, reader, fields, problem)
    return await _protection(request, source_id, reader, session, [(k, v) for k, v in fields if k != "source_id"],
                             by_id=fields)


async def _protection(request: Request, source_id: UUID, reader: Any, session: Session,
                      fields: list[tuple[str, str]], by_id: list[tuple[str, str]] | None = None) -> Any:
    try:
        body = as_model(ProtectionIn, body_of(fields))
        await record(request, session, lambda: sources.change_protection(
            source_id, body, request.app.state.ledger, session.caller, **preconditions(fields)))
    except Refused as refused:
        if by_id is not None:
            return await run_in_threadpool(_sources_refused, request, session, reader, by_id, refused.problem)
        return await run_in_threadpool(_record_refused, request, session, refused.problem, f"{PREFIX}/sources",
                                       lambda: source_page(request, session, reader, str(source_id), None,
                                                           status=refused.problem.status,
                                                           form=form_state(fields, refused.problem)))
    # A source just protected is no longer the officer's to read: back to the list, where it is gone.
    hidden = body.protected and not session.caller.sees_protected
    return RedirectResponse(f"{PREFIX}/sources" if hidden else f"{PREFIX}/sources/{source_id}", status_code=303)


def _sources_refused(request: Request, session: Session, reader: Any, fields: list[tuple[str, str]],
                     problem: ApiProblem) -> HTMLResponse:
    return listing(request, session, "sources.html", reader.sources, None, None, status=problem.status,
                   form=form_state(fields, problem))


@router.post(PREFIX + "/incidents/{incident_id}/period-revisions", response_class=HTMLResponse)
async def revise_period(request: Request, incident_id: UUID, reader: Reader, session: Signed) -> Any:
    """Revise when the incident happened: POST /incidents/{id}/period-revisions, with its reason and If-Match."""
    fields = await form_fields(request, session)
    try:
        body = as_model(PeriodRevisionIn, body_of(fields))
        await record(request, session, lambda: incidents.revise_period(
            incident_id, body, request.app.state.ledger, session.caller, **preconditions(fields)))
    except Refused as refused:
        return await run_in_threadpool(_record_refused, request, session, refused.problem, f"{PREFIX}/incidents",
                                       lambda: incident_page(request, session, reader, str(incident_id), None, None,
                                                             status=refused.problem.status,
                                                             form=form_state(fields, refused.problem)))
    return RedirectResponse(f"{PREFIX}/incidents/{incident_id}", status_code=303)


def _record_refused(request: Request, session: Session, problem: ApiProblem, back: str,
                    again: Callable[[], HTMLResponse]) -> HTMLResponse:
    """The record's page with the refused form on it; a bare refusal when the record cannot be shown (no such id)."""
    try:
        return again()
    except (NotFound, InvalidInput):
        return page(request, "refused.html", session, status=problem.status, problem=problem, back=back)
