"""What the routers share: response documentation, and the views caught up to the log's head
before a read (one head read per group of requests, projections/log_position.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BeforeValidator

from api.answers import VIEWS_CURRENT
from api.deps import Now
from api.problems import ApiProblem, responses
from ledger import checks, limits

log = logging.getLogger("api")

ETAG_HEADER = {"ETag": {"description": 'The record\'s version as an ETag, e.g. `"3"`: send it back in If-Match.',
                        "schema": {"type": "string"}}}
LOCATION_HEADER = {"Location": {"description": "Where the new record can be read.", "schema": {"type": "string"}}}

#: Errors every authenticated read can give; reads by id add 404 (and 422 for a malformed id).
READ_ERRORS = responses(401, 404, 422)
#: Errors every command can give before it reaches the ledger.
COMMAND_ERRORS = responses(400, 401, 403, 413, 415, 422)


def read_responses() -> dict[int | str, dict[str, Any]]:
    return {200: {"headers": ETAG_HEADER}, 304: {"description": "Not modified.", "headers": ETAG_HEADER},
            **READ_ERRORS}


def created_responses() -> dict[int | str, dict[str, Any]]:
    return {201: {"headers": LOCATION_HEADER}, **COMMAND_ERRORS}


def created(request: Request, response: Response, route: str, **ids: str) -> None:
    response.headers["Location"] = request.app.url_path_for(route, **ids)


async def _reader(request: Request, now: Now) -> Any:
    state = request.app.state
    if state.reader is None:
        raise ApiProblem(503, "the read model is not set up on this server", title="Service unavailable")
    current = now.views is not None and now.views >= now.head
    if state.follower is not None and not current:
        current = await run_in_threadpool(_catch_up, state, now.head)
    request.scope[VIEWS_CURRENT] = current  # a stale answer is given, never kept (api.answers)
    return state.reader


def _catch_up(state: Any, head: int) -> bool:
    """Bring the views to ``head`` at least; whether they got there. Only requests that found them behind come here."""
    try:
        with state.catching_up:  # the others wait for it, then find it done: one cheap read
            if state.follower.position() < head:
                state.follower.catch_up()
            return state.follower.position() >= head
    except Exception as error:  # stale but available beats unavailable; the log says why
        log.warning("projection catch-up failed before a query: %s", type(error).__name__)
        return False


Reader = Annotated[Any, Depends(_reader)]


def _iso_moment(value: Any) -> Any:
    return checks.read_moment(value) if isinstance(value, str) else value


def _opening_moment(value: Any) -> Any:
    return checks.read_moment(value, opens=True) if isinstance(value, str) else value


def moment(description: str, *, opens: bool = False) -> Any:
    """A recording time in a query (as_of, since, until), by the rule the pages and the CLI share
    (ledger/checks.py ``read_moment``; ``opens``: a bare date is the day's start, as ``since``'s):
    a 422 naming the field, never a time no read can hold."""
    return Annotated[datetime | None, BeforeValidator(_opening_moment if opens else _iso_moment),
                     Query(description=description, json_schema_extra={"pattern": limits.RECORDED_MOMENT_PATTERN})]


AsOf = moment("Recording time: the answer as the ledger gave it then (ISO 8601 with a zone, e.g."
              " 2019-05-01T10:00:00Z, or a date, 2019-05-01, meaning the end of that day in UTC;"
              f" {limits.FIRST_RECORDED_YEAR} to {limits.LAST_YEAR}).")


#: The sources' publication cut-off (projections/publication.py): checked there, so that a bad
#: one is refused with the same problem naming ``published_by`` on every route.
PublishedBy = Annotated[str | None, Query(
    min_length=1, max_length=limits.MAX_MOMENT, description="Publication time: count only what the sources had published by then (a date,"
                               " YYYY-MM-DD, meaning by the end of that day, or a date and time with a zone)."
                               " Combines with `as_of` (recording time); docs/model.md, \"Three times\".",
    json_schema_extra={"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})]
