"""XLSX: openpyxl's write-only workbook (rows go to a temporary file, not memory), a sheet of
rows and an "about" sheet saying where in the ledger the export was made."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook

from api.exports.cells import safe

CHUNK = 1 << 16


def write(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], about: dict[str, Any],
          title: str) -> Iterator[bytes]:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([name for name, _ in columns])
    for row in rows:
        sheet.append([safe(row.get(name)) for name, _ in columns])
    info = book.create_sheet("about")
    for key, value in about.items():
        info.append([key, safe(value)])
    with tempfile.TemporaryFile() as file:
        book.save(file)  # a zip: written whole, then streamed from disk
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
