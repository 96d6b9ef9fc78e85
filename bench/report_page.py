"""A report's page and its figures, read figure by figure (as before, the baseline) and together
(``Reader.figures_of``), for one report stating many figures.

``python -m bench.report_page --figures 500`` files one report of that many figures (and a
second source's claim on each) on a fresh SQLite store (or ``--postgres URL``), signs in as an
auditor, and asks for ``/web/reports/{id}`` and ``/reports/{id}/figures`` in turn with each way
of reading, so both meet the same load; it prints each p50/p99 and the ratio.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.page_times import HTML, fresh_app, percentile, signed_in


def one_by_one(reader: Any, figure_ids: list[str], *, as_of: Any = None, include_protected: bool = False) -> list[Any]:
    """The figures as the page read them before: a statement (and a source card read) each."""
    return [reader.figure(str(f), as_of=as_of, include_protected=include_protected) for f in figure_ids]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--figures", type=int, default=500)
    p.add_argument("--samples", type=int, default=30)
    p.add_argument("--postgres", help="a PostgreSQL URL (a fresh schema is used)")
    opts = p.parse_args()
    app = fresh_app(opts.postgres, "report")
    ledger = app.state.ledger
    source = ledger.register_source("bench", name="Network", kind="monitoring_network", language="en")["source_id"]
    incident = ledger.record_incident("bench", title="Shelling", valid_from="2019-05-01")["incident_id"]
    statements = [{"incident_id": incident, "metric": "civilians_killed", "breakdown": {"perpetrator": f"force-{n}"},
                   "value": {"qualifier": "exact", "number": n + 1}} for n in range(opts.figures)]
    report = ledger.file_report("bench", source_id=source, title="Monthly", language="en",
                                figures=statements)["report_id"]
    app.state.follower.catch_up()
    key = ledger.issue_key("bench", owner="bench-auditor", role="auditor")[0]
    reader = app.state.reader
    together = type(reader).figures_of
    with signed_in(app, key) as client:
        for path, headers in ((f"/web/reports/{report}", HTML),
                              (f"/reports/{report}/figures", {"Authorization": f"Bearer {key}"})):
            times: dict[str, list[float]] = {"one by one": [], "together": []}
            for _ in range(opts.samples):
                for way, read in (("one by one", one_by_one), ("together", together)):
                    type(reader).figures_of = read
                    start = time.perf_counter()
                    answer = client.get(path, headers=headers)
                    times[way].append((time.perf_counter() - start) * 1000)
                    assert answer.status_code == 200, (path, answer.text[:300])
            type(reader).figures_of = together
            b50, a50 = percentile(times["one by one"], 0.5), percentile(times["together"], 0.5)
            print(f"{path[:40]:<40} {opts.figures} figures: one by one p50 {b50:.1f} p99"
                  f" {percentile(times['one by one'], 0.99):.1f} ms; together p50 {a50:.1f} p99"
                  f" {percentile(times['together'], 0.99):.1f} ms; p50 {a50 / b50:.2f}x", flush=True)
    ledger.close()


if __name__ == "__main__":
    main()
