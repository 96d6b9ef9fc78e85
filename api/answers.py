"""Query answers kept as rendered bytes while the log stands still.

An answer from the views depends only on the request, on what the caller may see, and on
the log: the same request asked twice at the same head of the log gets the same bytes. So
an answer is kept under ``(request, visibility)`` for exactly as long as the head stays
where it was when the answer was made; the first request that finds the head moved drops
them all. The caller's visibility is part of the key, so an auditor's answer (protected
sources included) is never handed to anyone else.

The head is also the answer's ETag (with the visibility), so a client that sends it back
in ``If-None-Match`` gets 304 while nothing was recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import LogState, Principal

CACHE_HEADERS = {"Vary": "Authorization", "Cache-Control": "private, no-cache"}
ETAG_HELP = ('The log position the answer reflects (with what the caller may see), e.g. `"1042"`:'
             " send it back in If-None-Match to get 304 while nothing new was recorded.")


class Answers:
    """Rendered answers at one head of the log (at most ``limit`` of them)."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._head = -1
        self._bodies: dict[tuple[Any, ...], bytes] = {}
        self._lock = threading.Lock()

    def get(self, head: int, key: tuple[Any, ...]) -> bytes | None:
        if head != self._head:
            return None
        return self._bodies.get(key)

    def put(self, head: int, key: tuple[Any, ...], body: bytes) -> None:
        with self._lock:
            if head > self._head:
                self._bodies, self._head = {}, head
            if head == self._head and len(self._bodies) < self.limit:
                self._bodies[key] = body


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


async def answer(request: Request, now: LogState, caller: Principal, model: type[BaseModel],
                 compute: Callable[[], Any], if_none_match: str | None = None) -> Response:
    """The answer to this request as ``model`` renders it, from the cache while the log stands still."""
    tag = etag(now, caller)
    headers = {"ETag": tag, **CACHE_HEADERS}
    if _matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    answers: Answers = request.app.state.answers
    key = (request.scope["path"], request.scope["query_string"], caller.sees_protected)
    body = answers.get(now.head, key)
    if body is None:
        body = await run_in_threadpool(_render, model, compute)
        answers.put(now.head, key, body)
    return Response(content=body, media_type="application/json", headers=headers)


def _render(model: type[BaseModel], compute: Callable[[], Any]) -> bytes:
    # As FastAPI would render it through response_model (validated, JSON mode), once per head.
    return orjson.dumps(model.model_validate(compute()).model_dump(mode="json"), option=orjson.OPT_NON_STR_KEYS)
