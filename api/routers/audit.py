"""The audit trail over HTTP: the audit log and mirror (auditors), proofs, checkpoints, the public key (anyone).

Proofs, checkpoints and the public key need no key: they reveal hashes only, and anyone who
was handed a tally with its attestation must be able to check it. An inclusion proof also
names its leaf's record (id, version), except to non-auditors when that record would tell
who a protected source is (projections/redaction.py, record_hidden): then ``leaf`` is null and the
hash path is all there is. The audit log and the mirror show every event (the mirror
carries every stored payload, protected sources included, as stored): auditors only.

Hashes are standard padded base64, as in the checkpoints. A proof is only as good as the
root it is checked against: take size and root from a checkpoint verified with the
verifier key you obtained out of band, never from this server's answer (docs/audit-trail.md).

The app must hold an ``AuditTrail`` in ``app.state.audit`` (see ``attach``).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from api.deps import Auditor, Principal, bearer, bearer_key, principal
from api.exports import kinds
from api.exports import rows as export_rows
from api.exports.about import stated
from api.exports.negotiate import Accept, Format, Streamed, choose, documented, export, give
from api.models import text
from ledger import limits
from api.problems import ApiProblem, invalid, responses
from api.answers import VIEWS_CURRENT
from api.routers._shared import Reader, moment
from projections.paging import decode_cursor, encode_cursor

log = logging.getLogger("api")

router = APIRouter(prefix="/audit", tags=["audit"])

NDJSON = "application/x-ndjson"
MAX = limits.MAX_POSITION


def attach(app: Any, store: Any, *, ledger: Any = None, checkpoint_every: float | None = None) -> Any:
    """Give ``app`` an AuditTrail on ``store`` (sharing ``ledger``), and optionally a checkpointer thread.

    Returns the trail; the caller closes it (and stops ``app.state.audit_checkpointer``) at shutdown.
    """
    from projections.audit.trail import AuditTrail

    trail = AuditTrail(store, ledger=ledger)
    app.state.audit = trail
    app.state.audit_checkpointer = trail.start(checkpoint_every) if checkpoint_every else None
    return trail


def trail_of(request: Request) -> Any:
    """The server's audit trail, or a 503 when it has none (the API's routes and the web's audit pages)."""
    trail = getattr(request.app.state, "audit", None)
    if trail is None:
        raise ApiProblem(503, "the audit trail is not set up on this server", title="Service unavailable")
    return trail


Trail = Annotated[Any, Depends(trail_of)]

ANONYMOUS = Principal(key_id="", owner="", role="anonymous")


