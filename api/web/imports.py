"""The officers' upload of a spreadsheet: the same import as ``ledger import`` (api/imports), as a page.

The file comes as multipart/form-data (read with the standard library's MIME parser, no
extra dependency), after the session's CSRF check like every form; the import runs as the
signed-in officer, who is the actor of what it files; a second upload of the same file, by
any officer or after ``ledger import``, records nothing (api/imports/record.py). The answer is
the per-row report: what was filed, what was already recorded (with the report it is in, when the
officer may see that report: api/imports ``named_for``), and every refused row with its column and
the API's words.

A form sent with ``Accept: application/x-ndjson`` (imports.js does) is answered as the import
goes: a line for the rows checked so far, then for the rows filed of how many, at most every
PROGRESS_EVERY seconds, and last ``{"stage": "done", "status": ..., "html": page}`` with the page
the plain form would have had (an outage or a crash on the way too: its 503 or 500 page, from the
app's one error path). Without JavaScript the form posts and waits for that page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse

from api import imports
from api.deps import require
from api.imports.columns import Mapping
from api.imports.record import ALREADY, RECORDED
from api.routers._shared import Reader
from api.web.sign_in import CsrfRefused
from api.web.pages import AsOf, Signed, moment
from api.web.render import PREFIX, kept_cut, page
from api.web.session import Session, csrf_basis, sessions
from ledger.access import GIVES_COMMANDS

router = APIRouter(include_in_schema=False)
PATH = PREFIX + "/imports"
#: Report fields an officer may give for every row (a figure export carries none of them).
SET = ("report_title", "language", "published_on")
NDJSON = "application/x-ndjson"
#: Seconds between two progress lines (the first and the last are always sent).
PROGRESS_EVERY = 0.25


def parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body's fields: name -> (file name or None, bytes)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
                                                  + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in fields:
            fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


@router.get(PATH, response_class=HTMLResponse, dependencies=[Depends(kept_cut)])
async def upload_form(request: Request, session: Signed, as_of: AsOf = None) -> Any:
    """The upload form; on the ledger as it stood (the footer's as-of form), a line saying why it is not there."""
    await require(*GIVES_COMMANDS)(session.caller)
    moment(as_of)
    return page(request, "imports.html", session, given={}, result=None, forms_only=True)


@router.post(PATH, response_class=HTMLResponse)
async def upload(request: Request, session: Signed, reader: Reader) -> Any:
    fields = parts(request.headers.get("content-type", ""), await request.body())
    _csrf(request, session, fields)
    await require(*GIVES_COMMANDS)(session.caller)
    text = {k: v.decode("utf-8", "replace").strip() for k, (filename, v) in fields.items() if filename is None}
    name, data = fields.get("file", (None, b""))
    given = {k: text[k] for k in SET if text.get(k)}
    if not data:
        return page(request, "imports.html", session, status=422, given=given, result=None,
                    error="Choose the file to import.")
    partial, check_only = text.get("partial") == "on", text.get("check") == "on"

    def run(checking: Callable[[int], None] | None = None, recording: Any = None) -> Any:
        return imports.run(request.app.state.ledger, session.caller.owner, data, name=name or "",
                           mapping=Mapping(fixed=given), partial=partial, check_only=check_only,
                           checking=checking, recording=recording, reader=reader,
                           include_protected=session.caller.sees_protected)

    def answer(done: Any) -> HTMLResponse:
        if isinstance(done, ValueError):
            return page(request, "imports.html", session, status=422, given=given, result=None, error=str(done))
        plan, outcome = done
        return page(request, "imports.html", session, status=200 if outcome or not plan.problems else 422,
                    given=given, result=_report(plan, outcome, check_only), file=name)

    if NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_progress_lines(request, run, answer), media_type=NDJSON,
                                 headers={"Cache-Control": "private, no-store"})
    try:
        done = await run_in_threadpool(run)
    except ValueError as e:
        done = e
    return answer(done)


