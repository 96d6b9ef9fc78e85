"""Dependencies every route shares: who is calling, in which role, and the request's preconditions.

* ``Authorization: Bearer ilk_...`` is checked against the ledger (one lookup of the key's
  hash), and the answer kept only while the log's head stays put: a revoked key stops
  working at once, whichever process revoked it (KeyChecks). No key, or an unknown or revoked one: 401.
  A role that may not use the route: 403.
* ``If-Match: "<version>"`` names the version of the record the caller read (its ETag).
* ``Idempotency-Key: <key>`` makes a POST safe to retry: it is the ledger's request key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import UNAVAILABLE, ApiProblem, from_ledger_error, invalid
from api.head_watch import AtHead
from ledger.access import GIVES_COMMANDS, READS_AUDIT_TRAIL, SEES_PROTECTED, key_hash
from ledger.application import Ledger
from ledger.errors import LedgerError, NotFound
from ledger.limits import MAX_REQUEST_KEY, MAX_VERSION

T = TypeVar("T")

log = logging.getLogger("api")

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="ilk_<secret>",
    description="An access key from `ledger keys issue`; its role (officer, auditor, reader) decides what it may do.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: the owner of the access key, who is the actor of every event it records."""

    key_id: str
    owner: str
    role: str

    @property
    def sees_protected(self) -> bool:
        return self.role in SEES_PROTECTED

    @property
    def gives_commands(self) -> bool:
        return self.role in GIVES_COMMANDS

    @property
    def reads_audit_trail(self) -> bool:
        return self.role in READS_AUDIT_TRAIL


async def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


# ---- where the log stands -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LogState:
    """The log's head (last notification id) when the request was taken up, and how far the
    views had got then (None on a server without them). Everything answered before this
    request was recorded at or below ``head``."""

    head: int
    views: int | None


def read_log_state(state: Any) -> LogState:
    """One cheap statement (in a worker thread; see api.head_watch for how requests share it)."""
    standing = getattr(state, "standing", None)
    if standing is not None:
        try:
            head, views = standing()
            return LogState(head, views)
        except UNAVAILABLE:
            # The database is down, not the views missing: the request answers 503 now, rather
            # than after the fallback below waits out the library's ten retries (~12 s).
            raise
        except Exception as error:  # no view tables yet: the query routes then say why themselves
            log.warning("reading the views' position failed: %s", type(error).__name__)
    return LogState(state.ledger.recorder.max_notification_id() or 0, None)


#: Where a request's LogState is kept once read (AnswerLane may have read it already).
LOG_STATE = "ledger.log_state"


async def log_state(request: Request) -> LogState:
    now = request.scope.get(LOG_STATE)
    if now is None:
        now = request.scope[LOG_STATE] = await request.app.state.head_watch.current()
    return now


Now = Annotated[LogState, Depends(log_state)]


class KeyChecks(AtHead):
    """Callers whose key was found live, valid while the log's head stays where it was read.

    Revoking a key is an event: it moves the head, whichever process records it (the CLI
    included), and the next request reads the new head before anything else, so the cache
    is dropped and the key checked again. A key is never let in on a head older than the
    one its request read.
    """

    def __init__(self) -> None:
        super().__init__(limit=4096)

    def get(self, head: int, key: str) -> Principal | None:
        return super().get(head, key_hash(key))

    def put(self, head: int, key: str, caller: Principal) -> None:
        super().put(head, key_hash(key), caller)


