"""The feed of changes: what changed in the current figures since a log position, for mirrors.

Every role may ask; protected sources are withheld from all but auditors, as in every answer
(projections/changes.py says what counts as a change; projections/redaction.py how a
protected source reads). The views are brought up to the log's head first (Reader), so a
page holds every change recorded before the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Caller, Now
from api.problems import invalid, responses
from api.query_models import Changes
from api.routers._shared import Reader
from ledger import limits
from projections import changes

router = APIRouter(tags=["queries"])

MAX = limits.MAX_POSITION


@router.get("/changes", response_model=Changes, responses=responses(401, 422, 503), summary="What changed since")
def changed_since(
    reader: Reader, caller: Caller, now: Now,
    since: Annotated[int, Query(ge=0, le=MAX, description="A log position: `next_since` of the previous page, the"
                                                          " `Ledger-Position` of an export, or 0 for everything.")],
    limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE, description="Changes per page; the changes of one position are never split, so one"
                                                              " that touched more figures (a protection change) can"
                                                              " make a page longer.")] = 100,
) -> Any:
    """The figures whose current value, grade or status changed after position `since`, in log
    order; a retraction is a removal. Pass `next_since` back as `since` for the next page."""
    if since > now.head:
        raise invalid(f"since {since} is past the log's head ({now.head}): it is no position this ledger gave out",
                      "since")
    return changes.feed(reader.db, since=since, limit=limit, include_protected=caller.sees_protected)
