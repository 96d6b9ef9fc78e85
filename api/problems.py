"""RFC 9457 problem details: one shape for every error the API gives.

Every error response, whoever raised it (the ledger, request validation, routing, the body
guard, an unexpected crash), is ``application/problem+json``::

    {"type": "/problems/version-conflict", "title": "Version conflict", "status": 412,
     "detail": "figure ... was changed by someone else; its current version is 4 ...",
     "current_version": 4, "expected_version": 3}

Extension members: ``field`` (the request field at fault, for 422), ``errors`` (every
field at fault, for request validation), ``current_version``/``expected_version`` (for
409/412). Messages never echo stored data the caller did not send: a protected source's
identity cannot reach anyone through an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import orjson
import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api import route_names
from api.methods import allowed
from ledger.errors import (
    HistoryNotCovered, InvalidInput, LedgerError, NotFound, RequestKeyReused, UnknownTerm, VersionConflict,
)

log = logging.getLogger("api")

MEDIA_TYPE = "application/problem+json"

#: Problem types the API defines beyond plain HTTP statuses (which use ``about:blank``).
#: Relative URIs, resolved against the API's base URL; docs/api.md lists them.
TYPES: dict[str, str] = {
    "invalid-input": "the request's values break a rule of the ledger; `field` names the one at fault",
    "version-conflict": "the record changed since the version you sent; `current_version` says which it is now",
    "if-match-required": "this change must name the version you read, in If-Match",
    "request-key-reused": "the Idempotency-Key was already used for a different request",
    "malformed-request": "the body is not JSON, or a header cannot be read",
    "body-too-large": "the body is larger than the API accepts",
    "unsupported-media-type": "the body must be application/json",
    "unavailable": "the ledger's database cannot be reached just now; retry after `Retry-After` seconds",
}

#: What the stores' drivers raise when the database cannot be reached (down, restarting, out of
#: connections): the request is answered 503 and the server carries on; the pools reconnect.
UNAVAILABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError, persistence.InterfaceError, psycopg.OperationalError, psycopg.InterfaceError,
)
#: Seconds a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER = 5


class FieldError(BaseModel):
    field: str = Field(description="Where in the request: a body path such as `value.low`, or a header name.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem; every error response has this shape."""

    model_config = ConfigDict(
        json_schema_extra={"example": {
            "type": "/problems/invalid-input", "title": "Invalid input", "status": 422,
            "detail": "value.low: range low 50 exceeds high 40", "field": "value.low",
        }},
    )

    type: str = Field("about:blank", description="A URI reference naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(ge=400, le=599, description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request, for the person who sent it.")
    field: str | None = Field(None, description="The request field at fault (422).")
    errors: list[FieldError] | None = Field(None, description="Every field at fault (422 from request validation).")
    current_version: int | None = Field(None, description="The record's current version (409, 412).")
    expected_version: int | None = Field(None, description="The version the request named (409, 412).")


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem."""

    def __init__(
        self, status: int, detail: str, *, type_: str | None = None, title: str | None = None,
        headers: Mapping[str, str] | None = None, **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = f"/problems/{type_}" if type_ else "about:blank"
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extensions = {k: v for k, v in extensions.items() if v is not None}


def problem_response(
    status: int, detail: str, *, type_: str = "about:blank", title: str | None = None,
    headers: Mapping[str, str] | None = None, **extensions: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": type_, "title": title or HTTPStatus(status).phrase, "status": status, "detail": detail,
    }
    body.update({k: v for k, v in extensions.items() if v is not None})
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {}))


def unavailable(error: Exception, request_line: str) -> Response:
    """503 for a database that cannot be reached; an ordinary answer, so the connection stays open."""
    log.warning("database unavailable on %s: %s", request_line, type(error).__name__)
    return problem_response(503, "the ledger's database cannot be reached just now; try again shortly",
                            type_="/problems/unavailable", title="Service unavailable",
                            headers={"Retry-After": str(RETRY_AFTER)})


def render(problem: ApiProblem) -> Response:
    return problem_response(problem.status, problem.detail, type_=problem.type, title=problem.title,
                            headers=problem.headers, **problem.extensions)


# ---- translating the ledger's errors ------------------------------------------------------

def invalid(detail: str, field: str | None = None, **extensions: Any) -> ApiProblem:
    message = detail if field is None or detail.startswith(field) else f"{field}: {detail}"
    return ApiProblem(422, message, type_="invalid-input", title="Invalid input", field=field, **extensions)


#: Where an officer defines a term the vocabulary lacks, as the API's answers say it.
HOW_TO_DEFINE = "with POST /vocabulary (or the web page /web/vocabulary)"


def said(error: LedgerError) -> str:
    """The words the API answers an error of the ledger with: its message, and for an unknown
    term where to define it (the domain names no route)."""
    return error.saying(HOW_TO_DEFINE) if isinstance(error, UnknownTerm) else error.message


def from_ledger_error(error: LedgerError, *, precondition: bool = False) -> ApiProblem:
    """The problem for an error the ledger raised (routes map NotFound of referenced ids first)."""
    if isinstance(error, VersionConflict):
        return ApiProblem(
            412 if precondition else 409, error.message, type_="version-conflict", title="Version conflict",
            current_version=error.current, expected_version=error.expected,
        )
    if isinstance(error, RequestKeyReused):
        return ApiProblem(
            422, "the Idempotency-Key was already used for a different request; use a new key for a new request",
            type_="request-key-reused", title="Idempotency-Key reused", field="Idempotency-Key",
        )
    if isinstance(error, HistoryNotCovered):
        # The store was written behind the ledger's back: nothing the caller can mend or retry,
        # and no record is named (it may be a protected source's); the operator runs `ledger verify`.
        return ApiProblem(503, error.message, type_="history-not-covered",
                          title="History not covered by the audit trail")
    if isinstance(error, NotFound):
        # No id in the message: a protected record must answer exactly as an absent one.
        return ApiProblem(404, f"no {error.kind} with this id")
    if isinstance(error, InvalidInput):
        field = "Idempotency-Key" if error.field == "request_key" else error.field
        return invalid(said(error), field)
    return ApiProblem(422, error.message, type_="invalid-input", title="Invalid input")


# ---- request validation -------------------------------------------------------------------

def _field_path(loc: Iterable[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "path", "query", "header", "cookie"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if part == "[key]":  # pydantic's marker for a dict key at fault: the key itself names it
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden" and list(error.get("loc", ()))[-1:] == ["actor"]:
        return ("not accepted in the body: every change is recorded as made by the owner"
                " of the access key that sent it")
    if error.get("type") == "extra_forbidden":
        return "this field is not part of the request"
    if error.get("type") == "missing":
        return "this field is required"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic's errors as the API states them: each field's body path and its message."""
    details: list[dict[str, str]] = []
    for e in errors:
        loc = list(e.get("loc", ()))
        cause = (e.get("ctx") or {}).get("error")
        sub_field = getattr(cause, "field", None)
        if sub_field:
            loc.append(sub_field)
        details.append({"field": _field_path(loc), "message": _message(e)})
    return details


