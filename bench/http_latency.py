"""Latency percentiles over HTTP of a figure's history and a breakdown tally, beside the bare endpoint.

``python -m bench.http_latency --api URL --bare URL --key KEY --figures FILE [--runs 3]``: against
servers already running (the API and ``bench.bare_api``, the same uvicorn workers), CONNECTIONS
keep-alive clients each send requests one after another for SECONDS, one endpoint at a time,
the endpoints taking turns in every run (history, breakdown, bare; the order rotated run by
run) so that all meet the same bursts of whatever else runs on the machine. Reports p50 and
p99 per endpoint per run, each also as a ratio to the bare endpoint's in the same run, and the
load average. FILE is JSON: ``{"figures": [ids, Zipf-chosen], "metric": ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from typing import Any

import httpx

from bench.stats import percentiles


def _load(base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        mine = []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            i = n
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = c.get(paths[i % len(paths)])
                mine.append(time.perf_counter() - started)
                if r.status_code != 200:
                    raise RuntimeError(f"{paths[i % len(paths)]}: {r.status_code} {r.text[:200]}")
                i += connections
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http_latency", description=__doc__)
    p.add_argument("--api", required=True)
    p.add_argument("--bare", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--figures", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--label", default="")
    args = p.parse_args(argv)
    for url in (args.api, args.bare):
        if not url.startswith(("http://127.0.0.1", "http://localhost")):
            raise SystemExit("load is generated against 127.0.0.1 only")
    data = json.load(open(args.figures))
    headers = {"Authorization": f"Bearer {args.key}"}
    endpoints = {
        "history": (args.api, [f"/figures/{f}/history" for f in data["figures"]], headers),
        "breakdown": (args.api, [f"/tallies/{data.get('metric', 'civilians_killed')}?by=perpetrator"], headers),
        "bare": (args.bare, [f"/bare/{i}" for i in range(len(data["figures"]))], {}),
    }
    for name, (base, paths, h) in endpoints.items():  # warm-up: pools filled, statements prepared
        _load(base, paths, h, 1.0, args.connections)
    runs: list[dict[str, Any]] = []
    names = list(endpoints)
    for k in range(args.runs):
        load_before = os.getloadavg()[0]
        got: dict[str, dict[str, float]] = {}
        for name in names[k % len(names):] + names[:k % len(names)]:
            base, paths, h = endpoints[name]
            times = _load(base, paths, h, args.seconds, args.connections)
            ms = percentiles(times)
            got[name] = {"n": len(times), "p50": ms["p50_ms"], "p99": ms["p99_ms"]}
        run = {"load": (load_before + os.getloadavg()[0]) / 2, **got}
        runs.append(run)
        bare = got["bare"]
        print(f"{args.label} run {k + 1} (load {run['load']:.1f}): " + "; ".join(
            f"{n} p50 {g['p50']:.2f} ms ({g['p50'] / bare['p50']:.2f}x bare), p99 {g['p99']:.2f} ms"
            f" ({g['p99'] / bare['p99']:.2f}x bare), n={g['n']}" for n, g in got.items() if n != "bare")
            + f"; bare p50 {bare['p50']:.2f} / p99 {bare['p99']:.2f} ms", flush=True)
    print(json.dumps(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
