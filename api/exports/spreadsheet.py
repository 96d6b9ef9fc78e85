"""XLSX: XlsxWriter's constant-memory workbook (each row goes to a temporary file as it is written,
its strings inline, so memory stays flat), sheets of rows and an "about" sheet saying where in the
ledger the export was made.

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

from xlsxwriter import Workbook

from api.exports.cells import safe

CHUNK = 1 << 16
#: Excel's limit of rows in a sheet, the header's included.
SHEET_ROWS = 1_048_576
NAME_CHARS = 31  # Excel's limit on a sheet's name
#: Text longer than Excel's 32,767 characters a cell (an incident's 200 places, joined) is written
#: whole, as CSV and NDJSON give it and the importer reads it back, rather than cut short unseen
#: (openpyxl cut it; Excel itself would cut it on opening, saying so).
CELL_CHARS = 1 << 31


def sheet_name(title: str, n: int) -> str:
    """The n-th sheet's name (from 1): the title, then "title (2)", cut to fit Excel's 31 characters."""
    if n == 1:
        return title[:NAME_CHARS]
    suffix = f" ({n})"
    return title[:NAME_CHARS - len(suffix)] + suffix


def write(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], about: dict[str, Any],
          title: str) -> Iterator[bytes]:
    header = [name for name, _ in columns]
    with tempfile.TemporaryFile() as file:
        # constant_memory: each row goes to the sheet's temporary file as it is written, its strings
        # inline (no shared-strings table growing with the export). Text stays text: no string is
        # read as a number, formula or link.
        book = Workbook(file, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                               "strings_to_urls": False})
        names: list[str] = []
        sheet, filled = None, SHEET_ROWS
        for row in rows:
            if filled == SHEET_ROWS:
                names.append(sheet_name(title, len(names) + 1))
                sheet, filled = _sheet(book, names[-1]), 1
                _cells(sheet, 0, header)
            _cells(sheet, filled, [row.get(name) for name in header])
            filled += 1
        if not names:  # no rows: the header alone
            names.append(sheet_name(title, 1))
            _cells(_sheet(book, names[0]), 0, header)
        info = _sheet(book, "about")
        stated = [*about.items(), *([("sheets", ", ".join(names))] if len(names) > 1 else [])]
        for n, (key, value) in enumerate(stated):
            _cells(info, n, [key, value])
        book.close()  # the zip, written whole, then streamed from disk
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


def _sheet(book: Workbook, name: str) -> Any:
    sheet = book.add_worksheet(name)
    sheet.xls_strmax = CELL_CHARS  # XlsxWriter's cut at Excel's limit (see CELL_CHARS)
    return sheet


def _cells(sheet: Any, at: int, values: list[Any]) -> None:
    """A row of cells, each written by its type (no guessing from the text), an empty one (None or
    no text) not at all, so it reads back as nothing, as in CSV."""
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            sheet.write_string(at, column, safe(value))
        elif isinstance(value, bool):
            sheet.write_boolean(at, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(at, column, value)
        else:
            sheet.write(at, column, value)
