"""Puts the phases together: for each store and each log size, build the log, mirror it
into a bare store, then measure ingest, projection, reads and HTTP against their in-run
baselines; print the table and write the JSON."""

from __future__ import annotations

import gc
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from api.bootstrap import open_ledger
from bench import (
    baseline,
    catch_up,
    config,
    http_ingest,
    ingest,
    reads,
    results_table,
    stores,
    web,
)
from bench.build import build_log
from bench.stats import median, median_runs, rate
from bench.workload import Ids, Workload


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _ingest_runs(opts, ledger, bare, padder, wl, ids, profile_dir, pb) -> dict[str, Any]:
    runs, catch_ups = [], []
    for k in range(opts.runs):
        path = os.path.join(profile_dir, f"ingest-{k}.txt") if profile_dir else None
        gc.collect()
        runs.append(ingest.window(ledger, bare, padder, wl, ids, opts.window, profile=path))
        say(f"  ingest run {k + 1}: ledger {runs[-1]['ledger_events_per_s']:,.0f} ev/s, "
            f"bare {runs[-1]['bare_events_per_s']:,.0f} ev/s, ratio {runs[-1]['ratio']:.0%}")
        if pb is not None and pb.available:
            catch_ups.append(pb.catch_up())
    out = median_runs(runs, ["ledger_events_per_s", "bare_events_per_s", "ratio", "commands_per_s"])
    return out, catch_ups


def block(opts: config.Options, kind: str, n_events: int) -> dict[str, Any]:
    out: dict[str, Any] = {"store": kind, "events": n_events, "cipher": opts.cipher_key is not None}
    profile_dir = None
    if opts.profile:
        profile_dir = os.path.join(opts.profile, f"{kind}-{n_events}")
        os.makedirs(profile_dir, exist_ok=True)
    # The API's workers follow the views and the audit tree themselves: both are made current
    # first, so that no phase that serves the API measures them catching up a whole log.
    want_views = bool({"projection", "reads", "http", "http-ingest"} - opts.skip)
    with stores.fresh_store(kind, opts.postgres_url, opts.workdir, "ledger", cipher_key=opts.cipher_key) as lstore, \
            stores.fresh_store(kind, opts.postgres_url, opts.workdir, "bare", ledger_schema=False) as bstore:
        ledger = open_ledger(lstore)
        bare = baseline.open_bare(bstore, create_table=True)
        padder = baseline.Padder(bare)
        wl, ids = Workload(), Ids()
        pb = catch_up.ProjectionBench(lstore, ledger) if want_views else None
        try:
            say(f"{kind}: building a log of {n_events:,} events (bulk insert)")
            log_start = datetime.now(UTC)
            out["build"] = build_log(ledger, wl, ids, n_events,
                                     progress=lambda n: say(f"  {n:,} events written"))
            say(f"  {out['build']['events']:,} events in {out['build']['seconds']:.1f} s; mirroring into the bare store")
            t0 = time.perf_counter()
            mirrored = baseline.mirror(bare, padder, ledger.recorder)
            out["mirror"] = {"events": mirrored, "seconds": time.perf_counter() - t0}

            initial = None
            if pb is not None and pb.available:
                say(f"{kind} @ {n_events:,}: projection, first catch-up of the whole log")
                initial = pb.install_and_catch_up()
                say(f"{kind} @ {n_events:,}: audit trail, first catch-up of the whole log")
                out["audit_catch_up"] = reads.audit_catch_up(lstore, ledger)

            catch_ups: list = []
            if "ingest" not in opts.skip:
                say(f"{kind} @ {n_events:,}: ingest, {opts.runs} x {opts.window} commands")
                out["ingest"], catch_ups = _ingest_runs(opts, ledger, bare, padder, wl, ids, profile_dir, pb)
            if "http-ingest" not in opts.skip:
                say(f"{kind} @ {n_events:,}: ingest through HTTP, {opts.runs} x {opts.window} commands")
                try:
                    out["http_ingest"] = http_ingest.measure(opts, lstore, bstore, ledger, bare, padder, wl, ids, say)
                except Exception as e:  # noqa: BLE001 - one phase failing must not hide the others
                    say(f"  http ingest failed: {type(e).__name__}: {e}")
                    out["http_ingest"] = {"missing": f"failed: {type(e).__name__}: {e}"}
            out["store_bytes"] = stores.size_on_disk(lstore, opts.postgres_url)

            say(f"{kind} @ {n_events:,}: raw notification read")
            raw = [baseline.raw_read(ledger.recorder) for _ in range(opts.runs)]
            dec = [baseline.raw_read_decode(ledger) for _ in range(opts.runs)]
            out["raw_read"] = {
                "events": raw[0][0],
                "events_per_s": median([rate(n, s) for n, s in raw]),
                "decode_events_per_s": median([rate(n, s) for n, s in dec]),
            }

            if pb is not None:
                rebuilds = []
                if pb.available and "projection" not in opts.skip:
                    say(f"{kind} @ {n_events:,}: projection rebuild, {opts.runs} run(s)")
                    for _ in range(opts.runs):
                        gc.collect()
                        rebuilds.append(pb.rebuild())
                        say(f"  rebuild: {rebuilds[-1]['events_per_s']:,.0f} ev/s")
                out["projection"] = catch_up.summarise(pb, initial, catch_ups, rebuilds, out["raw_read"])
            if "reads" not in opts.skip:
                say(f"{kind} @ {n_events:,}: read latencies")
                out["reads"] = reads.measure(opts, lstore, ledger, wl, ids, pb, (log_start, datetime.now(UTC)))
            if "http" not in opts.skip and kind == "postgres":
                say(f"{kind} @ {n_events:,}: HTTP, {opts.http_workers} uvicorn workers")
                try:
                    out["http"] = web.measure(opts, lstore, ledger, wl, ids, pb, say)
                except Exception as e:  # noqa: BLE001 - one phase failing must not hide the others
                    say(f"  http failed: {type(e).__name__}: {e}")
                    out["http"] = {"missing": f"failed: {type(e).__name__}: {e}"}
        finally:
            if pb is not None:
                pb.close()
            ledger.close()
            bare.close()
    return out


def main(argv: list[str] | None = None) -> int:
    opts = config.parse(argv)
    started = time.perf_counter()
    pg_version = None
    if "postgres" in opts.stores:
        problem = stores.postgres_available(opts.postgres_url)
        if problem:
            print(f"PostgreSQL at {opts.postgres_url} is not available: {problem}", file=sys.stderr)
            return 2
        pg_version = stores.postgres_version(opts.postgres_url)
    results: dict[str, Any] = {
        "seed": config.SEED,
        "zipf_s": config.ZIPF_S,
        "options": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(opts).items()},
        "machine": results_table.machine(pg_version),
        "targets": results_table.TARGETS,
        "blocks": [],
    }
    for n in opts.scales:
        for kind in opts.stores:
            t0 = time.perf_counter()
            b = block(opts, kind, n)
            b["seconds"] = time.perf_counter() - t0
            results["blocks"].append(b)
            say(f"{kind} @ {n:,} done in {b['seconds']:.0f} s")
    results["seconds"] = time.perf_counter() - started
    print(results_table.table(results))
    print(f"total {results['seconds']:.1f} s")
    if opts.out:
        results_table.write_json(results, opts.out)
        print(f"results written to {opts.out}")
    if opts.markdown:
        with open(opts.markdown, "w", encoding="utf-8") as f:
            f.write(results_table.markdown(results))
    return 0
