"""Signing in with an access key: a signed session cookie that names the key, checked again on every request.

The cookie carries only the key's id, an expiry and a random nonce, signed with HMAC-SHA256
under a key derived from the server's session secret *and the stored hash of the access
key*. Nothing is kept on the server, so every worker (and every process on PostgreSQL)
accepts the same cookie; each request loads the key by its id from the ledger (fresh, as
the API's own check does), so a revoked key ends its sessions at once, wherever it was
revoked. The caller is the same ``Principal`` the API's Bearer check gives: the same roles,
the same visibility.

CSRF: every form carries a token derived from the session's nonce (or, before signing in,
from a random per-visitor cookie), checked on every POST. The cookies are HttpOnly,
SameSite=Strict, and Secure when the request came over https.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import Principal
from ledger.access import AccessKey
from ledger.errors import LedgerError

SESSION_COOKIE = "ledger_session"
VISIT_COOKIE = "ledger_visit"
#: How long a sign-in lasts (seconds; LEDGER_SESSION_HOURS, default 8 hours: a working day).
SESSION_SECONDS = int(float(os.environ.get("LEDGER_SESSION_HOURS", "8")) * 3600)
SECRET_ENV = "LEDGER_SESSION_SECRET"
SECRET_FILE = "session-secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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
    nonce: str
    expires: int


class Sessions:
    """Issues and checks session cookies and CSRF tokens (one per app)."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file

    @functools.cached_property
    def secret(self) -> bytes:
        # Read (or made) at the first sign-in or page, not when the app is made: an app that
        # serves no page writes nothing.
        return load_secret(self.key_file)

    def _mac(self, key_hash: str, payload: bytes) -> bytes:
        signing_key = hmac.new(self.secret, b"session|" + key_hash.encode(), hashlib.sha256).digest()
        return hmac.new(signing_key, payload, hashlib.sha256).digest()

    def issue(self, access: AccessKey) -> tuple[str, int]:
        expires = int(time.time()) + SESSION_SECONDS
        payload = orjson.dumps({"k": str(access.id), "e": expires, "n": secrets.token_urlsafe(16)})
        return f"{_b64(payload)}.{_b64(self._mac(access.key_hash, payload))}", expires

    def check(self, ledger: object, cookie: str | None) -> Session | None:
        """The live session a cookie names, or None (forged, expired, or its key revoked)."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 400:
            return None
        try:
            body, mac = cookie.split(".")
            payload = _unb64(body)
            fields = orjson.loads(payload)
            key_id, expires, nonce = str(fields["k"]), int(fields["e"]), str(fields["n"])
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            return None
        if expires < time.time():
            return None
        try:
            access = ledger.load(AccessKey, key_id)  # type: ignore[attr-defined]  # fresh: revocation counts
        except LedgerError:
            return None
        if access.revoked or not hmac.compare_digest(_unb64(mac), self._mac(access.key_hash, payload)):
            return None
        return Session(Principal(key_id=str(access.id), owner=access.owner, role=access.role), nonce, expires)

    def csrf_token(self, basis: str) -> str:
        return _b64(hmac.new(self.secret, b"csrf|" + basis.encode(), hashlib.sha256).digest())

    def csrf_ok(self, basis: str | None, sent: str | None) -> bool:
        return bool(basis and sent) and hmac.compare_digest(self.csrf_token(basis), sent or "")


def sessions(request: Request) -> Sessions:
    return request.app.state.web_sessions


async def current_session(request: Request) -> Session | None:
    """The request's session, checked once per request."""
    if "web.session" not in request.scope:
        cookie = request.cookies.get(SESSION_COOKIE)
        request.scope["web.session"] = None if cookie is None else await run_in_threadpool(
            sessions(request).check, request.app.state.ledger, cookie)
    return request.scope["web.session"]


def csrf_basis(request: Request, session: Session | None) -> str | None:
    """What the request's CSRF token is bound to: the session, or the visitor cookie before signing in."""
    return session.nonce if session is not None else request.cookies.get(VISIT_COOKIE)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
