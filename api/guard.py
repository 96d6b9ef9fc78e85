"""The body guard: size, media type and JSON syntax, checked before anything parses a body.

A pure ASGI middleware, so it works the same whatever FastAPI version reads the body later:

* a body larger than ``max_body`` bytes (``max_upload`` for the import page's and the citation form's file) is refused
  with 413, from its Content-Length when it declares one (nothing is read), otherwise as soon as the chunks read exceed the limit;
* a non-empty body on POST/PUT/PATCH that is not ``application/json`` is refused with 415;
* a body that is not strict JSON (RFC 8259: UTF-8, no NaN, no trailing commas, no lone
  surrogates) is refused with 400.

These checks come before authentication: they reveal nothing about the ledger.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

#: The officers' upload of a spreadsheet to import (api/web/imports.py), and the citation form's document,
#: hashed without JavaScript and kept nowhere (api/web/evidence.py): the two multipart bodies taken.
UPLOAD_PATH = "/web/imports"
EVIDENCE_PATH = "/web/new/citation"
FILE_PATHS = (UPLOAD_PATH, EVIDENCE_PATH)


def is_form(scope: Scope, media_type: str) -> bool:
    """The web pages' forms (api/web) post form-encoded bodies, the import and citation pages a file; every API
    route takes JSON."""
    if media_type == "multipart/form-data":
        return scope["path"] in FILE_PATHS
    return media_type == "application/x-www-form-urlencoded" and scope["path"].startswith("/web/")


DEFAULT_MAX_BODY = 1024 * 1024  # 1 MiB: a report with hundreds of figures is a few tens of KiB
#: A spreadsheet of 100,000 figure rows is about 15 MiB as CSV (less as XLSX).
MAX_UPLOAD = 24 * 1024 * 1024
BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyGuard:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY, max_upload: int = MAX_UPLOAD) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max(max_upload, max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = self.max_upload if scope["path"] in FILE_PATHS and scope["method"] == "POST" else self.max_body
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, 400, "Content-Length is not a number",
                                   "malformed-request", "Malformed request")
                return
            if int(declared) > limit:
                await self._too_large(scope, receive, send, limit)
                return

        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if body and scope["method"] in BODY_METHODS and not is_form(scope, media_type):
            if media_type != "application/json":
                shown = media_type or "no Content-Type"
                await self._refuse(scope, receive, send, 415,
                                   f"the body must be application/json, not {shown}",
                                   "unsupported-media-type", "Unsupported media type")
                return
            try:
                orjson.loads(body)
            except orjson.JSONDecodeError as e:
                await self._refuse(scope, receive, send, 400, f"the body is not valid JSON: {e}",
                                   "malformed-request", "Malformed request")
                return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await self._refuse(scope, receive, send, 413, f"the body is larger than {limit} bytes",
                           "body-too-large", "Content too large")

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str, type_: str,
                      title: str) -> None:
        response = problem_response(status, detail, type_=f"/problems/{type_}", title=title,
                                    headers={"Connection": "close"} if status == 413 else None)
        await response(scope, receive, send)
