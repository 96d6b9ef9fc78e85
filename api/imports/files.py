"""Reading an import file as rows of cells: CSV, HXL-tagged CSV and XLSX.

Each row comes with its number as a spreadsheet shows it (the header is row 1), so that a
problem names the row an officer sees. A hashtag row right under the header (or in place of
it) makes the file HXL: its columns are then read by their hashtags, whatever the headers say.
Cells a spreadsheet would run as formulas were written with a leading quote by the export;
it is dropped again here (api/exports/cells.py holds both sides of that rule). An XLSX
export longer than Excel's sheet limit goes on over further sheets, which its "about" sheet
names: they are read on after the first, as one table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, islice
from typing import Any

from api.exports.cells import as_typed

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Sheet:
    headers: list[Any]
    tags: list[str | None]
    rows: Iterator[tuple[int, list[Any]]]
    hxl: bool = False
    kind: str = "csv"
    _close: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for thing in self._close:
            thing.close()


def _is_tag_row(cells: list[Any]) -> bool:
    filled = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):  # kept as written (the words are the source's); blank is empty
        return as_typed(value) if value.strip() else None
    return value


def _numbered(lines: Iterator[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    n = 0
    try:
        for n, cells in enumerate(lines, start=1):
            yield n, [_cell(c) for c in cells]
    except csv.Error as e:  # a cell over the csv module's size limit, a stray quote...
        raise ValueError(f"row {n + 1} cannot be read as CSV: {e}") from None


def _table(lines: Iterator[list[Any]], kind: str) -> Sheet:
    numbered = _numbered(lines)
    first = next(numbered, None)
    if first is None:
        return Sheet([], [], iter(()), kind=kind)
    headers: list[Any] = first[1]
    tags: list[str | None] = [None] * len(headers)
    hxl = _is_tag_row(headers)
    if hxl:  # a hashtag row with no header above it
        tags, headers = list(headers), [None] * len(headers)
    else:
        second = next(numbered, None)
        if second is not None and _is_tag_row(second[1]):
            tags, hxl = list(second[1]), True
        elif second is not None:
            numbered = _again(second, numbered)
    tags += [None] * (len(headers) - len(tags))
    rows = ((n, cells) for n, cells in numbered if any(c is not None for c in cells))
    return Sheet(headers, tags, rows, hxl, kind)


def _again(first: tuple[int, list[Any]], rest: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    yield first
    yield from rest


def read(data: bytes, name: str = "") -> Sheet:
    """The table in a file's bytes: XLSX by its zip signature, CSV (UTF-8, with or without BOM) otherwise."""
    if data[:4] == XLSX_MAGIC or name.lower().endswith(".xlsx"):
        return _xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"the file is neither XLSX nor UTF-8 CSV (byte {e.start} is not UTF-8)") from None
    table = _table(csv.reader(io.StringIO(text, newline="")), "csv")
    table.kind = "hxl" if table.hxl else "csv"
    return table


def _xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise ValueError(f"the file is not a workbook openpyxl can read ({type(e).__name__})") from None
    table = _table(_sheets(book), "xlsx")
    table._close.append(book)
    return table


def _sheets(book: Any) -> Iterator[list[Any]]:
    """The lines of the sheets the rows are on, as one table: the first sheet, then those the
    "about" sheet names after it (an export past Excel's sheet limit, api/exports/spreadsheet.py),
    each opening with the first one's header (and hashtag row), which is left out. A later
    sheet's rows are numbered on from the first's, as if the sheets were one."""
    names = _listed(book) or [book.worksheets[0].title]
    head: list[list[Any]] = []
    for name in names:
        if name not in book.sheetnames:
            raise ValueError(f'the "about" sheet names a sheet {name!r} the workbook does not have')
        lines = (list(r) for r in book[name].iter_rows(values_only=True))
        if not head:
            head = list(islice(lines, 2))
            if len(head) == 2 and (_is_tag_row(head[0]) or not _is_tag_row(head[1])):
                lines = chain([head.pop()], lines)  # a row of data, not the header's hashtags
            yield from head
        elif [_trimmed(line) for line in islice(lines, len(head))] != [_trimmed(line) for line in head]:
            raise ValueError(f"sheet {name!r} does not open with the header of sheet {names[0]!r}, so its"
                             " rows cannot be read as theirs")
        yield from lines


def _listed(book: Any) -> list[str]:
    """The sheets holding rows as the export's "about" sheet names them when they are several, else none."""
    if "about" not in book.sheetnames:
        return []
    about = {r[0]: r[1] for r in book["about"].iter_rows(max_col=2, values_only=True) if r and len(r) == 2}
    return [n.strip() for n in str(as_typed(str(about.get("sheets") or ""))).split(",") if n.strip()]


def _trimmed(cells: list[Any]) -> list[Any]:
    """A sheet's row without the empty cells past its last one (sheets differ in how far they pad)."""
    line = list(cells)
    while line and line[-1] is None:
        line.pop()
    return line