async def _progress_lines(request: Request, run: Callable[..., Any],
                          answer: Callable[[Any], HTMLResponse]) -> AsyncIterator[bytes]:
    """The import run in a worker thread, its progress as NDJSON lines, then the page it ends with."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    sent = [0.0]
    counts = {"checked": 0, "filed": 0, "rows": 0, "reports": 0}

    def say(stage: str, last: bool = False) -> None:  # from the worker thread
        now = time.monotonic()
        if last or now - sent[0] >= PROGRESS_EVERY:
            sent[0] = now
            loop.call_soon_threadsafe(lines.put_nowait, {"stage": stage, **counts})

    def checking(rows: int) -> None:
        counts["checked"] += rows
        say("checking")

    def recording(rows: int, reports: int) -> Callable[[int], None]:
        counts.update(rows=rows, reports=reports)
        say("recording", last=True)

        def filed(n: int) -> None:
            counts["filed"] += n
            say("recording", last=counts["filed"] == rows)
        return filed

    def work() -> Any:
        try:
            return run(checking, recording)
        finally:
            loop.call_soon_threadsafe(lines.put_nowait, None)

    job = asyncio.ensure_future(run_in_threadpool(work))
    yield orjson.dumps({"stage": "received", **counts}) + b"\n"
    while (line := await lines.get()) is not None:
        yield orjson.dumps(line) + b"\n"
    try:
        final = answer(await job)
    except ValueError as e:
        final = answer(e)
    except Exception as error:  # noqa: BLE001 - an outage or a crash after the first line went out
        # The status has been sent, so no handler can answer any more: the last line carries the
        # page the app's one error path gives (an outage's 503, a crash's 500), as the plain form shows it.
        final = await _answer_to(request, error)
    yield orjson.dumps({"stage": "done", **counts, "status": final.status_code,
                        "html": bytes(final.body).decode("utf-8")}) + b"\n"


async def _answer_to(request: Request, error: Exception) -> Response:
    """The app's own answer to ``error``: the handler its error path installed for the nearest kind."""
    handlers = request.app.exception_handlers
    return await handlers[next(kind for kind in type(error).__mro__ if kind in handlers)](request, error)


def _csrf(request: Request, session: Session, fields: dict[str, tuple[str | None, bytes]]) -> None:
    sent = fields.get("csrf", (None, b""))[1].decode("ascii", "replace")
    if not sessions(request).csrf_ok(csrf_basis(request, session), sent):
        raise CsrfRefused()


def _report(plan: Any, outcome: Any, check_only: bool) -> dict[str, Any]:
    """Each row's line: filed, already recorded, refused (with its column and the API's words), or held back."""
    problems = sorted(plan.problems + (outcome.problems if outcome else []), key=lambda p: p.row)
    rows: list[dict[str, Any]] = [{"row": p.row, "status": "refused", "column": p.column, "message": p.message}
                                  for p in problems]
    rows += [{"row": r, "status": "refused", "column": None, "message": f"its report is refused (row {first})"}
             for r, first in plan.with_report.items()]
    done = outcome.rows if outcome else {}
    filed_in = outcome.report_ids if outcome else {}
    rows += [{"row": r, "status": status, "column": None,
              "message": f"in report {filed_in[r]}" if status == ALREADY and r in filed_in else ""}
             for r, status in done.items()]
    held = "checked only" if check_only else "not recorded"
    rows += [{"row": r, "status": held, "column": None, "message": ""}
             for report in plan.reports for r in report.rows if r not in done]
    rows.sort(key=lambda line: line["row"])
    return {
        "rows": rows, "total": plan.rows, "reports": len(plan.reports),
        "filed": sum(1 for s in done.values() if s == RECORDED),
        "already": sum(1 for s in done.values() if s == ALREADY),
        "refused": len(plan.refused | {p.row for p in problems}),
        "recorded": outcome is not None, "check_only": check_only,
    }
