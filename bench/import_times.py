"""Imports against the ledger's own command ingest, in the same run: ``python -m bench.import_times [ROWS] [PER_REPORT]``.

Two fresh SQLite stores hold the same source and incident. The baseline files the reports
straight through ``Ledger.file_report`` (with a request key each, as ``POST /reports`` with an
Idempotency-Key does); the import files the same rows written as a CSV file, through
``api.imports.run``: reading, checking every row (the API's model and the ledger's check),
then the same commands. Both go chunk by chunk, alternately, so they share the machine's
noise. Printed: figure rows/s of each and the ratio import/baseline (the issue's target: >= 0.5),
and the rows/s of importing the whole file a second time (which records nothing).
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from pathlib import Path

from api import imports
from api.bootstrap import create_schema, open_ledger
from ledger.store import Store

CHUNK = 2000  # rows per alternation
METRICS = ("civilians_killed", "civilians_injured")


def _world(store: Store):
    ledger = open_ledger(store)
    source = ledger.register_source("bench", name="Bench", kind="witness", language="en")["source_id"]
    incident = ledger.record_incident("bench", title="t", valid_from="2019-04-26")["incident_id"]
    return ledger, source, incident


def _reports(start: int, rows: int, per_report: int) -> list[list[tuple[str, str, int]]]:
    """Reports of ``per_report`` figures each: (metric, place, number) per figure."""
    figures = [(METRICS[i % 2], f"p{i}", i % 1000) for i in range(start, start + rows)]
    return [figures[i:i + per_report] for i in range(0, len(figures), per_report)]


def _csv(reports: list[list[tuple[str, str, int]]], first: int, source: str, incident: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["source_id", "report_title", "language", "incident_id", "metric", "breakdown", "qualifier",
                     "number", "quote"])
    for k, report in enumerate(reports, start=first):
        for metric, place, number in report:
            writer.writerow([source, f"r{k}", "en", incident, metric, f"place={place}", "at_least", number,
                             f"at least {number} counted"])
    return out.getvalue().encode()


def main(rows: int = 20000, per_report: int = 100) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        stores = [Store(f"sqlite:///{Path(tmp) / f'{name}.db'}") for name in ("commands", "imports")]
        for store in stores:
            create_schema(store)
        (base, b_source, b_incident), (target, i_source, i_incident) = (_world(s) for s in stores)
        whole = io.BytesIO()
        command_s = import_s = 0.0
        try:
            for start in range(0, rows, CHUNK):
                reports = _reports(start, min(CHUNK, rows - start), per_report)
                first = start // per_report
                t0 = time.perf_counter()
                for k, report in enumerate(reports, start=first):
                    base.file_report("bench", source_id=b_source, title=f"r{k}", language="en",
                                     request_key=f"bench:{k}", figures=[
                                         {"incident_id": b_incident, "metric": m, "breakdown": {"place": p},
                                          "value": {"qualifier": "at_least", "number": n,
                                                    "quote": f"at least {n} counted"}} for m, p, n in report])
                command_s += time.perf_counter() - t0
                data = _csv(reports, first, i_source, i_incident)
                whole.write(data if start == 0 else data.split(b"\n", 1)[1])
                t0 = time.perf_counter()
                plan, outcome = imports.run(target, "bench", data)
                import_s += time.perf_counter() - t0
                assert not plan.problems and outcome is not None and outcome.reports == len(reports)
            t0 = time.perf_counter()
            plan, outcome = imports.run(target, "bench", whole.getvalue())
            again_s = time.perf_counter() - t0
            assert outcome is not None and outcome.reports == 0 and outcome.already == len(plan.reports)
        finally:
            base.close()
            target.close()
    result = {"rows": rows, "per_report": per_report, "command_rows_per_s": rows / command_s,
              "import_rows_per_s": rows / import_s, "ratio": command_s / import_s,
              "reimport_rows_per_s": rows / again_s}
    print(f"{rows} figure rows in reports of {per_report}:")
    print(f"  ledger commands (file_report):  {result['command_rows_per_s']:10.0f} rows/s")
    print(f"  import (read, check, file):     {result['import_rows_per_s']:10.0f} rows/s")
    print(f"  ratio import / commands:        {result['ratio']:10.2f}  (target >= 0.50)")
    print(f"  second import (records nothing): {result['reimport_rows_per_s']:9.0f} rows/s")
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