def bearer_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The access key of a request (its raw ASGI headers): the credentials of its one
    ``Authorization: Bearer`` header, or None without one.

    Two Authorization headers are refused (400): servers, proxies and caches disagree on which
    one counts (the first, the last, both joined), so a request that carries two means whatever
    its reader decides. The answer cache and the key check both read the key here.
    """
    found = [value for name, value in headers if name == b"authorization"]
    if len(found) > 1:
        raise ApiProblem(400, "send one Authorization header, not several", type_="malformed-request",
                         title="Malformed request", field="Authorization")
    if not found:
        return None
    scheme, _, credentials = found[0].decode("latin-1").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


async def principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    """The caller (the ``bearer`` dependency states the scheme in the schema; the key is read by ``bearer_key``)."""
    key = bearer_key(request.scope["headers"])
    if key is None:
        raise ApiProblem(401, "send your access key as `Authorization: Bearer ilk_...`",
                         headers={"WWW-Authenticate": 'Bearer realm="ledger"'})
    checks: KeyChecks = request.app.state.key_checks
    # Only reads keep checked keys: every write moves the head, so for a write the reading
    # of the log would cost a statement and find the cache dropped anyway.
    now = await log_state(request) if request.method == "GET" else None
    if now is not None and (caller := checks.get(now.head, key)) is not None:
        return caller
    access = await run_in_threadpool(request.app.state.ledger.authenticate, key)
    if access is None:
        raise ApiProblem(401, "the access key is not known or was revoked",
                         headers={"WWW-Authenticate": 'Bearer realm="ledger", error="invalid_token"'})
    caller = Principal(key_id=str(access.id), owner=access.owner, role=access.role)
    if now is not None:
        checks.put(now.head, key, caller)
    return caller


def require(*roles: str) -> Callable[[Principal], Any]:
    async def guard(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if caller.role not in roles:
            raise ApiProblem(403, f"{_an(caller.role)} key may not do this; it needs the {' or '.join(roles)} role")
        return caller

    return guard


def _an(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


#: The two guards, for the routes (``Officer``, ``Auditor``) and the web pages alike.
may_give_commands = require(*GIVES_COMMANDS)
may_read_audit_trail = require(*READS_AUDIT_TRAIL)

Caller = Annotated[Principal, Depends(principal)]
Officer = Annotated[Principal, Depends(may_give_commands)]
Auditor = Annotated[Principal, Depends(may_read_audit_trail)]

# ---- query parameters ------------------------------------------------------------------------

def _declared_query(dependant: Any) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the route does not take: a misspelt filter (``valid_form=``)
    must not silently widen a tally."""
    route = request.scope.get("route")
    if route is None or not request.query_params or not hasattr(route, "dependant"):
        return
    allowed = getattr(route, "_ledger_query_names", None)
    if allowed is None:
        allowed = frozenset(_declared_query(route.dependant))
        route._ledger_query_names = allowed
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        known = f"; it takes: {', '.join(sorted(allowed))}" if allowed else "; it takes none"
        raise invalid(f"unknown query parameter {unknown[0]!r}{known}", unknown[0])


# ---- preconditions ------------------------------------------------------------------------

IF_MATCH_HELP = (
    'The ETag of the record as you read it, e.g. `"3"` (its version). Required on changes to a figure or an'
    " incident (428 without it); a stale one answers 412 with `current_version` and records nothing."
)
IDEMPOTENCY_HELP = (
    f"Any unique string of 1 to {MAX_REQUEST_KEY} printable ASCII characters, plain or quoted (a UUID is ideal). A retry with the same key and the same request"
    " returns the first response and records nothing twice, whichever server process it reaches; the same key"
    " with a different request answers 422. Keys are scoped to the owner of the access key."
)

def decimal_up_to(n: int) -> str:
    """A regular expression of the decimal integers 1 to ``n`` (no sign, no leading zero).

    A header is text, so its schema can bound a number only by pattern: by its digits, and for
    as many digits as ``n`` has, digit by digit below ``n``'s own (or ``n`` itself)."""
    digits = str(n)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = [
        f"{digits[:i]}[{'1' if i == 0 else '0'}-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}"
        for i, d in enumerate(digits) if int(d) > (1 if i == 0 else 0)
    ]
    return "(?:" + "|".join([*shorter, *same_length, digits]) + ")"


_VERSION = decimal_up_to(MAX_VERSION)
#: The forms of If-Match a change takes: one ETag, strong or weak, of a version from 1 to
#: limits.MAX_VERSION (what ``expected_version`` reads; anything else is 400, and none at all
#: 428 where it is required).
ETAG_PATTERN = rf'^(W/)?("{_VERSION}"|{_VERSION})$'
#: An Idempotency-Key: 1 to MAX_REQUEST_KEY printable ASCII characters, as sent or as an RFC 8941 string ("...").
REQUEST_KEY_PATTERN = rf'^("[ -~]{{1,{MAX_REQUEST_KEY}}}"|[!#-~]([ -~]{{0,{MAX_REQUEST_KEY - 2}}}[!-~])?)$'
_ETAG, _REQUEST_KEY = re.compile(ETAG_PATTERN), re.compile(REQUEST_KEY_PATTERN)
#: An ETag If-None-Match may hold: also "0", a record's as of a time before it existed (projections/by_id.py).
_HELD = re.compile(r'^(W/)?("(?:0|[1-9][0-9]{0,17})"|0|[1-9][0-9]{0,17})$')

