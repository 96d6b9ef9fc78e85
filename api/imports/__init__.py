"""Imports: spreadsheet rows (CSV, HXL-tagged CSV, XLSX) filed as reports through the ledger's commands.

``tables`` reads a file as numbered rows; ``columns`` says which column fills which field
(by name, by HXL hashtag, or through a mapping file); ``plan`` groups rows into reports and
checks every one with the API's request model and the ledger's own check; ``record`` files
them, each at most once. ``ledger import`` and the officers' upload page (api/web/imports.py)
are thin layers over ``run``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.imports.columns import Mapping
from api.imports.plan import Plan, plan
from api.imports.record import Outcome, record
from api.imports.files import read


def run(ledger: Any, actor: str, data: bytes, *, name: str = "", mapping: Mapping | None = None,
        partial: bool = False, check_only: bool = False,
        checking: Callable[[int], None] | None = None,
        recording: Callable[[int, int], Callable[[int], None] | None] | None = None,
        ) -> tuple[Plan, Outcome | None]:
    """Check every row of the file, then file the reports: all of them, or with ``partial`` those
    that are good, or none when ``check_only`` or when a row is bad and not ``partial``.

    ``checking`` is told of rows as they are read; ``recording(rows, reports)`` gives the
    callback told of rows as they are filed. Raises ValueError for a file that cannot be read.
    """
    table = read(data, name)
    try:
        checked = plan(ledger, actor, table, mapping, checking)
    finally:
        table.close()
    if check_only or (checked.problems and not partial) or not checked.reports:
        return checked, None
    progress = recording(sum(len(r.rows) for r in checked.reports), len(checked.reports)) if recording else None
    return checked, record(ledger, actor, checked, progress)