def from_validation_error(exc: RequestValidationError) -> ApiProblem:
    errors = list(exc.errors())
    if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("header", "If-Match") for e in errors):
        return ApiProblem(428, 'this change requires If-Match with the ETag of the version you read,'
                          ' e.g. If-Match: "3"', type_="if-match-required", title="If-Match required")
    if any(e.get("type") == "json_invalid" for e in errors):
        return ApiProblem(400, "the body is not valid JSON", type_="malformed-request", title="Malformed request")
    details = field_errors(errors)
    if not details:
        return invalid("the request is not valid")
    first = details[0]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    if len(details) > 5:
        summary += f"; and {len(details) - 5} more"
    return ApiProblem(422, summary, type_="invalid-input", title="Invalid input", field=first["field"],
                      errors=details)


# ---- wiring -------------------------------------------------------------------------------

def install(app: FastAPI) -> None:
    """Make every error an application/problem+json response."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> Response:
        return render(exc)

    @app.exception_handler(LedgerError)
    async def _ledger_error(request: Request, exc: LedgerError) -> Response:
        return render(from_ledger_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return render(from_validation_error(exc))

    for kind in UNAVAILABLE:
        @app.exception_handler(kind)
        async def _unavailable(request: Request, exc: Exception) -> Response:
            return unavailable(exc, f"{request.method} {route_names.template(request.scope)}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if status == 404 and detail == "Not Found":
            detail = "there is no such resource"
        headers = dict(exc.headers or {})
        if status == 405:
            detail = f"{request.method} is not allowed here"
            headers["Allow"] = ", ".join(allowed(request.app.router.routes, request.scope))
        return problem_response(status, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Logged without the request body or any stored data; the caller learns nothing internal.
        log.error("unhandled error on %s %s: %s", request.method, route_names.template(request.scope),
                  type(exc).__name__)
        return problem_response(500, "the server could not answer this request")


# ---- OpenAPI ------------------------------------------------------------------------------

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not valid JSON, If-Match cannot be read, or the request carries"
         " more than one Authorization header.",
    401: "No access key, or the key is unknown or revoked (`Authorization: Bearer ilk_...`).",
    403: "The key's role may not do this.",
    404: "No such record. A protected source, and what only it could reveal, answers the same to anyone"
         " but an auditor.",
    406: "None of the formats the request accepts (`Accept`, `?format=`) can be given.",
    409: "Someone else changed the record while this request was being recorded; `current_version` says"
         " which version it has now. Nothing was recorded.",
    412: "If-Match names a version that is no longer current; `current_version` says which it is."
         " Nothing was recorded.",
    413: "The body is larger than the API accepts.",
    415: "The body is not `application/json`.",
    422: "Invalid values (`field` names the first at fault), an unknown referenced id, or an"
         " Idempotency-Key reused for a different request. Nothing was recorded.",
    428: "This change requires If-Match with the version you read (its ETag).",
    503: "The ledger's database cannot be reached just now (retry after `Retry-After` seconds), this part"
         " of the API is not set up on this server, or the record's stored history holds an event the audit"
         " trail does not cover (an operator must run `ledger verify`). Nothing was recorded.",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`, with `error=\"invalid_token\"` for an unknown key.",
                               "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before trying again (while the database is unreachable).",
                          "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"model": Problem, "description": DESCRIPTIONS[code]}
        if code in HEADERS:
            out[code]["headers"] = HEADERS[code]
    return out
