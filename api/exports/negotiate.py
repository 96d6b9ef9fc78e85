"""Which format an export is given in (``?format=`` first, else ``Accept``), and its streamed answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Annotated, Any, Literal

from fastapi import Header, Query
from fastapi.responses import StreamingResponse
from starlette.types import Send

from api.exports import delimited, lines, spreadsheet
from api.exports.kinds import Made
from api.problems import ApiProblem, responses
from ledger.failure_lines import failure

log = logging.getLogger("api")

MEDIA = {
    "json": "application/json", "csv": "text/csv", "hxl": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ndjson": "application/x-ndjson",
}
_BY_MEDIA = {"application/json": "json", "text/csv": "csv", MEDIA["xlsx"]: "xlsx", "application/x-ndjson": "ndjson"}
_ANY = {"*/*", "application/*", "text/*"}
NAMES = tuple(MEDIA)

#: The query parameter and header every exporting route takes.
Format = Annotated[Literal[NAMES] | None, Query(  # type: ignore[valid-type]
    alias="format", description="csv, hxl (CSV with an HXL hashtag row), xlsx, json or ndjson; else from Accept.")]
Accept = Annotated[str | None, Header(include_in_schema=False)]


def choose(format_: str | None, accept: str | None) -> str:
    """The format asked for; JSON when nothing in particular is; 406 when none we give is acceptable."""
    if format_ is not None:
        return format_
    if not accept:
        return "json"
    wanted = []
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            weight = float(q)
        except ValueError:
            weight = 1.0
        if weight > 0:
            wanted.append((-weight, media.lower()))
    for _, media in sorted(wanted, key=lambda w: w[0]):
        if media in _BY_MEDIA:
            return _BY_MEDIA[media]
        if media in _ANY:
            return "json" if media != "text/*" else "csv"
    raise ApiProblem(406, f"none of the formats asked for in Accept ({accept[:200]}) can be given; this answer"
                          f" comes as {', '.join(sorted(set(MEDIA.values())))} (or ?format={'|'.join(NAMES)})",
                     type_="not-acceptable", title="Not acceptable")


def write(fmt: str, columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], about: dict[str, Any],
          name: str) -> Iterator[bytes]:
    """The export's bytes, a chunk at a time (the API and ``ledger export`` both write through here)."""
    if fmt in ("csv", "hxl"):
        return delimited.write(columns, rows, about, hxl=fmt == "hxl")
    if fmt == "xlsx":
        return spreadsheet.write(columns, rows, about, name)
    if fmt == "json":
        return lines.document(rows, about)
    return lines.write(rows, about)


class _BrokenOff(Exception):
    """Making an export failed after its first bytes were sent (logged where it was caught)."""


class Streamed(StreamingResponse):
    """An export streamed as it is read. When reading fails part-way (the database gone), the
    answer stops without its last chunk, so the client sees an incomplete transfer, never a
    complete-looking file that lacks rows; the log says only ``failure`` (the type and frames:
    uvicorn's traceback would quote the exception's message, which can hold stored data)."""

    async def stream_response(self, send: Send) -> None:
        self.body_iterator = _guarded(self.body_iterator)
        try:
            await super().stream_response(send)
        except _BrokenOff:
            pass  # returning with the answer incomplete: the server closes the connection


async def _guarded(chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    try:
        async for chunk in chunks:
            yield chunk
    except Exception as error:  # only the making of the export: a client gone is the server's to see
        log.error("an export broke off part-way: %s", failure(error))
        raise _BrokenOff() from None


def export(fmt: str, columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]],
           items: Iterable[dict[str, Any]], about: dict[str, Any], name: str) -> StreamingResponse:
    """``rows`` flattened for the tabular formats, ``items`` (as the JSON route gives them) for NDJSON."""
    body = write(fmt, columns, items if fmt == "ndjson" else rows, about, name)
    suffix = {"hxl": "hxl.csv"}.get(fmt, fmt)
    media = MEDIA[fmt] + ("; charset=utf-8" if fmt in ("csv", "hxl") else "")
    headers = {"Ledger-Position": str(about["ledger_position"]), "Vary": "Authorization, Accept",
               "Cache-Control": "private, no-cache", "Content-Disposition": f'attachment; filename="{name}.{suffix}"'}
    if about.get("tree_size") is not None:
        headers["Ledger-Tree-Size"] = str(about["tree_size"])
    return Streamed(body, media_type=media, headers=headers)


def give(fmt: str, made: Made) -> StreamingResponse:
    """A kind of export (api/exports/kinds.py) as the streamed answer."""
    return export(fmt, made.columns, made.rows, made.items, made.about, made.name)


def documented() -> dict[int | str, dict[str, Any]]:
    """The 200 answer's media types, for /openapi.json (the JSON one comes from the response model)."""
    text = {"schema": {"type": "string"}}
    return {200: {"content": {"text/csv": text, MEDIA["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                              "application/x-ndjson": text},
                  "headers": {"Ledger-Position": {"description": "The log position the export was made at"
                                                                 " (exports only).", "schema": {"type": "string"}},
                              "Ledger-Tree-Size": {"description": "The audit tree's size at that position: check the"
                                                                  " export against a checkpoint of this size or later"
                                                                  " (exports only).", "schema": {"type": "string"}}}},
            **responses(406)}
