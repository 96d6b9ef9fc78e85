"""CSV and HXL-tagged CSV, a row at a time.

No leading comment line carries the ledger position (many readers would take it for the
header): every row has ``ledger_position`` and ``tree_size`` columns instead, and the HTTP
answer the ``Ledger-Position`` and ``Ledger-Tree-Size`` headers. HXL puts its hashtag row right
under the header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from api.exports.cells import safe

STATED = [("ledger_position", "#meta+ledger_position"), ("tree_size", "#meta+tree_size")]


def write(columns: list[tuple[str, str]], rows: Iterable[dict[str, Any]], about: dict[str, Any], *,
          hxl: bool = False) -> Iterator[bytes]:
    columns = [*columns, *STATED]
    where = {name: about.get(name) for name, _ in STATED}
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode()

    out.writerow([name for name, _ in columns])
    if hxl:
        out.writerow([tag for _, tag in columns])
    yield b"\xef\xbb\xbf" + flush()  # the BOM: Excel then reads UTF-8 names as written
    for row in rows:
        row = {**row, **where}
        out.writerow(["" if row.get(name) is None else safe(row.get(name)) for name, _ in columns])
        if buffer.tell() > 65536:
            yield flush()
    yield flush()
