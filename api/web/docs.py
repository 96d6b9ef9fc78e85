"""The API's documentation, offline: ``/docs``, a reference page made from ``app.openapi()`` by the
server (``api_reference.py``), and ``/docs/try``, the app's own copy of RapiDoc to try requests.

``/docs`` is a page like the others (the language frame, no script, axe-clean, fast): every route with
its parameters, body, answers and problems, and the schemas they name. It is the same for everyone (no
session is read, so it holds no CSRF token and may be sent compressed, ``api/web/compress.py``), and is
made once per language and process. RapiDoc (one web component, vendored from npm) reads the app's
``/openapi.json`` and asks no other host for anything: its web fonts are off (``load-fonts="false"``) and
the page has no inline script. Its try-it forms are its own: their inputs have no labels, which axe
counts as critical, so it is the second address, not the documentation (docs/web.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.api_reference import reference
from api.web.i18n import choose
from api.web.render import page

router = APIRouter(include_in_schema=False)

TRY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Try the incident ledger API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script type="module" src="/web/static/vendor/rapidoc/rapidoc-min.js"></script></head>
<body><rapi-doc spec-url="/openapi.json" load-fonts="false" render-style="read" show-header="false"
  allow-server-selection="false" allow-spec-url-load="false" allow-spec-file-load="false"
  theme="light" primary-color="#0b5394" regular-font="system-ui, sans-serif" mono-font="monospace">
<p slot="overview"><a href="/docs">The API reference, without JavaScript</a></p>
</rapi-doc></body></html>"""


def reference_of(app: Any) -> Any:
    """The reference made from the app's schema, once a process (the server makes it before it serves:
    api/app.py ``warm``): its routes and schemas walked into the page's shape."""
    made = getattr(app.state, "docs_reference", None)
    if made is None:
        made = app.state.docs_reference = reference(app.openapi())
    return made


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    plain = Request({**request.scope, "query_string": b""}, request.receive)  # no banner, no cut: the API's page
    made = getattr(request.app.state, "docs_pages", None)
    if made is None:
        made = request.app.state.docs_pages = {}
    code = choose(plain).code
    if code not in made:
        made[code] = page(plain, "api_reference.html", None, api=reference_of(request.app)).body
    return HTMLResponse(made[code], headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"})


@router.get("/docs/try", response_class=HTMLResponse)
def try_it() -> HTMLResponse:
    return HTMLResponse(TRY_PAGE)
