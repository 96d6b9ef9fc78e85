"""What the routers share: response documentation, and answering a read with its ETag."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from api.deps import etag, not_modified
from api.problems import responses

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


def answer_read(model: BaseModel, version: int, response: Response, if_none_match: str | None) -> Any:
    """The record with its ETag; 304 when the caller already holds this version."""
    headers = {"ETag": etag(version), "Vary": "Authorization", "Cache-Control": "private, no-cache"}
    if not_modified(if_none_match, version):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return model


def created(request: Request, response: Response, route: str, **ids: str) -> None:
    response.headers["Location"] = request.app.url_path_for(route, **ids)
