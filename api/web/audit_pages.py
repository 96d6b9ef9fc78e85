"""The auditors' pages: the audit log with its filters, the checkpoints, the public key, and
the commands that verify all of it offline; one event as stored, with its inclusion proof checked
in the browser. Auditors only, as the API's /audit/log and /audit/leaves/{index}."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import may_read_audit_trail
from api.routers._shared import Reader
from api.routers.audit import KIND, MAX, Order, checkpoint_page, trail_of
from api.routers.audit import _call as audit_call
from api.web import audit_build
from api.web.pages import AsOf, Signed, Words, moment
from api.web.render import PREFIX, kept_cut, link, page
from ledger import limits
from ledger.errors import NotFound

router = APIRouter(include_in_schema=False, dependencies=[Depends(kept_cut)])

#: Seconds between the reloads of the page while the tree is built (a meta refresh: no script needed).
RELOAD = 2


#: Checkpoints the audit page shows at once.
CHECKPOINTS_SHOWN = 20

#: A kind of event to filter by, or none (the form's empty choice).
Kind = Annotated[str | None, Query(max_length=limits.MAX_FILTER, pattern=rf"^(?:{KIND})?$")]


def reports_backed(reader: Any, items: list[dict[str, Any]]) -> dict[str, str]:
    """The report each citation on the page backs, by citation id, where its row names no figure
    (the log files a citation under the figure it backs, and a report's under nothing): one read
    of the citation each, at most a page's worth. Auditors only, who may see every report."""
    backed: dict[str, str] = {}
    for e in items:
        ident = e["aggregate_id"]
        if e["kind"].startswith("Citation.") and not e["figure_id"] and ident not in backed:
            try:
                found = reader.citation_record(ident, include_protected=True)
            except NotFound:  # the views not there yet: the citation's own link still says it
                continue
            if found.get("target_kind") == "report" and found.get("target_id"):
                backed[ident] = found["target_id"]
    return backed


def recorded_by(until: datetime | None, as_of: datetime | None) -> datetime | None:
    """The log's bound: before ``until`` and, as of a time, recorded at or by it (``until`` is
    exclusive; the log's times are to the microsecond)."""
    if as_of is None:
        return until
    by = as_of + timedelta(microseconds=1)
    return by if until is None else min(until, by)


@router.get(PREFIX + "/audit", response_class=HTMLResponse)
async def audit(
    request: Request, session: Signed, reader: Reader,
    actor: Words = None,
    figure_id: Annotated[UUID | None, Query()] = None, incident_id: Annotated[UUID | None, Query()] = None,
    kind: Kind = None,
    since: Annotated[str | None, Query(max_length=limits.MAX_MOMENT)] = None,
    until: Annotated[str | None, Query(max_length=limits.MAX_MOMENT)] = None,
    cursor: Annotated[str | None, Query(max_length=limits.MAX_LOG_CURSOR)] = None,
    checkpoints: Annotated[str | None, Query(max_length=limits.MAX_CURSOR)] = None,
    order: Annotated[Order, Query()] = "oldest",
    as_of: AsOf = None,
) -> Any:
    await may_read_audit_trail(session.caller)
    trail = trail_of(request)
    built = audit_build.progress(trail)
    if not built.ready:
        return page(request, "audit_building.html", session, progress=built, reload=RELOAD,
                    headers={"Refresh": str(RELOAD), "Retry-After": str(RELOAD)})
    log = audit_call(trail.log, actor=actor or None, figure_id=None if figure_id is None else str(figure_id),
                    incident_id=None if incident_id is None else str(incident_id), kind=kind or None,
                    since=moment(since, "since"), until=recorded_by(moment(until, "until"), moment(as_of)),
                    cursor=cursor, limit=100, newest_first=order == "newest")
    # The latest first, a page at a time (a trail signs them without end; the download has them all).
    signed = checkpoint_page(trail, "earlier-checkpoints", checkpoints, CHECKPOINTS_SHOWN, newest_first=True,
                             signed_by=moment(as_of))
    filters = {"actor": actor, "figure_id": figure_id, "incident_id": incident_id, "kind": kind, "since": since,
               "until": until, "order": order if order == "newest" else None}  # log order needs no word
    wanted = {k: v for k, v in {**filters, "cursor": log["next_cursor"]}.items() if v}
    next_link = link(request, PREFIX + "/audit", **wanted) if log["next_cursor"] else None  # keeps as of, cut
    earlier = {**{k: v for k, v in {**filters, "cursor": cursor}.items() if v}, "checkpoints": signed["next_cursor"]}
    earlier_link = link(request, PREFIX + "/audit", **earlier) if signed["next_cursor"] else None
    return page(request, "audit.html", session, next_link=next_link, log=log, checkpoints=signed["items"],
                earlier_link=earlier_link, latest=trail.latest_checkpoint(signed_by=moment(as_of)), public_key=trail.public_key(), filters=filters,
                kinds=audit_call(trail.kinds), order=order, reports=reports_backed(reader, log["items"]),
                base=str(request.base_url).rstrip("/"))


@router.get(PREFIX + "/audit/leaves/{index}", response_class=HTMLResponse)
async def leaf(request: Request, session: Signed, index: Annotated[int, Path(ge=0, le=MAX)]) -> Any:
    """One event as stored, its leaf bytes and its proof path, for the browser to check (proof.js)."""
    await may_read_audit_trail(session.caller)
    trail = trail_of(request)
    found = audit_call(trail.leaf_with_proof, index)
    return page(request, "audit_leaf.html", session, found=found, public_key=trail.public_key(),
                base=str(request.base_url).rstrip("/"))
