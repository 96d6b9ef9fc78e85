"""Following a bulk-built log batch by batch, and the count's chart over publication time read.

    python -m bench.publication_follow --work /tmp/pf10k --events 10000 --follow views_a --batch 500
    python -m bench.publication_follow --work /tmp/pf10k --reads views_a

``--follow NAME``: views NAME made afresh and the whole log followed in batches of ``--batch``
(no replay: every batch as a live follower applies it, running tallies kept each time), timed.
``--reads NAME``: ``tally_history(order="published")`` (all points) and the count page's
publication chart as of now, without and under a cut at the middle publication date, timed.
Run it with two trees on the same log (PYTHONPATH=main, then this branch) and compare ratios:
the machine's load moves absolute figures 2-5x between runs. The log is built once in ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from api.bootstrap import create_schema, create_tables, open_ledger
from bench.build import build_log
from bench.workload import Ids, Workload
from ledger.store import Store
from projections.follower import Follower
from projections.rebuild import drop
from projections.views import Views


def _store(work: Path, events: int) -> Store:
    work.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{work / 'ledger.db'}")
    marker = work / "built.json"
    if not marker.exists():
        create_schema(store)
        ledger = open_ledger(store)
        built = build_log(ledger, Workload(), Ids(), events)
        ledger.close()
        marker.write_text(json.dumps({"events": built["events"]}))
        print(f"built {built['events']:,} events in {built['seconds']:.1f} s", flush=True)
    return store


def follow(store: Store, name: str, batch: int) -> None:
    drop(store, name)
    create_tables(store, name)
    ledger = open_ledger(store)
    with Follower(store, Views(name), ledger=ledger, batch_size=batch, replay_from=None) as follower:
        t0, c0 = time.perf_counter(), time.process_time()
        n = follower.catch_up()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ledger.close()
    print(json.dumps({"follow": name, "events": n, "batch": batch, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "events_per_s": round(n / wall), "load": os.getloadavg()[0]}), flush=True)


def reads(store: Store, name: str, samples: int) -> None:
    from projections.reader import Reader

    with Reader(store, name=name) as reader:
        whole = reader.tally_history("civilians_killed", order="published")["points"]
        middle = whole[len(whole) // 2]["published_at"][:10] if whole else "2020-01-01"
        asks = {
            "tally_history(order=published)": lambda: reader.tally_history("civilians_killed", order="published"),
            "count page chart, order=published": lambda: reader.tally_history_cut_latest(
                "civilians_killed", points=1000, told=100, orders=("published",)),
            f"count page chart, published_by={middle}": lambda: reader.tally_history_cut_latest(
                "civilians_killed", points=1000, told=100, orders=("published",), published_by=middle),
        }
        for label, ask in asks.items():
            times = []
            for _ in range(samples):
                t0 = time.perf_counter()
                ask()
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            print(json.dumps({"read": label, "views": name, "points": len(whole), "p50_ms": round(
                statistics.median(times), 2), "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
                "load": os.getloadavg()[0]}), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", required=True)
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--follow")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--reads")
    p.add_argument("--samples", type=int, default=20)
    opts = p.parse_args()
    store = _store(Path(opts.work), opts.events)
    if opts.follow:
        follow(store, opts.follow, opts.batch)
    if opts.reads:
        reads(store, opts.reads, opts.samples)


if __name__ == "__main__":
    main()
