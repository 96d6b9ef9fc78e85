"""Signing in with an access key: a session kept in the ledger's store, checked again on every request.

Signing in makes a random token, sets it as the session cookie and keeps a row of the session
table (api/web/session_table.py) under the token's SHA-256 with the key's id and the session's
end; the server keeps neither the token nor the key. Every request looks its cookie's row up
(one read of the primary key) and loads the key by its id from the ledger (fresh, as the API's
own check does), so a revoked key ends its sessions at once, wherever it was revoked; signing
out deletes the row, so a copied cookie is refused from then on, by every worker and host; an
expired row is refused whatever the cookie says of its age. The caller is the same
``Principal`` the API's Bearer check gives: the same roles, the same visibility.

CSRF: every form carries a token derived from the session's token (or, before signing in,
from a random per-visitor cookie), checked on every POST. The cookies are HttpOnly,
SameSite=Strict, and Secure when the request came over https.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import Principal
from api.problems import UNAVAILABLE, ApiProblem
from api.web.session_table import SessionTable
from ledger.access import AccessKey
from ledger.errors import LedgerError
from ledger.failure_lines import failure
from ledger.store import Store

log = logging.getLogger(__name__)

SESSION_COOKIE = "ledger_session"
VISIT_COOKIE = "ledger_visit"
#: How long a sign-in lasts (seconds; LEDGER_SESSION_HOURS, default 8 hours: a working day).
SESSION_SECONDS = int(float(os.environ.get("LEDGER_SESSION_HOURS", "8")) * 3600)
SECRET_ENV = "LEDGER_SESSION_SECRET"
SECRET_FILE = "session-secret"
#: A session token as issued: 32 random bytes, URL-safe base64 (anything else is refused unread).
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
#: A session's last-seen time is written again once it is this many seconds old (not at every
#: request: a write a page would cost more than the page's own read of the session).
SEEN_EVERY = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_secret(key_file: Path) -> bytes:
    """The server's session secret: LEDGER_SESSION_SECRET, or a file beside the audit signing key.

    The file is made once (0600) by whichever worker comes first; the others read it, so
    every worker on the machine signs and checks with the same secret.
    """
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured.encode()
    path = key_file.with_name(SECRET_FILE)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker is writing it
            data = path.read_bytes().strip()
            if data:
                return data
            time.sleep(0.02)
        raise RuntimeError(f"the session secret {path} is empty") from None
    with os.fdopen(fd, "wb") as out:
        data = secrets.token_hex(32).encode()
        out.write(data)
    return data


@dataclass(frozen=True, slots=True)
class Session:
    caller: Principal
    #: What the session's CSRF tokens are derived from: a hash of its token, not the one the table holds.
    csrf_key: str
    expires: int


def _stored(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Sessions:
    """Issues, checks and ends sessions, and makes and checks CSRF tokens (one per app)."""

    def __init__(self, key_file: Path, store: Store | None) -> None:
        self.key_file = key_file
        self.table = SessionTable(store) if store is not None else None

    @functools.cached_property
    def secret(self) -> bytes:
        # Read (or made) at the first sign-in or page, not when the app is made: an app that
        # serves no page writes nothing. Kept in the store, beside the sessions, so that several
        # hosts behind one address need no shared file (LEDGER_SESSION_SECRET still wins).
        if self.table is None or os.environ.get(SECRET_ENV):
            return load_secret(self.key_file)
        return self.table.secret(secrets.token_hex(32)).encode()

    def issue(self, access: AccessKey) -> tuple[str, int]:
        """A new session of ``access``: its token (the cookie's value) and its end."""
        if self.table is None:
            raise ApiProblem(503, "signing in to the pages needs the ledger's store on this server")
        token, now = secrets.token_urlsafe(32), int(time.time())
        expires = now + SESSION_SECONDS
        self.table.add(_stored(token), str(access.id), now, expires)
        return token, expires

    def check(self, ledger: object, cookie: str | None) -> Session | None:
        """The live session a cookie names, or None (unknown, signed out, expired, or its key revoked)."""
        if self.table is None or not cookie or not TOKEN.fullmatch(cookie):
            return None
        stored = _stored(cookie)
        found = self.table.find(stored)
        now = int(time.time())
        if found is None or found.expires <= now:
            return None
        try:
            access = ledger.load(AccessKey, found.key_id)  # type: ignore[attr-defined]  # fresh: revocation counts
        except LedgerError:
            return None
        if access.revoked:
            return None
        if now - found.last_seen >= SEEN_EVERY:
            try:
                self.table.seen(stored, now)
            except UNAVAILABLE as error:  # a busy or lost store: the page needs no last-seen time
                log.warning("could not note a session as seen (%s)", failure(error))
        caller = Principal(key_id=str(access.id), owner=access.owner, role=access.role)
        return Session(caller, _b64(hashlib.sha256(b"csrf|" + cookie.encode()).digest()), found.expires)

    def end(self, cookie: str | None) -> None:
        """Sign the session ``cookie`` names out (and clear expired ones away): refused from now on, everywhere."""
        if self.table is not None and cookie and TOKEN.fullmatch(cookie):
            self.table.end(_stored(cookie), int(time.time()))

    def close(self) -> None:
        if self.table is not None:
            self.table.close()

    def csrf_token(self, basis: str) -> str:
        return _b64(hmac.new(self.secret, b"csrf|" + basis.encode(), hashlib.sha256).digest())

    def csrf_ok(self, basis: str | None, sent: str | None) -> bool:
        # compare_digest takes str of ASCII only: a stray byte decoded as U+FFFD would raise (a 500).
        return bool(basis and sent) and hmac.compare_digest(self.csrf_token(basis).encode(), (sent or "").encode())


def sessions(request: Request) -> Sessions:
    return request.app.state.web_sessions


async def current_session(request: Request) -> Session | None:
    """The request's session, checked once per request."""
    if "web.session" not in request.scope:
        cookie = request.cookies.get(SESSION_COOKIE)
        request.scope["web.session"] = None if cookie is None else await run_in_threadpool(
            sessions(request).check, request.app.state.ledger, cookie)
    return request.scope["web.session"]


async def session_if_readable(request: Request) -> Session | None:
    """For an error's page: the request's session, or None when the store cannot be read (which may be the error)."""
    try:
        return await current_session(request)
    except UNAVAILABLE:
        return None


def csrf_basis(request: Request, session: Session | None) -> str | None:
    """What the request's CSRF token is bound to: the session, or the visitor cookie before signing in."""
    return session.csrf_key if session is not None else request.cookies.get(VISIT_COOKIE)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
