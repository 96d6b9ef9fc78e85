"""Filing a plan's reports through the ledger's own commands, each at most once.

Every report is filed with ``file_report`` under a request key made from its content
(``plan.request_key``), and each citation with ``cite`` under that key and the figure's
place in the report: the ledger's receipts then make a second import of the same rows record
nothing, and an import cut off halfway resume where it stopped (the reports it had filed
answer from their receipts). The keys are content keys (ledger/receipt.py): their receipts are
the ledger's, not the importing officer's, so the same rows imported by another officer, or by
the command line and then the upload page, record nothing and answer with the reports first
filed (the first officer stays their actor). Two imports of one file at once file each report
once, and each counts as filed only what its own calls recorded (an answer replayed from the
other's receipt counts as already filed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from api.imports.plan import Plan, RowProblem, ReportToFile
from ledger.errors import LedgerError
from ledger.figure import figure_id
from ledger.receipt import ContentKey, replayed
from ledger.value import Count

RECORDED, ALREADY = "recorded", "already recorded"


@dataclass
class Outcome:
    #: row: RECORDED or ALREADY
    rows: dict[int, str] = field(default_factory=dict)
    #: row: the id of the report it is filed in (by this import or an earlier one, by anyone);
    #: ``run`` keeps only those its caller may see
    report_ids: dict[int, str] = field(default_factory=dict)
    reports: int = 0
    already: int = 0
    citations: int = 0
    #: Sources and incidents registered and recorded for the file (named by ids this ledger had not).
    created: int = 0
    corrections: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def record(ledger: Any, actor: str, plan: Plan, progress: Callable[[int], None] | None = None) -> Outcome:
    """File the plan's reports (its good rows: the caller decides whether any problem stops it)."""
    out = Outcome()
    try:
        ids = _create(ledger, actor, plan, out)
    except LedgerError as e:  # found only now (a record changed since the plan was made)
        out.problems.append(RowProblem(plan.reports[0].rows[0] if plan.reports else 1, None, e.message))
        return out
    for report in plan.reports:
        try:
            status, report_id = _file(ledger, actor, _named(report, ids), out)
        except LedgerError as e:  # found only now (a record changed since the plan was made)
            out.problems.append(RowProblem(report.rows[0], None, e.message))
        else:
            out.rows.update(dict.fromkeys(report.rows, status))
            out.report_ids.update(dict.fromkeys(report.rows, report_id))
        if progress is not None:
            progress(len(report.rows))
    for c in plan.corrections:
        fid = figure_id(ids.get(c.incident_id, c.incident_id), c.metric, c.breakdown, c.population)
        try:
            if Count.parse(c.value).as_dict() == ledger.figure(str(fid)).current:
                out.rows.setdefault(c.row, ALREADY)  # filed claims already read so (a correction must change it)
                continue
            key = ContentKey(c.key)
            if ledger.answered(actor, key) is None and not replayed(ledger.correct_figure(
                    actor, str(fid), value=c.value, reason=c.reason, request_key=key)):
                out.corrections += 1
            out.rows.setdefault(c.row, RECORDED)
        except LedgerError as e:
            out.problems.append(RowProblem(c.row, None, e.message))
    return out


def _create(ledger: Any, actor: str, plan: Plan, out: Outcome) -> dict[str, str]:
    """Register the sources and record the incidents the plan names by ids this ledger has not,
    each at most once (a request key from the id in the file and the fields): the file's id to
    the new record's."""
    ids: dict[str, str] = {}
    for kind, command, key in (("source", ledger.register_source, "source_id"),
                               ("incident", ledger.record_incident, "incident_id")):
        for ident, fields in plan.creating.get(kind, {}).items():
            content = orjson.dumps([kind, ident, fields], option=orjson.OPT_SORT_KEYS)
            request_key = ContentKey(f"import:{kind}:" + hashlib.sha256(content).hexdigest())
            answer = ledger.answered(actor, request_key)
            if answer is None:
                answer = command(actor, request_key=request_key, **fields)
                out.created += 0 if replayed(answer) else 1
            ids[ident] = str(answer[key])
    return ids


def _named(report: ReportToFile, ids: dict[str, str]) -> ReportToFile:
    """The report with the file's ids of records created for it replaced by theirs in this ledger."""
    if not ids:
        return report
    fields = {**report.fields, "source_id": ids.get(str(report.fields["source_id"]), report.fields["source_id"]),
              "figures": [{**f, "incident_id": ids.get(str(f["incident_id"]), f["incident_id"])}
                          for f in report.fields["figures"]]}
    return ReportToFile(report.rows, fields, report.citations, report.key)


def _file(ledger: Any, actor: str, report: ReportToFile, out: Outcome) -> tuple[str, str]:
    """Whether the report's rows are RECORDED now or ALREADY, and the report's id."""
    # The receipt read first saves the work of a second run; whether this call filed is what
    # the ledger answers (replayed: another process filed it between that read and ours).
    key = ContentKey(report.key)
    result, filed = ledger.answered(actor, key), False
    if result is None:
        result = ledger.file_report(actor, request_key=key, **report.fields)
        filed = not replayed(result)
    if filed:
        out.reports += 1
    else:
        out.already += 1
    status = RECORDED if filed else ALREADY
    for index, citation in enumerate(report.citations):
        if citation is None:
            continue
        key = ContentKey(f"{report.key}:{index}")
        if ledger.answered(actor, key) is None and not replayed(ledger.cite(
                actor, target_id=result["figures"][index]["figure_id"], source_id=report.fields["source_id"],
                request_key=key, **citation)):
            out.citations += 1
            status = RECORDED
    return status, str(result["report_id"])
