"""NDJSON: the first line says where in the ledger the export was made (``{"about": ...}``),
then one JSON object per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson


def write(rows: Iterable[dict[str, Any]], about: dict[str, Any]) -> Iterator[bytes]:
    yield orjson.dumps({"about": about}) + b"\n"
    for row in rows:
        yield orjson.dumps(row, default=str) + b"\n"
