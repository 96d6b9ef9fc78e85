"""Signing in and out, choosing the language, and the CSRF check every form goes through."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.web import i18n
from api.web.render import PREFIX, page
from api.web.session import (
    SESSION_COOKIE, SESSION_SECONDS, VISIT_COOKIE, Session, clear_cookie, csrf_basis, current_session, sessions,
    set_cookie,
)

router = APIRouter(include_in_schema=False)
Next = Annotated[str | None, Query(max_length=2000)]


class CsrfRefused(Exception):
    """A form came without its CSRF token, or with another session's: answered by a page saying so."""


def local(next_: str | None) -> str:
    """Only a path on this server: never an open redirect to another site."""
    if not next_ or not next_.startswith("/") or next_.startswith("//") or "\\" in next_:
        return "/"
    return next_


async def form_fields(request: Request, session: Session | None) -> list[tuple[str, str]]:
    """The submitted form's fields, once its CSRF token is found right for this session."""
    return checked(request, session, parse_qsl((await request.body()).decode("utf-8", "replace"),
                                               keep_blank_values=True))


def checked(request: Request, session: Session | None, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A form's fields (however its body was read) without the CSRF token, once it is found right."""
    sent = next((v for k, v in fields if k == "csrf"), None)
    if not sessions(request).csrf_ok(csrf_basis(request, session), sent):
        raise CsrfRefused()
    return [(k, v) for k, v in fields if k != "csrf"]


@router.get(PREFIX + "/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: Next = None) -> Any:
    return sign_in_page(request, local(next))


def sign_in_page(request: Request, next_: str, *, error: str | None = None, status: int = 200) -> Any:
    if request.cookies.get(VISIT_COOKIE):
        return page(request, "sign_in.html", None, next=next_, error=error, status=status)
    visit = secrets.token_urlsafe(16)
    response = page(request, "sign_in.html", None, next=next_, error=error, status=status, visit=visit)
    set_cookie(request, response, VISIT_COOKIE, visit, None)
    return response


@router.post(PREFIX + "/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Any:
    fields = dict(await form_fields(request, None))
    key, next_ = fields.get("key", "").strip(), local(fields.get("next"))
    access = await run_in_threadpool(request.app.state.ledger.authenticate, key) if key else None
    if access is None:
        return sign_in_page(request, next_, error="That access key is not known or was revoked.", status=401)
    # Signing in again ends the session the browser held: its cookie is replaced, its row must go too.
    await run_in_threadpool(sessions(request).end, request.cookies.get(SESSION_COOKIE))
    cookie, _ = await run_in_threadpool(sessions(request).issue, access)
    response = RedirectResponse(next_, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, cookie, SESSION_SECONDS)
    return response


@router.post(PREFIX + "/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Any:
    session = await current_session(request)
    if session is None:  # signed out already, or expired: nothing to end, no CSRF token to check
        response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
        clear_cookie(request, response, SESSION_COOKIE)
        return response
    await form_fields(request, session)
    await run_in_threadpool(sessions(request).end, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


@router.get(PREFIX + "/language/{code}")
async def language(request: Request, code: str, next: Next = None) -> Any:
    """Choose the interface's language (a cookie; nothing recorded), then back to the page."""
    response = RedirectResponse(local(next), status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, code, max_age=365 * 86400, path="/", samesite="strict",
                            httponly=True, secure=request.url.scheme == "https")
    return response


def link_to_sign_in(there: str) -> str:
    from urllib.parse import urlencode

    return f"{PREFIX}/sign-in?{urlencode({'next': there})}"
