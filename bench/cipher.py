"""What CIPHER_KEY costs the read side: rebuilds and reads with the key, against the same without.

One log is built (bench.build) in a store without the key and copied, event by event, into
one with it (re-encrypted by its own mapper: the same ids, times and contents). Both get
their views; then, in turns, each is rebuilt (events/s) and asked the same questions
(latency): the reads that open sealed columns (a figure's history with its citations, a page
of figures, of sources, of incidents at one place) and a running tally, which opens none.
Every pair is measured back to back, so the ratio holds on a shared machine.

    python -m bench.cipher [--store sqlite|postgres] [--events 20000] [--runs 3] [--samples 300]
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import sys
from typing import Any

from api.bootstrap import open_ledger
from bench import config, stores
from bench.build import build_log
from bench.stats import clock, median, percentiles, rate
from bench.workload import PLACES, Ids, Workload, Zipf

REBUILD_NAME = "views_bench"


def _reads(wl: Workload, ids: Ids, samples: int) -> list[tuple[str, Any]]:
    rng, zipf = random.Random(7), Zipf()
    hot = [ids.figure(wl.figure_keys, zipf.sample(rng, len(wl.figure_keys))) for _ in range(samples)]
    places = [rng.choice(PLACES) for _ in range(samples)]
    return [
        ("figure_history", [(lambda r, f=f: r.figure_history(f, limit=50)) for f in hot]),
        ("figures_page", [(lambda r: r.figures(limit=50, include_protected=True))] * samples),
        ("sources_page", [(lambda r: r.sources(limit=50, include_protected=True))] * samples),
        ("incidents_at_place", [(lambda r, p=p: r.incidents(place=p, limit=50)) for p in places]),
        ("tally", [(lambda r: r.tally("civilians_killed"))] * samples),
    ]


def measure(kind: str, n_events: int, runs: int, samples: int, postgres_url: str, workdir: str) -> dict[str, Any]:
    from projections.follower import Follower
    from projections.reader import Reader
    from projections.rebuild import rebuild
    from projections.views import Views

    key = base64.b64encode(os.urandom(32)).decode()
    with stores.fresh_store(kind, postgres_url, workdir, "plain") as plain, \
            stores.fresh_store(kind, postgres_url, workdir, "sealed", cipher_key=key) as sealed:
        ledgers = {"plain": open_ledger(plain), "cipher": open_ledger(sealed)}
        wl, ids = Workload(), Ids()
        built = build_log(ledgers["plain"], wl, ids, n_events)
        source, target = ledgers["plain"], ledgers["cipher"]
        start = 0
        while page := list(source.recorder.select_notifications(start=start, limit=5_000, inclusive_of_start=False)):
            target.recorder.insert_events([target.mapper.to_stored_event(source.mapper.to_domain_event(n))
                                           for n in page])
            start = page[-1].id
        named = {"plain": plain, "cipher": sealed}
        for name, store in named.items():
            with Follower(store, Views(), ledger=ledgers[name]) as follower:
                follower.catch_up()
        rebuilds: dict[str, list[float]] = {"plain": [], "cipher": []}
        for _ in range(runs):
            for name, store in named.items():
                result = rebuild(store, progress=False, name=REBUILD_NAME, ledger=ledgers[name])
                rebuilds[name].append(rate(result["events"], result["seconds"]))
        readers = {name: Reader(store) for name, store in named.items()}
        latencies: dict[str, dict[str, Any]] = {}
        try:
            for label, calls in _reads(wl, ids, samples):
                times: dict[str, list[float]] = {"plain": [], "cipher": []}
                for name in readers:  # one untimed call each: prepared statements, caches
                    calls[0](readers[name])
                for call in calls:
                    for name, reader in readers.items():
                        t0 = clock()
                        call(reader)
                        times[name].append(clock() - t0)
                latencies[label] = {name: percentiles(ts) for name, ts in times.items()}
        finally:
            for reader in readers.values():
                reader.close()
            for ledger in ledgers.values():
                ledger.close()
    plain_rate, cipher_rate = median(rebuilds["plain"]), median(rebuilds["cipher"])
    return {"store": kind, "events": built["events"],
            "rebuild": {"plain_events_per_s": plain_rate, "cipher_events_per_s": cipher_rate,
                        "ratio": cipher_rate / plain_rate, "runs": rebuilds},
            "reads": latencies}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cipher", description=__doc__)
    p.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--postgres-url", default=os.environ.get("LEDGER_BENCH_POSTGRES")
                   or os.environ.get("LEDGER_TEST_POSTGRES") or config.DEFAULT_POSTGRES)
    p.add_argument("--workdir", default=os.environ.get("TMPDIR", "/tmp"))
    a = p.parse_args(argv)
    out = measure(a.store, a.events, a.runs, a.samples, a.postgres_url, a.workdir)
    r = out["rebuild"]
    print(f"{out['store']} {out['events']:,} events: rebuild {r['plain_events_per_s']:,.0f} ev/s without the key,"
          f" {r['cipher_events_per_s']:,.0f} with it ({r['ratio']:.0%})")
    for label, by in out["reads"].items():
        print(f"  {label:20s} p50 {by['plain']['p50_ms']:.2f} / {by['cipher']['p50_ms']:.2f} ms,"
              f" p99 {by['plain']['p99_ms']:.2f} / {by['cipher']['p99_ms']:.2f} ms (without / with the key)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