# Optional headers are typed ``str`` with a None default, so the schema says "a string of this
# pattern, or absent" (``str | None`` would let a client send the text "null").
IfMatch = Annotated[str, Header(alias="If-Match", description=IF_MATCH_HELP,
                                       json_schema_extra={"pattern": ETAG_PATTERN})]
#: If-Match where the change requires it: declared required; its absence answers 428 (api.problems).
IfMatchRequired = Annotated[str, Header(alias="If-Match", description=IF_MATCH_HELP,
                                        json_schema_extra={"pattern": ETAG_PATTERN})]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", description=IDEMPOTENCY_HELP,
                                              json_schema_extra={"pattern": REQUEST_KEY_PATTERN})]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match",
                                           description="An ETag you hold; 304 if the record still has that version.")]


def _version_of(tag: str, form: re.Pattern[str] = _ETAG) -> int | None:
    found = form.match(tag.strip())
    return None if found is None else int(found.group(2).strip('"'))


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version named by If-Match: 428 when required and absent, 400 when unreadable."""
    if if_match is None or (required and not if_match.strip()):
        if required:
            raise ApiProblem(428, 'this change requires If-Match with the ETag of the version you read,'
                             ' e.g. If-Match: "3"', type_="if-match-required", title="If-Match required",
                             field="If-Match")
        return None
    if if_match.strip() == "*":
        raise ApiProblem(428, "If-Match must name the version you read, not *",
                         type_="if-match-required", title="If-Match required")
    version = _version_of(if_match)
    if version is None:
        raise ApiProblem(400, 'If-Match must be one ETag such as "3" (the version you read)',
                         type_="malformed-request", title="Malformed request", field="If-Match")
    return version


def not_modified(if_none_match: str | None, version: int) -> bool:
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(_version_of(tag, _HELD) == version for tag in if_none_match.split(","))


def etag(version: int) -> str:
    return f'"{version}"'


def request_key(value: str | None) -> str | None:
    """The Idempotency-Key, as sent or as an RFC 8941 string ("..."), which both mean the same key."""
    if value is None:
        return None
    if not _REQUEST_KEY.match(value):
        raise invalid(f"the Idempotency-Key must be 1 to {MAX_REQUEST_KEY} printable ASCII characters (a UUID is ideal),"
                      ' as sent or quoted ("...")', "Idempotency-Key")
    return value[1:-1] if value[0] == '"' else value


# ---- running a command ----------------------------------------------------------------------

Refs = Mapping[str, str | Callable[[str], str]]


def run(
    call: Callable[[], T], *, target: tuple[str, object] | None = None, refs: Refs | None = None,
    precondition: bool = False,
) -> T:
    """Run a ledger call and turn its errors into problems.

    ``target`` is the (kind, id) named in the URL: not finding it is 404. Any other record
    the ledger cannot find was named in the body (``refs`` maps its kind to the body field):
    that is invalid input, 422, naming the field.
    """
    try:
        return call()
    except NotFound as e:
        if target is not None and e.kind == target[0] and e.ident == str(target[1]):
            raise from_ledger_error(e) from None
        field: Any = (refs or {}).get(e.kind)
        if callable(field):
            field = field(e.ident)
        raise invalid(f"no {e.kind} with this id", field) from None
    except LedgerError as e:
        raise from_ledger_error(e, precondition=precondition) from None


def index_in(field: str, ids: list[Any], suffix: str = "") -> Callable[[str], str]:
    """A field path naming the first item of a list that holds ``ident``."""

    def name(ident: str) -> str:
        for i, value in enumerate(ids):
            if str(value) == ident:
                return f"{field}[{i}]{suffix}"
        return field

    return name
