"""Filing a plan's reports through the ledger's own commands, each at most once.

Every report is filed with ``file_report`` under a request key made from its content
(``plan.request_key``), and each citation with ``cite`` under that key and the figure's
place in the report: the ledger's receipts then make a second import of the same rows record
nothing, and an import cut off halfway resume where it stopped (the reports it had filed
answer from their receipts). Receipts belong to the officer who imported, as with any request.
Two imports of one file at once file each report once, and each counts as filed only what
its own calls recorded (an answer replayed from the other's receipt counts as already filed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.imports.plan import Plan, RowProblem, ReportToFile
from ledger.errors import LedgerError
from ledger.receipt import replayed

RECORDED, ALREADY = "recorded", "already recorded"


@dataclass
class Outcome:
    #: row: RECORDED or ALREADY
    rows: dict[int, str] = field(default_factory=dict)
    reports: int = 0
    already: int = 0
    citations: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def record(ledger: Any, actor: str, plan: Plan, progress: Callable[[int], None] | None = None) -> Outcome:
    """File the plan's reports (its good rows: the caller decides whether any problem stops it)."""
    out = Outcome()
    for report in plan.reports:
        try:
            status = _file(ledger, actor, report, out)
        except LedgerError as e:  # found only now (a record changed since the plan was made)
            out.problems.append(RowProblem(report.rows[0], None, e.message))
        else:
            out.rows.update(dict.fromkeys(report.rows, status))
        if progress is not None:
            progress(len(report.rows))
    return out


def _file(ledger: Any, actor: str, report: ReportToFile, out: Outcome) -> str:
    # The receipt read first saves the work of a second run; whether this call filed is what
    # the ledger answers (replayed: another process filed it between that read and ours).
    result, filed = ledger.answered(actor, report.key), False
    if result is None:
        result = ledger.file_report(actor, request_key=report.key, **report.fields)
        filed = not replayed(result)
    if filed:
        out.reports += 1
    else:
        out.already += 1
    status = RECORDED if filed else ALREADY
    for index, citation in enumerate(report.citations):
        if citation is None:
            continue
        key = f"{report.key}:{index}"
        if ledger.answered(actor, key) is None and not replayed(ledger.cite(
                actor, target_id=result["figures"][index]["figure_id"], source_id=report.fields["source_id"],
                request_key=key, **citation)):
            out.citations += 1
            status = RECORDED
    return status
