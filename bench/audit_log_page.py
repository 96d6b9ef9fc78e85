"""The audit log page's reads on a large log, without and with the kind index, in one run.

``python -m bench.audit_log_page [--events N | --keep DIR] [--samples S]`` (SQLite): a log of N
events bulk-built from the workload (or the store kept in DIR, e.g. a copy of a 1M store: it is
written to), views and audit tree caught up. Each page of ``/web/audit`` (log order, the latest
first, by a kind rare and common, by an actor) is timed S times, p50 and p99: first with the
``audit_log_by_kind`` index dropped (before: the page's list of kinds and its kind filter read the
log itself), then with it made again (after). The sign-in page, which reads nothing, is the
baseline of each phase, so the times can be read as multiples of it on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.build import build_log
from bench.page_times import HTML, fresh_app, signed_in
from bench.stats import percentiles
from bench.workload import Ids, Workload


def _times(client, path: str, samples: int) -> dict[str, float]:
    taken = []
    for _ in range(samples):
        start = time.perf_counter()
        answer = client.get(path, headers=HTML)
        taken.append(time.perf_counter() - start)
        assert answer.status_code == 200 and 'id="tree-building"' not in answer.text, (path, answer.status_code)
    return percentiles(taken)


def _index(app, make: bool) -> None:
    """Drop the kind index (before) or make it again (after), as ``ledger init`` makes it."""
    trail = app.state.audit
    with trail.db.transaction(commit=True) as cursor:
        cursor.execute("CREATE INDEX IF NOT EXISTS audit_log_by_kind ON audit_log (kind, position)" if make
                       else "DROP INDEX IF EXISTS audit_log_by_kind")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--keep", help="a folder holding a store to use (written to: give a copy)")
    p.add_argument("--samples", type=int, default=30)
    opts = p.parse_args()
    app = fresh_app(None, "audit-log", Path(opts.keep) if opts.keep else None)
    ledger = app.state.ledger
    if not (opts.keep and (Path(opts.keep) / "ids.json").exists()):
        build_log(ledger, Workload(), Ids(), opts.events)
    app.state.follower.catch_up()
    app.state.audit.catch_up()
    size = app.state.audit.size()
    key = ledger.issue_key("bench", owner="bench-auditor", role="auditor")[0]
    with signed_in(app, key) as client:
        kinds = app.state.audit.kinds()
        counted = {k: len(app.state.audit.log(kind=k, limit=500)["items"]) for k in kinds}
        rare, common = min(kinds, key=counted.get), max(kinds, key=counted.get)
        actor = app.state.audit.log(newest_first=True, limit=1)["items"][0]["actor"]
        paths = ["/web/audit", "/web/audit?order=newest", f"/web/audit?kind={rare}", f"/web/audit?kind={rare}&order=newest",
                 f"/web/audit?kind={common}&order=newest", f"/web/audit?actor={actor}&order=newest"]
        rows = {}
        for phase, make in (("before", False), ("after", True)):
            _index(app, make)
            base = _times(client, "/web/sign-in", opts.samples)
            rows[phase] = {"sign-in": base, **{path: _times(client, path, opts.samples) for path in paths}}
    print(f"\n{size:,} events in the audit log (SQLite); {opts.samples} samples a page; rare kind {rare}"
          f" ({counted[rare]}{'+' if counted[rare] == 500 else ''}), common {common}")
    print(f"{'page':<64}{'before p50':>11}{'p99':>8}{'after p50':>11}{'p99':>8}{'p50 x':>7}")
    for path in ["sign-in", *paths]:
        b, a = rows["before"][path], rows["after"][path]
        print(f"{path[:63]:<64}{b['p50_ms']:>11.1f}{b['p99_ms']:>8.1f}{a['p50_ms']:>11.1f}{a['p99_ms']:>8.1f}"
              f"{b['p50_ms'] / a['p50_ms']:>7.1f}", flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
