"""Read latencies, in-process: p50/p95/p99 over many calls.

* from the projections' reader (when there is one): current tally, breakdown, figure
  history, as-of tally; the figures asked about are chosen by the same Zipf spread as the
  writes (the hot figures are the ones people look at), as-of times spread over the log;
* Merkle proofs from the stored tree (projections.audit): inclusion proofs of random leaves
  and consistency proofs between random earlier sizes and the head.
"""

from __future__ import annotations

import random
from typing import Any

from bench.stats import clock, percentiles
from bench.workload import Zipf

#: Seconds of calls per read kind at most: a read that is slow on hot figures gets fewer
#: samples (the result says how many and that it was cut short) rather than a run without end.
BUDGET_S = 20.0
#: figure_history is measured on figures of at most this many versions (see reader_reads).
HISTORY_MAX_VERSIONS = 5_000


def _time(fn, args_list, budget: float) -> tuple[list[float], bool]:
    samples, spent = [], 0.0
    for args in args_list:
        t0 = clock()
        fn(*args)
        took = clock() - t0
        samples.append(took)
        spent += took
        if spent > budget:
            return samples, len(samples) < len(args_list)
    return samples, False


def _latency(fn, args_list, budget: float = BUDGET_S) -> dict[str, Any]:
    try:
        fn(*args_list[0])                      # one untimed call: imports, prepared statements
        samples, cut = _time(fn, args_list, budget)
    except Exception as e:  # noqa: BLE001 - reported in the table, not hidden
        return {"error": f"{type(e).__name__}: {e}"}
    out = percentiles(samples)
    if cut:
        out["cut_short_after_s"] = budget
    return out


# ---- Merkle proofs -------------------------------------------------------------------------

def audit_catch_up(store, ledger) -> dict[str, Any]:
    """The audit trail's first catch-up of the whole log (the stored Merkle tree), timed against
    a warm raw read of the same log. Done before any phase that serves the API, whose workers
    would otherwise build the tree in the background while being measured."""
    from bench.baseline import raw_read
    from projections.audit import AuditTrail, install

    install(store)          # idempotent (create_schema already does it); key: stores.KEY_ENV
    trail = AuditTrail(store, ledger=ledger)
    try:
        raw_n, raw_s = raw_read(ledger.recorder)  # warm: the views' first catch-up has just read the log
        t0 = clock()
        n = trail.catch_up()
        seconds = clock() - t0
        return {"events": n, "seconds": seconds, "events_per_s": n / seconds, "raw_events_per_s": raw_n / raw_s,
                "ratio": (n / seconds) / (raw_n / raw_s), "leaves": trail.size()}
    finally:
        trail.close()


def proofs(store, ledger, samples: int, rng: random.Random, budget: float) -> dict[str, Any]:
    """Inclusion proofs of random leaves, and consistency proofs from random earlier sizes to
    the head, from the stored tree (projections.audit.AuditTrail: the API's own path)."""
    from projections.audit import AuditTrail

    trail = AuditTrail(store, ledger=ledger)
    try:
        trail.catch_up()        # what the ingest windows added since the first catch-up
        size = trail.size()
        if size < 2:
            return {"missing": "log too small for proofs"}
        incl = [(rng.randrange(size), size) for _ in range(samples)]
        cons = [(rng.randrange(1, size), size) for _ in range(samples)]
        return {
            "leaves": size,
            "inclusion_proof": _latency(trail.inclusion, incl, budget),
            "consistency_proof": _latency(trail.consistency, cons, budget),
        }
    finally:
        trail.close()


# ---- the projections' reader ---------------------------------------------------------------

def reader_reads(store, ledger, wl, ids, samples: int, rng: random.Random, span, budget: float) -> dict[str, Any]:
    try:
        from projections.reader import Reader
    except ImportError as e:
        return {"missing": f"projections reader not available yet ({e})"}
    from ledger.vocabulary import METRICS

    metrics = list(METRICS)
    zipf = Zipf()
    n_fig = len(wl.figure_keys)
    hot = [ids.figure(wl.figure_keys, zipf.sample(rng, n_fig)) for _ in range(samples)]
    t0, t1 = span
    as_of = [t0 + (t1 - t0) * rng.random() for _ in range(samples)]
    pick = [rng.choice(metrics[:3]) for _ in range(samples)]      # killed / injured / detained: the big ones
    reader = Reader(store)
    # A figure's history lists, for each of its versions, every citation live then: its cost
    # grows as versions x citations, minutes per call for the hottest figures at 100k events
    # and hours at 1M. Figures over HISTORY_MAX_VERSIONS are left out (and counted).
    versions = {f: reader.figure(f)["version"] for f in set(hot)}
    history = [(f,) for f in hot if versions[f] <= HISTORY_MAX_VERSIONS]
    skipped = len(hot) - len(history)
    try:
        latency = {
            # What the API answers by default: the sums, from the running tallies.
            "tally": _latency(lambda m: reader.tally(m, figure_ids=False), [(m,) for m in pick], budget),
            "breakdown": _latency(lambda m: reader.tally(m, by="perpetrator", figure_ids=False),
                                  [(m,) for m in pick], budget),
            "figure_history": _latency(lambda f: reader.figure_history(f), history or [(hot[0],)], budget),
            "as_of_tally": _latency(lambda m, t: reader.tally(m, as_of=t, figure_ids=False),
                                    list(zip(pick, as_of)), budget),
            # On request: every contributing figure id, read from the figures (grows with them).
            "tally_with_ids": _latency(lambda m: reader.tally(m, figure_ids=True), [(m,) for m in pick], budget),
        }
        latency["figure_history"]["skipped_over_max_versions"] = skipped
        sizes = {"tally_figures": len(reader.tally(metrics[0], figure_ids=True)["sum"].get("figure_ids", [])),
                 "hottest_figure_versions": max(versions.values()),
                 "history_max_versions": HISTORY_MAX_VERSIONS}
    finally:
        reader.close()
    return {"latency": latency, "sizes": sizes}


def measure(opts, store, ledger, wl, ids, proj, span) -> dict[str, Any]:
    """``span``: (first, last) recording time of the log, for as-of reads."""
    rng = random.Random(11)
    out: dict[str, Any] = {"latency": {}}
    if proj is not None and proj.available and proj.follower is not None:
        proj.catch_up()                         # the views reflect the whole log
        r = reader_reads(store, ledger, wl, ids, opts.read_samples, rng, span, opts.read_budget)
    else:
        r = {"missing": proj.missing if proj is not None and proj.missing else "projections not followed"}
    if "missing" in r:
        out["reader_missing"] = r.pop("missing")
    out["latency"].update(r.get("latency", {}))
    if "sizes" in r:
        out["sizes"] = r["sizes"]
    p = proofs(store, ledger, opts.read_samples, rng, opts.read_budget)
    if "missing" in p:
        out["proofs_missing"] = p["missing"]
    else:
        out["merkle"] = {"leaves": p["leaves"]}
        out["latency"]["inclusion_proof"] = p["inclusion_proof"]
        out["latency"]["consistency_proof"] = p["consistency_proof"]
    return out
