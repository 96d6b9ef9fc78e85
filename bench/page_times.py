"""Server time and size of the web pages (api/web) on a bulk-built log.

``python -m bench.page_times --events 100000`` builds a log of the benchmark workload on a fresh
SQLite store (or ``--postgres URL``), brings the views up to date, signs in as an auditor
(who sees the most), then asks for each page many times in-process and reports the p50 and
p99 of the server time and the size of each answer. The issue's aims: p99 <= 50 ms at 1M
events, no page over 300 KB before images.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
import warnings
from pathlib import Path

from bench.build import build_log
from bench.workload import Ids, Workload

HTML = {"Accept": "text/html"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--samples", type=int, default=60)
    p.add_argument("--postgres", help="a PostgreSQL URL (a fresh schema is used)")
    opts = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    os.environ.setdefault("LEDGER_SIGNING_KEY", str(work / "signing-key.pem"))
    from api.bootstrap import create_schema
    from ledger.store import Store

    if opts.postgres:
        schema = f"bench_pages_{os.getpid()}"
        store = Store(f"{opts.postgres}{'&' if '?' in opts.postgres else '?'}schema={schema}")
    else:
        store = Store(f"sqlite:///{work / 'ledger.db'}")
    create_schema(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from api.app import create_app

    app = create_app(store)
    ledger = app.state.ledger
    wl, ids = Workload(), Ids()
    built = build_log(ledger, wl, ids, opts.events)
    print(f"built {built['events']:,} events in {built['seconds']:.1f} s", flush=True)
    t0 = time.perf_counter()
    app.state.follower.catch_up()
    print(f"views caught up in {time.perf_counter() - t0:.1f} s", flush=True)
    key = ledger.issue_key("bench", owner="bench-auditor", role="auditor")[0]
    with TestClient(app) as client:
        form = client.get("/web/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        client.post("/web/sign-in", data={"key": key, "csrf": csrf, "next": "/"}, headers=HTML)
        figure = ids.figures[0]
        paths = ["/", "/web/tallies/civilians_killed", f"/web/figures/{figure}", f"/web/incidents/{ids.incidents[0]}",
                 f"/web/sources/{ids.sources[0]}", f"/web/reports/{ids.reports[0]}", "/web/incidents", "/web/sources",
                 "/web/new/report", "/web/audit", "/docs"]
        print(f"{'page':<58} {'p50 ms':>8} {'p99 ms':>8} {'KB':>8}")
        for path in paths:
            times, size = [], 0
            for _ in range(opts.samples):
                start = time.perf_counter()
                answer = client.get(path, headers=HTML)
                times.append((time.perf_counter() - start) * 1000)
                size = len(answer.content)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
            print(f"{path[:58]:<58} {_percentile(times, 0.5):8.1f} {_percentile(times, 0.99):8.1f} {size / 1024:8.1f}",
                  flush=True)
    app.state.ledger.close()


if __name__ == "__main__":
    main()
