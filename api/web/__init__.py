"""The ledger for people: server-rendered pages, forms and charts on the same app as the API.

``install(app)`` adds the pages, the self-hosted ``/docs``, the static files (every script,
style sheet and font is served from here: no page asks another host for anything) and the
headers every HTML answer carries. Errors keep the API's one error path (api/problems.py)
and are shown as a page to browsers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problems import UNAVAILABLE, ApiProblem
from api.web import audit_pages, docs, downloads, forms, i18n, imports, pages, render, sign_in, vocabulary_page
from api.web.compress import CompressStatic
from api.web.render import CSP, HERE, HTML_HEADERS, PREFIX, PageHeaders, page
from api.web.session import Sessions, session_if_readable
from ledger.errors import LedgerError
from ledger.store import Store


def install(app: FastAPI, key_file: Path, store: Store | None) -> None:
    """Pages, forms, /docs and static files on ``app``, sessions kept in ``store``; call after the error
    handlers are installed."""
    app.state.web_sessions = Sessions(key_file, store)
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="web-static")
    for module in (docs, sign_in, downloads, pages, forms, vocabulary_page, imports, audit_pages):
        app.include_router(module.router)
    # Browsers ask for /favicon.ico whatever the page says: the ledger's own icon, not a 404 in the console.
    app.add_api_route("/favicon.ico", lambda: FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml",
                                                            headers={"Cache-Control": "public, max-age=86400"}),
                      methods=["GET"], include_in_schema=False)
    app.add_middleware(PageHeaders)
    app.add_middleware(CompressStatic)

    @app.exception_handler(pages.SignInRequired)
    async def _sign_in(request: Request, exc: Exception) -> Any:
        there = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(sign_in.link_to_sign_in(there), status_code=303)

    @app.exception_handler(sign_in.CsrfRefused)
    async def _csrf(request: Request, exc: Exception) -> Any:
        return page(request, "csrf.html", await session_if_readable(request), status=403)

    for kind in (ApiProblem, LedgerError, RequestValidationError, StarletteHTTPException, *UNAVAILABLE, Exception):
        _show_as_page(app, kind)


def warm() -> None:
    """What the pages' first requests would otherwise pay, once a process (api/app.py ``warm``):
    every template compiled, each language's catalogue and CLDR data loaded."""
    render.warm()
    i18n.warm()


def _is_page(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + "/") and not request.url.path.startswith(PREFIX + "/static/") \
        or (request.url.path == "/" and pages.wants_html(request))


def _show_as_page(app: FastAPI, kind: type[Exception]) -> None:
    """The API's answer to an error, shown as a page when a page was asked for, with its status and
    headers (an outage's Retry-After)."""
    answer = app.exception_handlers[kind]
    # An outage or a crash may have come from checking the session: its page asks the database
    # nothing more (the session is shown only if it was checked before). A crash's answer is made
    # outside every middleware, PageHeaders too, so it carries that middleware's headers itself.
    failed = kind is Exception or kind in UNAVAILABLE
    own = {"Content-Security-Policy": CSP, **HTML_HEADERS} if kind is Exception else {}

    async def handler(request: Request, exc: Exception) -> Any:
        response = await answer(request, exc)
        if not _is_page(request):
            return response
        session = request.scope.get("web.session") if failed else await session_if_readable(request)
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        try:
            return page(request, "problem.html", session, status=response.status_code, headers={**kept, **own},
                        problem=orjson.loads(response.body))
        except UNAVAILABLE:  # the page reads the vocabulary's labels, from the store that is out of reach
            return response

    app.add_exception_handler(kind, handler)
