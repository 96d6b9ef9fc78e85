"""``/docs``: the API's interactive documentation, served with the app's own copy of swagger-ui.

FastAPI's default page loads swagger-ui from a CDN (a blank page offline, and a request that
tells a third party someone opened it); this one asks no other host for anything, and starts
swagger-ui from a script file, so the page's Content-Security-Policy needs no inline script.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incident ledger API</title>
<link rel="stylesheet" href="/web/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/web/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/web/static/docs.js"></script></body></html>"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
