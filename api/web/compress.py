"""Static files and the API's schema sent compressed (gzip) to browsers that accept it.

Only answers that hold no secret are compressed: the vendored scripts and style sheets, and
/openapi.json. Pages are not: a page carries its CSRF token beside text the visitor can
choose, and compressing both in one answer is what the BREACH attack reads secrets through.
Starlette's own GZipMiddleware does the work; this only picks the paths.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.web.render import PREFIX

COMPRESSED = (PREFIX + "/static/", "/openapi.json", "/docs")


class CompressStatic:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1024, compresslevel=9)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(COMPRESSED):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