async def _viewer(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Principal:
    """The caller of a route that needs no key: anyone without one; a key sent must be good (401)."""
    if bearer_key(request.scope["headers"]) is None:  # the one reading of the key (two headers: 400)
        return ANONYMOUS
    return await principal(request, credentials)


Viewer = Annotated[Principal, Depends(_viewer)]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return responses(*codes, 503)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from projections.audit.trail import AuditRequestError, MirrorSourceError, NotFoundError

    try:
        return fn(*args, **kwargs)
    except AuditRequestError as error:
        raise invalid(str(error), error.field) from None
    except NotFoundError as error:
        raise ApiProblem(404, str(error)) from None
    except MirrorSourceError as error:  # the event table lost what the tree holds: the server's state, said so
        raise ApiProblem(409, f"{error}; run `ledger verify`", title="The log and its tree disagree") from None


# ---- models ----------------------------------------------------------------------------------

class LogEntry(BaseModel):
    position: int = Field(description="The event's leaf position in the Merkle tree (0-based, dense).")
    notification_id: int
    recorded_at: str = Field(description="UTC, ISO 8601 with microseconds, e.g. 2019-05-01T10:00:00.000000Z.")
    actor: str | None
    topic: str
    kind: str = Field(description="The event type, e.g. Figure.Corrected.")
    aggregate_id: str
    aggregate_version: int
    figure_id: str | None
    incident_id: str | None
    reason: str | None
    evidence: list[str] | None = Field(description="The citation ids a judgement cites (an adoption, a correction,"
                                                   " a supersession, a grade, a retraction); null if none.")


class LogPage(BaseModel):
    items: list[LogEntry]
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page; null on the last.")


class CheckpointOut(BaseModel):
    size: int
    root: str = Field(description="Base64 RFC 9162 root hash of the first `size` leaves.")
    time: str
    note: str = Field(description="The C2SP signed note (tlog-checkpoint), as signed.")


class PublicKey(BaseModel):
    origin: str
    verifier_key: str = Field(description="C2SP signed-note verifier key: <name>+<key id>+<base64 key>.")


class LeafRef(BaseModel):
    notification_id: int
    originator_id: str
    originator_version: int


class InclusionProof(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    root: str = Field(description="The root the proof leads to; trust only a root from a verified checkpoint.")
    leaf: LeafRef | None = Field(description="The leaf's record; null to anyone but an auditor when it would tell"
                                             " who a protected source is (its records, reports, citations).")
    checkpoint: str | None = Field(description="The signed checkpoint of this size, if one was made.")


class StoredEvent(BaseModel):
    position: int
    originator_id: str
    version: int
    topic: str
    state: str = Field(description="The stored state bytes exactly as persisted (ciphertext when the cipher is"
                                   " on), standard padded base64.")
    recorded_at: str


class LeafWithProof(BaseModel):
    index: int
    size: int = Field(description="The size of the latest checkpoint's tree, which the proof is against.")
    record: StoredEvent = Field(description="The fields the leaf bytes are made of (ledger/audit/leaf.py).")
    leaf_bytes: str = Field(description="The leaf bytes themselves, base64: leaf hash = SHA-256(0x00 || leaf bytes).")
    leaf_hash: str
    proof: list[str]
    root: str
    checkpoint: str = Field(description="The latest signed checkpoint (C2SP signed note): check its signature,"
                                        " then that the proof leads from the leaf hash to its root.")


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: list[str]
    first_root: str
    second_root: str
    first_checkpoint: str | None
    second_checkpoint: str | None


# ---- routes --------------------------------------------------------------------------------------

#: An event's kind as the log names it: its record's class and the event's (projection.kind_of).
KIND = r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*"
KIND_PATTERN = rf"^{KIND}$"
#: The orders the log is read in.
Order = Literal["oldest", "newest"]


def _log_responses() -> dict[int | str, dict[str, Any]]:
    exported = documented()
    return {**_errors(401, 403, 422), **exported}


@router.get("/log", response_model=LogPage, responses=_log_responses(), summary="The audit log")
def audit_log(
    trail: Trail, caller: Auditor,
    actor: Annotated[text(limits.MAX_FILTER) | None, Query(description="Only events by this actor.")] = None,
    figure_id: Annotated[UUID | None, Query(description="Only events of this figure (and citations of it).")] = None,
    incident_id: Annotated[UUID | None, Query(description="Only events concerning this incident.")] = None,
    kind: Annotated[str | None, Query(max_length=limits.MAX_FILTER, pattern=KIND_PATTERN,
                                      description="Only events of this kind, as the log names them"
                                                  " (`Citation.Cited`); `GET /audit/kinds` lists them.")] = None,
    since: moment("Recorded at or after (ISO 8601 with a zone, or a date: the start of that day in UTC).",
                  opens=True) = None,
    until: moment("Recorded before (ISO 8601 with a zone, or a date: the end of that day in UTC).") = None,
    cursor: Annotated[str | None, Query(max_length=limits.MAX_LOG_CURSOR, description="`next_cursor` of the previous page"
                                                                                      " (of the same `order`).")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE)] = 100,
    order: Annotated[Order, Query(description="`oldest` first (log order) or `newest` first.")] = "oldest",
    format_: Format = None, accept: Accept = None,
) -> Any:
    """Every event in log order (or the latest first, `order=newest`): who, when (UTC), what, to which
    record, why, and on what evidence. Auditors only.

    Also every event at once (from `cursor` on; `limit` is then the size of the pages read) as a
    spreadsheet: `?format=` or `Accept`. It stops at the tree as it stood when it began, and states
    that tree size and its ledger position: check it against a checkpoint of that size or later."""
    fmt = choose(format_, accept)
    try:
        trail.catch_up()
    except Exception as error:  # noqa: BLE001 - stale but available; the log says why
        log.warning("audit catch-up failed before a log query: %s", type(error).__name__)
    filters = {"actor": actor, "figure_id": None if figure_id is None else str(figure_id),
               "incident_id": None if incident_id is None else str(incident_id), "kind": kind,
               "since": since, "until": until}

    def entries(after: str | None, size: int) -> dict[str, Any]:
        return _call(trail.log, **filters, cursor=after, limit=size, newest_first=order == "newest")

    if fmt == "json":
        return entries(cursor, limit)
    size, position = _head(trail)
    newest = order == "newest"
    return give(fmt, kinds.audit_log(lambda after, n: entries(cursor if after is None else after, n), size,
                                     stated(position, trail, **filters, order=order if newest else None),
                                     newest_first=newest))


@router.get("/kinds", response_model=list[str], responses=_errors(401, 403), summary="The kinds of event the audit log holds")
def audit_kinds(trail: Trail, caller: Auditor) -> Any:
    """The kinds of event the log holds (`Figure.Stated`, `Citation.Cited`, ...), the values `kind`
    filters `GET /audit/log` by. Auditors only."""
    return _call(trail.kinds)


def _head(trail: Any) -> tuple[int, int]:
    """The tree's size as an export begins (later events wait for the next one) and its ledger position."""
    size = trail.size()
    return size, (_call(trail.leaf, size - 1)["notification_id"] if size else 0)


def checkpoint_page(trail: Any, kind: str, cursor: str | None, limit: int | None, *,
                    newest_first: bool = False, signed_by: datetime | None = None) -> dict[str, Any]:
    """A page of checkpoints from ``cursor`` (one this ``kind`` of list gave out, else 422 naming
    it) in size order, largest first with ``newest_first``; every one left when ``limit`` is None."""
    after = decode_cursor(kind, cursor)
    if after is not None and not (after.isascii() and after.isdigit() and int(after) <= MAX):
        raise invalid(f"cursor is not one this {kind} list gave out", "cursor")
    signed = [c.to_dict() for c in trail.checkpoints(past=None if after is None else int(after),
                                                     limit=None if limit is None else limit + 1,
                                                     newest_first=newest_first, signed_by=signed_by)]
    more = limit is not None and len(signed) > limit
    items = signed[:limit] if more else signed
    return {"items": items, "next_cursor": encode_cursor(kind, str(items[-1]["size"])) if more else None}


class CheckpointPage(BaseModel):
    items: list[CheckpointOut]
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page; null on the last.")


@router.get("/checkpoints", response_model=CheckpointPage, responses={**_errors(422), **documented()},
            summary="The signed checkpoints, a page at a time")
def checkpoints(
    trail: Trail,
    cursor: Annotated[str | None, Query(max_length=limits.MAX_CURSOR, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE)] = 100,
    format_: Format = None, accept: Accept = None,
) -> Any:
    """The checkpoints signed so far, smallest tree first, a page at a time. No key needed: hashes only.

    Also every one (from `cursor` on) as a spreadsheet (`?format=` or `Accept`), a row per
    checkpoint with its signed note."""
    fmt = choose(format_, accept)
    if fmt == "json":
        return checkpoint_page(trail, "checkpoints", cursor, limit)
    signed = checkpoint_page(trail, "checkpoints", cursor, None)["items"]
    _, position = _head(trail)
    return export(fmt, export_rows.CHECKPOINT_COLUMNS, signed, signed, stated(position, trail), "checkpoints")


@router.get("/checkpoints/latest", response_model=CheckpointOut, responses=_errors(404),
            summary="The latest signed checkpoint")
def latest_checkpoint(trail: Trail) -> Any:
    """The newest signed tree head. No key needed."""
    checkpoint = trail.latest_checkpoint()
    if checkpoint is None:
        raise ApiProblem(404, "no checkpoint has been signed yet")
    return checkpoint.to_dict()


@router.get("/checkpoints/{size}", response_model=CheckpointOut, responses=_errors(404, 422),
            summary="The checkpoint of one tree size")
def checkpoint_of_size(trail: Trail, size: Annotated[int, Path(ge=1, le=MAX)]) -> Any:
    """The signed checkpoint of exactly this tree size, if one was made. No key needed."""
    return _call(trail.checkpoint, size).to_dict()


@router.get("/proofs/inclusion", response_model=InclusionProof, responses=_errors(401, 422),
            summary="Proof that a leaf is in the tree", openapi_extra={"security": [{}]})  # the key is optional
def inclusion(trail: Trail, request: Request, caller: Viewer, reader: Reader, index: Annotated[int, Query(ge=0, le=MAX)],
              size: Annotated[int, Query(ge=1, le=MAX)]) -> Any:
    """RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves. No key needed; a leaf
    that would tell who a protected source is shows as its hash path only, except to auditors."""
    proof = _call(trail.inclusion, index, size)
    leaf = proof["leaf"]
    if leaf is not None and reader.hides_record(leaf["originator_id"], include_protected=caller.sees_protected,
                                                current=bool(request.scope.get(VIEWS_CURRENT))):
        proof["leaf"] = None
    return proof


@router.get("/proofs/consistency", response_model=ConsistencyProof, responses=_errors(422),
            summary="Proof that one tree extends another")
def consistency(trail: Trail, first: Annotated[int, Query(ge=1, le=MAX)],
                second: Annotated[int, Query(ge=1, le=MAX)]) -> Any:
    """RFC 9162 consistency proof that the tree of `first` leaves is a prefix of the tree of `second`. No key needed."""
    return _call(trail.consistency, first, second)


@router.get("/public-key", response_model=PublicKey, responses=_errors(), summary="The checkpoint verifier key")
def public_key(trail: Trail) -> Any:
    """The key checkpoints verify with. Compare it with the one published out of band: a key fetched
    from the server it is meant to check proves nothing on its own."""
    return trail.public_key()


@router.get("/leaves/{index}", response_model=LeafWithProof, responses=_errors(401, 403, 404, 409, 422),
            summary="One event as stored, with its inclusion proof")
def leaf(trail: Trail, caller: Auditor, index: Annotated[int, Path(ge=0, le=MAX)]) -> Any:
    """The event at position `index` as stored (protected sources included, ciphertext when the cipher
    is on: what its leaf hash is computed from) with its RFC 9162 inclusion proof in the tree of the
    latest signed checkpoint, and that checkpoint. Auditors only, as the mirror; 404 when the event is
    not covered by a checkpoint yet."""
    return _call(trail.leaf_with_proof, index)


@router.get("/mirror", response_class=StreamingResponse, responses={
    200: {"content": {NDJSON: {}}, "description": "One leaf record per line, then {\"checkpoint\": note}."},
    **_errors(401, 403, 404, 422)}, summary="The log as NDJSON, for auditors' mirrors")
def mirror(trail: Trail, caller: Auditor,
           start: Annotated[int, Query(alias="from", ge=0, le=MAX, description="First position.")] = 0) -> Any:
    """Every stored event from position `from` to the latest checkpoint, as stored (ciphertext when
    the cipher is on), one `LeafRecord` JSON per line, then the checkpoint covering them. Auditors only."""
    lines = _call(trail.mirror, start)
    return Streamed(lines, media_type=NDJSON)
