"""A large log, fast: the workload's operations made into events by the real domain classes
(``Source.register``, ``Report.file``, ``Figure.state/claim/correct``, ``Citation.cite``,
``Receipt.issue`` ...), turned into stored events by the ledger's own mapper
(``mapper.to_stored_event``: same transcoder, same topics) and written with
``recorder.insert_events`` in large batches, instead of one command (one transaction, plus
the loads each command makes) at a time.

The events are the ones the commands would have recorded, but their aggregates are kept
in memory instead of being reloaded, so this is for building a log to measure at, never a
measure of ingest itself.
"""

from __future__ import annotations

from typing import Any

from bench.stats import clock
from bench.workload import ADOPTION_REASON, BREAKDOWNS, Ids, Op, Workload
from ledger.citation import Citation
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.receipt import Receipt, fingerprint
from ledger.report import Report
from ledger.source import Source
from ledger.value import Count


class BulkExecutor:
    def __init__(self, app, workload: Workload, ids: Ids, batch: int = 5_000) -> None:
        self.app = app
        self.wl = workload
        self.ids = ids
        self.batch = batch
        self.figures: dict[int, Figure] = {}
        self.buffer: list[Any] = []
        self.snapshots: list[Any] = []
        self.written = 0
        self._to_stored = app.mapper.to_stored_event

    def _receipt(self, op: Op, result: dict[str, Any]) -> list[Receipt]:
        if op.request_key is None:
            return []
        return [Receipt.issue(op.actor, op.request_key, op.kind, fingerprint(op.kind, {"n": op.request_key}), result)]

    def _collect(self, *aggregates) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self.buffer.append(self._to_stored(event))
            # Snapshots as the ledger takes them (every N events of a figure), so that the timed
            # windows on a bulk-built log start as warm as on a log the product wrote itself.
            interval = self.app.snapshotting_intervals.get(type(aggregate)) if self.app.snapshots else None
            if interval and aggregate.version % interval == 0:
                self.snapshots.append(self._to_stored(type(aggregate).Snapshot.take(aggregate)))
        if len(self.buffer) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.app.recorder.insert_events(self.buffer)
            self.written += len(self.buffer)
            self.buffer = []
        if self.snapshots:
            self.app.snapshots.recorder.insert_events(self.snapshots)
            self.snapshots = []

    def _figure(self, f: int) -> Figure:
        figure = self.figures.get(f)
        if figure is None:
            raise KeyError(f"figure {f} was never stated")
        return figure

    def run(self, op: Op) -> None:
        ids = self.ids
        if op.kind == "source":
            source = Source.register(op.actor, **op.fields)
            ids.sources.append(str(source.id))
            self._collect(source, *self._receipt(op, {"source_id": str(source.id)}))
        elif op.kind == "incident":
            incident = Incident.record(op.actor, **op.fields)
            ids.incidents.append(str(incident.id))
            self._collect(incident, *self._receipt(op, {"incident_id": str(incident.id)}))
        elif op.kind == "report":
            source_id = ids.sources[op.source]
            fids = [ids.figure(self.wl.figure_keys, f) if not new else None for (f, new, *_r) in op.statements]
            # New figures' ids follow from (incident, metric, breakdown), as in the command.
            for i, (f, new, inc, metric, b, _v, _a) in enumerate(op.statements):
                if new:
                    fids[i] = ids.figure(self.wl.figure_keys, f)
            report = Report.file(op.actor, source_id=source_id, figure_ids=fids, **op.fields)
            ids.reports.append(str(report.id))
            changed = []
            for (f, new, inc, metric, b, value, adopt) in op.statements:
                if new:
                    figure = Figure.state(op.actor, incident_id=ids.incidents[inc], metric=metric,
                                          breakdown=BREAKDOWNS[b], source_id=source_id,
                                          report_id=str(report.id), value=Count.parse(value))
                    self.figures[f] = figure
                else:
                    figure = self._figure(f)
                    figure.claim(op.actor, source_id=source_id, report_id=str(report.id),
                                 value=Count.parse(value), adopt=adopt,
                                 reason=ADOPTION_REASON if adopt else None)
                changed.append(figure)
            self._collect(report, *changed, *self._receipt(op, {"report_id": str(report.id)}))
        elif op.kind == "correct":
            figure = self._figure(op.figure)
            figure.correct(op.actor, value=Count.parse(op.fields["value"]), reason=op.fields["reason"],
                           evidence=[ids.citations[c] for c in op.evidence])
            self._collect(figure, *self._receipt(op, {"figure_id": str(figure.id), "version": figure.version}))
        elif op.kind == "cite":
            if op.figure >= 0:
                kind, target = "figure", ids.figure(self.wl.figure_keys, op.figure)
            else:
                kind, target = "report", ids.reports[op.report]
            citation = Citation.cite(op.actor, target_kind=kind, target_id=target,
                                     source_id=ids.sources[op.source], **op.fields)
            ids.citations.append(str(citation.id))
            self._collect(citation, *self._receipt(op, {"citation_id": str(citation.id)}))
        else:  # pragma: no cover
            raise ValueError(op.kind)


def build_log(app, workload: Workload, ids: Ids, n_events: int, *, setup: bool = True,
              progress=None) -> dict[str, float]:
    """Bulk-write about n_events events of the workload into the ledger's store."""
    ops = workload.setup() if setup else []
    executor = BulkExecutor(app, workload, ids)
    t0 = clock()
    for op in ops:
        executor.run(op)
    target = n_events
    while executor.written + len(executor.buffer) < target:
        executor.run(workload.next())
        if progress and executor.written and executor.written % 100_000 < executor.batch and not executor.buffer:
            progress(executor.written)
    executor.flush()
    seconds = clock() - t0
    return {"events": executor.written, "seconds": seconds, "events_per_s": executor.written / seconds,
            "figures": len(workload.figure_keys), "hot_figure_events": max(
                (f.version for f in executor.figures.values()), default=0)}
