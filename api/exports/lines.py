"""NDJSON: the first line says where in the ledger the export was made (``{"about": ...}``),
then one JSON object per row; JSON: one document, ``{"about": ..., "items": [...]}``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

CHUNK = 1 << 16  # lines go out in chunks: one send per row costs more than the row


def write(rows: Iterable[dict[str, Any]], about: dict[str, Any]) -> Iterator[bytes]:
    chunk = bytearray(orjson.dumps({"about": about}) + b"\n")
    for row in rows:
        chunk += orjson.dumps(row, default=str) + b"\n"
        if len(chunk) > CHUNK:
            yield bytes(chunk)
            chunk.clear()
    yield bytes(chunk)


def document(rows: Iterable[dict[str, Any]], about: dict[str, Any]) -> Iterator[bytes]:
    """The NDJSON lines as one JSON document, streamed: the items as NDJSON gives them."""
    chunk = bytearray(b'{"about":' + orjson.dumps(about) + b',"items":[')
    for i, row in enumerate(rows):
        chunk += (b"," if i else b"") + orjson.dumps(row, default=str)
        if len(chunk) > CHUNK:
            yield bytes(chunk)
            chunk.clear()
    yield bytes(chunk + b"]}\n")
