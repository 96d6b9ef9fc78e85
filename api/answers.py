"""Query answers kept as rendered bytes while the log stands still.

An answer from the views depends only on the request, on what the caller may see, and on
the log: the same request asked twice at the same head of the log gets the same bytes. So
an answer is kept under ``(request, visibility)`` for exactly as long as the head stays
where it was when the answer was made; the first request that finds the head moved drops
them all. The caller's visibility is part of the key, so an auditor's answer (protected
sources included) is never handed to anyone else.

``AnswerLane`` serves a kept answer before routing: a GET whose key was found live and whose
exact path and query were answered at this head, for the same visibility, gets those bytes
without the framework's parameter parsing and dependencies (which cost more than the
answer). Anything else (a miss, no key, a body) goes on to the app as usual, and only
answers the app made (after validating the request and the key) are ever kept.

The head is also the answer's ETag (with the visibility), so a client that sends it back
in ``If-None-Match`` gets 304 while nothing was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from starlette.types import ASGIApp, Receive, Scope, Send

from api import route_names
from api.deps import LOG_STATE, LogState, Principal, bearer_key, not_modified
from api.deps import etag as version_tag
from api.problems import UNAVAILABLE, ApiProblem, render, unavailable
from api.head_watch import AtHead

#: Set on a request whose views had reached the log's head: only then is its answer kept.
VIEWS_CURRENT = "ledger.views_current"
CACHE_HEADERS = {"Vary": "Authorization", "Cache-Control": "private, no-cache"}
_LANE_HEADERS = [(name.lower().encode(), value.encode()) for name, value in CACHE_HEADERS.items()]
ETAG_HELP = ('The log position the answer reflects (with what the caller may see), e.g. `"1042"`:'
             " send it back in If-None-Match to get 304 while nothing new was recorded.")


class Answers(AtHead):
    """Rendered answers at one head of the log (at most ``limit`` of them, of ``budget`` bytes
    together), each kept as ``(body, ETag, the record's version or None for a query)``. Once
    full, the answers least recently used make room (``AtHead``): a client walking through
    many ``as_of`` moments pushes out its own answers, not the tallies everyone asks for."""

    def __init__(self, limit: int = 1024, budget: int = 32 << 20) -> None:
        # Bytes as well as answers: a tally is ~1 KB, a figure history's page ~100 KB (one of
        # MAX_PAGE_SIZE versions more), and 1,024 of those would be 100 MB a worker.
        super().__init__(limit, budget, weight=lambda kept: len(kept[0]))


def _key(scope: Scope, caller: Principal) -> tuple[Any, ...]:
    # The caller's visibility is part of the key: an auditor's answer is never anyone else's.
    # So is Accept: it picks the format (api/exports), and a JSON answer is no CSV one.
    accept = next((value for name, value in scope["headers"] if name == b"accept"), None)
    return (scope["path"], scope["query_string"], accept, caller.sees_protected)


def etag(now: LogState, caller: Principal) -> str:
    return f'"{now.head}{"a" if caller.sees_protected else ""}"'


def _matches(if_none_match: str | None, tag: str) -> bool:
    if if_none_match is None:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def _held(if_none_match: str | None, kept: tuple[bytes, str, int | None]) -> bool:
    """Whether the caller holds this answer: a record by its version (as If-Match reads one), a query by its tag."""
    _, tag, version = kept
    return not_modified(if_none_match, version) if version is not None else _matches(if_none_match, tag)


async def answer(request: Request, now: LogState, caller: Principal, model: type[BaseModel],
                 compute: Callable[[], Any], if_none_match: str | None = None) -> Response:
    """The answer to this request as ``model`` renders it, from the cache while the log stands still."""
    return await answer_bytes(request, now, caller, lambda: _render(model, compute), if_none_match)


async def answer_bytes(request: Request, now: LogState, caller: Principal, render: Callable[[], bytes],
                       if_none_match: str | None = None) -> Response:
    """The answer to this request as ``render`` makes its JSON, from the cache while the log stands still."""
    tag = etag(now, caller)
    headers = {"ETag": tag, **CACHE_HEADERS}
    if _matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    answers: Answers = request.app.state.answers
    key = _key(request.scope, caller)
    kept = answers.get(now.head, key)
    if kept is None:
        kept = (await run_in_threadpool(render), tag, None)
        if request.scope.get(VIEWS_CURRENT):
            answers.put(now.head, key, kept)
    return Response(content=kept[0], media_type="application/json", headers=headers)


async def answer_record(request: Request, now: LogState, caller: Principal, model: type[BaseModel],
                        compute: Callable[[], dict[str, Any]], if_none_match: str | None = None) -> Response:
    """A record read by id, as ``model`` renders it, with its version as ETag (304 when the
    caller holds it); kept, as the queries' answers are, while the log stands still."""
    answers: Answers = request.app.state.answers
    key = _key(request.scope, caller)
    kept = answers.get(now.head, key)
    if kept is None:
        record = await run_in_threadpool(compute)
        kept = (_render(model, lambda: record), version_tag(record["version"]), record["version"])
        if request.scope.get(VIEWS_CURRENT):
            answers.put(now.head, key, kept)
    body, tag, _ = kept
    headers = {"ETag": tag, **CACHE_HEADERS}
    if _held(if_none_match, kept):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


def _render(model: type[BaseModel], compute: Callable[[], Any]) -> bytes:
    # As FastAPI would render it through response_model (validated, JSON mode), once per head.
    return orjson.dumps(model.model_validate(compute()).model_dump(mode="json"), option=orjson.OPT_NON_STR_KEYS)


class AnswerLane:
    """ASGI middleware: a GET that a kept answer fits is answered from memory (see the module docstring)."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            key = bearer_key(scope["headers"])  # the app's own rule: a request with two is refused here
        except ApiProblem as problem:
            await render(problem)(scope, receive, send)
            return
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
                key = None  # a GET with a body: the app's guard has a word to say about it
                break
        if key is not None:
            try:
                now: LogState = await self.state.head_watch.current()
            except UNAVAILABLE as error:  # answered here: past this middleware it would drop the connection
                await unavailable(error, f"GET {route_names.template(scope)}")(scope, receive, send)
                return
            scope[LOG_STATE] = now  # the app reuses it on a miss: the request's reading of the log
            caller = self.state.key_checks.get(now.head, key)
            kept = None if caller is None else self.state.answers.get(now.head, _key(scope, caller))
            if kept is not None:
                body, tag, _ = kept
                status = 304 if _held(if_none_match, kept) else 200
                headers = [(b"etag", tag.encode()), *_LANE_HEADERS]
                if status == 200:
                    headers += [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body if status == 200 else b""})
                return
        await self.app(scope, receive, send)
