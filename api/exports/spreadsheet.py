"""XLSX: openpyxl's write-only workbook (rows go to a temporary file, not memory), sheets of
rows and an "about" sheet saying where in the ledger the export was made.

Excel opens no sheet longer than 1,048,576 rows, and an export is streamed, so how many rows
it has is known only at its end: past the limit the rows continue on a second sheet
("figures (2)", its own header row first), and so on, rather than being refused or cut, so
that a spreadsheet user still gets every row in a file Excel opens. The about sheet says
which sheets hold them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook

from api.exports.cells import safe

CHUNK = 1 << 16
#: Excel's limit of rows in a sheet, the header's included.
SHEET_ROWS = 1_048_576
NAME_CHARS = 31  # Excel's limit on a sheet's name


def sheet_name(title: str, n: int) -> str:
    """The n-th sheet's name (from 1): the title, then "title (2)", cut to fit Excel's 31 characters."""
    if n == 1:
        return title[:NAME_CHARS]
    suffix = f" ({n})"
    return title[:NAME_CHARS - len(suffix)] + suffix


def write(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], about: dict[str, Any],
          title: str) -> Iterator[bytes]:
    book = Workbook(write_only=True)
    header = [name for name, _ in columns]
    names: list[str] = []
    sheet, filled = None, SHEET_ROWS
    for row in rows:
        if filled == SHEET_ROWS:
            names.append(sheet_name(title, len(names) + 1))
            sheet, filled = book.create_sheet(names[-1]), 1
            sheet.append(header)
        sheet.append([safe(row.get(name)) for name in header])  # type: ignore[union-attr]
        filled += 1
    if not names:  # no rows: the header alone
        names.append(sheet_name(title, 1))
        book.create_sheet(names[0]).append(header)
    info = book.create_sheet("about")
    for key, value in about.items():
        info.append([key, safe(value)])
    if len(names) > 1:
        info.append(["sheets", safe(", ".join(names))])
    with tempfile.TemporaryFile() as file:
        book.save(file)  # a zip: written whole, then streamed from disk
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
