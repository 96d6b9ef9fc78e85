"""Imports: spreadsheet rows (CSV, HXL-tagged CSV, XLSX) filed as reports through the ledger's commands.

``tables`` reads a file as numbered rows; ``columns`` says which column fills which field
(by name, by HXL hashtag, or through a mapping file); ``plan`` groups rows into reports and
checks every one with the API's request model and the ledger's own check; ``record`` files
them, each at most once. ``ledger import`` and the officers' upload page (api/web/imports.py)
are thin layers over ``run``.

The receipts are the ledger's, so a row already recorded may be in a report anyone filed, a
protected source's among them: the answer names that report only to a caller who may see it
(``named_for``), and says "already recorded" alone to anyone else, as for a report the views do
not hold yet.
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
        reader: Any = None, include_protected: bool = False) -> tuple[Plan, Outcome | None]:
    """Check every row of the file, then file the reports: all of them, or with ``partial`` those
    that are good, or none when ``check_only`` or when a row is bad and not ``partial``.

    ``checking`` is told of rows as they are read; ``recording(rows, reports)`` gives the
    callback told of rows as they are filed. The outcome's ``report_ids`` name the reports the
    caller may see through ``reader`` (with ``include_protected`` for an auditor); without a
    reader, none. Raises ValueError for a file that cannot be read.
    """
    table = read(data, name)
    try:
        checked = plan(ledger, actor, table, mapping, checking)
    finally:
        table.close()
    if check_only or (checked.problems and not partial) or not checked.reports:
        return checked, None
    progress = recording(sum(len(r.rows) for r in checked.reports), len(checked.reports)) if recording else None
    outcome = record(ledger, actor, checked, progress)
    outcome.report_ids = named_for(outcome.report_ids, reader, include_protected)
    return checked, outcome


def named_for(report_ids: dict[int, str], reader: Any, include_protected: bool) -> dict[int, str]:
    """The rows whose report the caller may see by id, with it: the reads' own rule
    (``Reader.hides_record``), as if the views were behind, so that a report they do not hold
    yet (filed by another import a moment ago) is not named either."""
    if reader is None:
        return {}
    shown = {rid: not reader.hides_record(rid, include_protected=include_protected, current=False)
             for rid in set(report_ids.values())}
    return {row: rid for row, rid in report_ids.items() if shown[rid]}
