"""``/docs``: the API's interactive documentation, served with the app's own copy of RapiDoc.

FastAPI's default page loads swagger-ui from a CDN (a blank page offline, and a request that
tells a third party someone opened it). RapiDoc (one web component, vendored from npm) reads
the app's own /openapi.json and asks no other host for anything: its web fonts are turned off
(``load-fonts="false"``), and the page has no inline script. It replaced a vendored swagger-ui,
whose 1.7 MB bundle (460 KB compressed) alone broke the 300 KB a page may weigh; RapiDoc is
860 KB, 220 KB as the app sends it compressed (``api/web/compress.py``).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incident ledger API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script type="module" src="/web/static/vendor/rapidoc/rapidoc-min.js"></script></head>
<body><rapi-doc spec-url="/openapi.json" load-fonts="false" render-style="read" show-header="false"
  allow-server-selection="false" allow-spec-url-load="false" allow-spec-file-load="false"
  theme="light" primary-color="#0b5394" regular-font="system-ui, sans-serif" mono-font="monospace">
</rapi-doc></body></html>"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
