"""Latency percentiles over HTTP of a figure's history, a breakdown tally and ``GET /figures/{id}``,
each beside a bare endpoint answering a body of the same size.

``python -m bench.http_latency --api URL --bare URL --key KEY --figures FILE [--runs 3]``: against
servers already running (the API and ``bench.bare_api``, the same uvicorn workers).
``python -m bench.http_latency --build 100000 --postgres URL [--schema NAME]``: builds the bench
workload's log in that schema (kept, and reused when it is there: ``--drop`` removes it after),
brings the views up to date, starts both servers (``bench.nodelay``, ``--workers`` each) and stops
them after.

For each of ``--connections`` (e.g. ``1,8``: one request at a time, the route's service time, and
then 8 clients) that many keep-alive clients each send requests one after another for SECONDS,
one endpoint at a time, the endpoints taking turns in every run (the order rotated run by run)
so that all meet the same bursts of whatever else runs on the machine. Each route has its own
bare twin (``/bare/{i}?bytes=`` its answers' median size). The history asks the same 200 pages
over and over, as readers of the hot figures do, and the API keeps them while the log stands
still; with ``--cold`` it asks each page as of a moment of its own (after the log's end: the
same page), so every answer is read and rendered afresh. Reports p50/p95/p99 and requests/s
per endpoint per run, the ratio to its bare twin in the same run, and the load average.
FILE is JSON: ``{"figures": [ids, Zipf-chosen], "metric": ...}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import threading
import time
from typing import Any

import httpx

from bench.stats import percentiles


def _load(base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int,
          errors: list[str] | None = None) -> list[float]:
    """The latencies of the answers that were 200; any other answer goes to ``errors`` (a
    shared PostgreSQL at its connection limit answers 503) and the run is reported with them."""
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        mine, bad = [], []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            i = n
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                path = _asked(paths[i % len(paths)])
                r = c.get(path)
                if r.status_code == 200:
                    mine.append(time.perf_counter() - started)
                else:
                    bad.append(f"{r.status_code} {path}")
                i += connections
        with lock:
            times.extend(mine)
            if errors is not None:
                errors.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


ROUTES = ("history", "breakdown", "figure")
#: With ``--cold`` each history request asks as of a moment of its own (after the whole log, so
#: the same page): never one the API kept, the cost of a page read and sent afresh.
_MOMENTS = itertools.count()


def _asked(path: str) -> str:
    return path.replace("{moment}", f"2100-01-01T00:00:00.{next(_MOMENTS) % 1_000_000:06d}Z")



def _endpoints(api: str, bare: str, key: str, data: dict[str, Any], baseline: str | None = None,
               cold: bool = False) -> dict[str, tuple[str, list[str], dict]]:
    """Each route, its bare twin, and with ``baseline`` (another API on the same store) the route there too."""
    headers = {"Authorization": f"Bearer {key}"}
    routes = {
        "history": [f"/figures/{f}/history{'?as_of={moment}' if cold else ''}" for f in data["figures"]],
        "breakdown": [f"/tallies/{data.get('metric', 'civilians_killed')}?by=perpetrator"],
        "figure": [f"/figures/{f}" for f in data["figures"]],
    }
    endpoints: dict[str, tuple[str, list[str], dict]] = {}
    with httpx.Client(base_url=api, headers=headers, timeout=30) as c:
        for name, paths in routes.items():
            sizes = sorted(len(c.get(_asked(p)).content) for p in paths[:50])
            size = sizes[len(sizes) // 2]
            endpoints[name] = (api, paths, headers)
            endpoints[f"bare-{name}"] = (bare, [f"/bare/{i}?bytes={size}" for i in range(len(paths))], {})
            print(f"{name}: median answer {size:,} bytes (largest of 50: {sizes[-1]:,})", flush=True)
            if baseline:
                endpoints[f"{name}@baseline"] = (baseline, paths, headers)
                with httpx.Client(base_url=baseline, headers=headers, timeout=30) as b:
                    theirs = sorted(len(b.get(_asked(p)).content) for p in paths[:50])
                print(f"{name}@baseline: median answer {theirs[len(theirs) // 2]:,} bytes", flush=True)
    return endpoints


def _measure(endpoints: dict, runs: int, seconds: float, connections: int, label: str) -> list[dict[str, Any]]:
    for name, (base, paths, h) in endpoints.items():  # warm-up: pools filled, statements prepared
        _load(base, paths, h, 1.0, connections)
    out: list[dict[str, Any]] = []
    names = list(endpoints)
    for k in range(runs):
        load_before = os.getloadavg()[0]
        got: dict[str, dict[str, float]] = {}
        for name in names[k % len(names):] + names[:k % len(names)]:
            base, paths, h = endpoints[name]
            errors: list[str] = []
            times = _load(base, paths, h, seconds, connections, errors)
            ms = percentiles(times) or {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
            got[name] = {"n": len(times), "rps": len(times) / seconds, "errors": len(errors),
                         **{q: ms[f"{q}_ms"] for q in ("p50", "p95", "p99")}}
            if errors:
                print(f"  warning: {name}: {len(errors)} answers not 200 (first: {errors[0]})", flush=True)
        run = {"connections": connections, "load": (load_before + os.getloadavg()[0]) / 2, **got}
        out.append(run)
        print(f"{label} {connections} client(s), run {k + 1} (load {run['load']:.1f}):", flush=True)
        for n in [n for r in ROUTES for n in (r, f"{r}@baseline") if n in got]:
            g, b = got[n], got[f"bare-{n.split('@')[0]}"]
            print(f"  {n:<12} p50/p95/p99 {g['p50']:6.2f} / {g['p95']:6.2f} / {g['p99']:6.2f} ms, {g['rps']:7.1f} req/s"
                  f" | bare twin {b['p50']:6.2f} / {b['p95']:6.2f} / {b['p99']:6.2f} ms, {b['rps']:7.1f} req/s"
                  f" | p99 {g['p99'] / b['p99']:.2f}x, req/s {g['rps'] / b['rps']:.0%} of bare", flush=True)
    return out


def _prepare(url: str, schema: str, events: int, work: str) -> dict[str, Any]:
    """The store (built once into ``schema`` and kept), its figures Zipf-chosen, and a reader's key."""
    import dataclasses
    import random

    from api.bootstrap import create_schema, open_ledger, open_read_side
    from bench.build import build_log
    from bench.workload import Ids, Workload, Zipf
    from ledger.store import Store

    os.makedirs(work, exist_ok=True)
    os.environ.setdefault("LEDGER_SIGNING_KEY", os.path.join(work, "signing-key.pem"))
    store = Store(f"{url}{'&' if '?' in url else '?'}schema={schema}")
    kept = os.path.join(work, f"{schema}.json")
    wl, ids = Workload(), Ids()
    create_schema(store)
    ledger = open_ledger(store)
    if os.path.exists(kept):
        figures = json.load(open(kept))["figures"]
        print(f"reusing {schema}", flush=True)
    else:
        built = build_log(ledger, wl, ids, events)
        print(f"built {built['events']:,} events in {built['seconds']:.0f} s", flush=True)
        rng, zipf = random.Random(7), Zipf()
        figures = [ids.figure(wl.figure_keys, zipf.sample(rng, len(wl.figure_keys))) for _ in range(200)]
        json.dump({"ids": dataclasses.asdict(ids), "figures": figures}, open(kept, "w"))
    t0 = time.perf_counter()
    reader, follower = open_read_side(store, ledger)
    follower.catch_up()
    print(f"views caught up in {time.perf_counter() - t0:.0f} s", flush=True)
    key, _ = ledger.issue_key("bench-admin", owner="bench-load", role="reader")
    ledger.close()
    return {"db": store.url, "key": key, "figures": figures, "metric": "civilians_killed"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http_latency", description=__doc__)
    p.add_argument("--api")
    p.add_argument("--bare")
    p.add_argument("--key")
    p.add_argument("--figures")
    p.add_argument("--build", type=int, metavar="EVENTS", help="build (or reuse) a store and serve it")
    p.add_argument("--postgres", default=os.environ.get("LEDGER_BENCH_POSTGRES")
                   or os.environ.get("LEDGER_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--schema", default=None, help="default bench_latency_EVENTS")
    p.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench-latency"))
    p.add_argument("--drop", action="store_true", help="drop the schema afterwards")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--connections", default="1,8", help="comma-separated client counts, each measured in turn")
    p.add_argument("--baseline-tree", help="with --build: also serve the API from this checkout, measured beside")
    p.add_argument("--cold", action="store_true", help="every history request one the API has not kept")
    p.add_argument("--label", default="")
    p.add_argument("--out", help="write the runs as JSON here")
    args = p.parse_args(argv)
    counts = [int(c) for c in str(args.connections).split(",")]
    servers, baseline = [], None
    try:
        if args.build:
            from bench.web import _free_port, _start

            schema = args.schema or f"bench_latency_{args.build}"
            data = _prepare(args.postgres, schema, args.build, args.work)
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env = {**os.environ, "LEDGER_DB": data["db"], "PYTHONPATH": root}
            env.pop("CIPHER_KEY", None)
            ports = [_free_port(), _free_port()]
            for port, app in zip(ports, ("api.app:app_from_environment", "bench.bare_api:app")):
                cmd = [sys.executable, "-m", "bench.nodelay", app, "--port", str(port), "--workers", str(args.workers)]
                servers.append(_start(cmd[:4] + ["--factory"] + cmd[4:] if app.startswith("api") else cmd,
                                      env, port, print))
            api, bare = (f"http://127.0.0.1:{p}" for p in ports)
            if args.baseline_tree:
                # The same API from another checkout (e.g. main), on the same store, measured in the same runs.
                port = _free_port()
                tree = os.path.abspath(args.baseline_tree)
                servers.append(_start([sys.executable, "-m", "bench.nodelay", "api.app:app_from_environment",
                                       "--factory", "--port", str(port), "--workers", str(args.workers)],
                                      {**env, "PYTHONPATH": tree}, port, print, cwd=tree))
                baseline = f"http://127.0.0.1:{port}"
            key = data["key"]
        else:
            if not (args.api and args.bare and args.key and args.figures):
                raise SystemExit("give --api, --bare, --key and --figures, or --build EVENTS")
            api, bare, key, data = args.api, args.bare, args.key, json.load(open(args.figures))
        for url in (api, bare):
            if not url.startswith(("http://127.0.0.1", "http://localhost")):
                raise SystemExit("load is generated against 127.0.0.1 only")
        endpoints = _endpoints(api, bare, key, data, baseline, args.cold)
        runs = [run for c in counts for run in _measure(endpoints, args.runs, args.seconds, c, args.label)]
    finally:
        if servers:
            from bench.web import _stop

            for proc in servers:
                _stop(proc)
        if args.build and args.drop:
            from bench.stores import drop_schema

            drop_schema(args.postgres, args.schema or f"bench_latency_{args.build}")
    if args.out:
        json.dump(runs, open(args.out, "w"), indent=1)
    _summary(runs)
    return 0


def _summary(runs: list[dict[str, Any]]) -> None:
    """Medians over the runs, per client count: the lines docs/performance.md quotes."""
    from statistics import median

    for c in sorted({r["connections"] for r in runs}):
        mine = [r for r in runs if r["connections"] == c]
        loads = [r["load"] for r in mine]
        print(f"median of {len(mine)} runs, {c} client(s), load {min(loads):.1f}-{max(loads):.1f}:")
        for n in [n for r in ROUTES for n in (r, f"{r}@baseline") if n in mine[0]]:
            med = {q: median(r[n][q] for r in mine) for q in ("p50", "p95", "p99", "rps")}
            twin = f"bare-{n.split('@')[0]}"
            ratio = median(r[n]["rps"] / r[twin]["rps"] for r in mine)
            bare99 = median(r[twin]["p99"] for r in mine)
            print(f"  {n:<9} p50/p95/p99 {med['p50']:.2f} / {med['p95']:.2f} / {med['p99']:.2f} ms;"
                  f" req/s {ratio:.0%} of its bare twin (bare p99 {bare99:.2f} ms)")


if __name__ == "__main__":
    raise SystemExit(main())
