"""Read latencies, in-process: p50/p95/p99 over many calls.

* from the projections' reader (when there is one): current tally, breakdown, figure
  history, as-of tally; the figures asked about are chosen by the same Zipf spread as the
  writes (the hot figures are the ones people look at), as-of times spread over the log;
* Merkle proofs (ledger.audit): inclusion proofs of random leaves and consistency proofs
  between random earlier sizes and the head, over a tree holding one leaf per event.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from bench.config import PAGE
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

def build_tree(ledger) -> tuple[Any, str, float]:
    """A node store holding one leaf per event of the log (in log order)."""
    from ledger.audit.hasher import hash_leaf
    from ledger.audit.leaf import leaf_bytes
    from ledger.audit.tree import MemoryNodeStore, append_leaf

    store = MemoryNodeStore()
    when = datetime(2026, 1, 1, tzinfo=UTC)   # leaf contents do not change proof cost
    recorder = ledger.recorder
    t0 = clock()
    start, position = 0, 0
    while True:
        page = recorder.select_notifications(start=start, limit=PAGE * 10, inclusive_of_start=False)
        if not page:
            break
        for n in page:
            oid = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
            leaf = hash_leaf(leaf_bytes(position, oid, n.originator_version, n.topic, n.state, when))
            store.put_many(append_leaf(store, leaf))
            position += 1
        start = page[-1].id
    return store, "MemoryNodeStore (ledger.audit.tree; no persisted node store in the repo yet)", clock() - t0


def proofs(ledger, samples: int, rng: random.Random, budget: float, store=None) -> dict[str, Any]:
    """Proofs from the stored tree (projections.audit.AuditTrail, the API's own path) when it is
    there: its catch-up is timed too (events/s against a raw read); else from an in-memory tree."""
    try:
        from ledger.audit.proof import consistency_proof, inclusion_proof
    except ImportError as e:
        return {"missing": f"ledger.audit.proof not available: {e}"}
    trail = None
    if store is not None:
        try:
            from projections.audit import AuditTrail, install
        except ImportError:
            AuditTrail = None
        if AuditTrail is not None:
            install(store)          # idempotent (create_schema already does it); key: stores.KEY_ENV
            trail = AuditTrail(store, ledger=ledger)
    if trail is not None:
        from bench.baseline import raw_read

        try:
            raw_n, raw_s = raw_read(ledger.recorder)
            t0 = clock()
            n = trail.catch_up()
            seconds = clock() - t0
            size = trail.size()
            incl = [(rng.randrange(size), size) for _ in range(samples)]
            cons = [(rng.randrange(1, size), size) for _ in range(samples)]
            return {
                "node_store": "projections.audit.AuditTrail (stored tree, one read transaction per proof)",
                "leaves": size, "build_s": seconds,
                "catch_up": {"events": n, "seconds": seconds, "events_per_s": n / seconds,
                             "raw_events_per_s": raw_n / raw_s, "ratio": (n / seconds) / (raw_n / raw_s)},
                "inclusion_proof": _latency(trail.inclusion, incl, budget),
                "consistency_proof": _latency(trail.consistency, cons, budget),
            }
        finally:
            trail.close()
    store_, kind, seconds = build_tree(ledger)
    size = store_.size()
    if size < 2:
        return {"missing": "log too small for proofs"}
    incl = [(store_, rng.randrange(size), size) for _ in range(samples)]
    cons = [(store_, rng.randrange(1, size), size) for _ in range(samples)]
    return {
        "node_store": kind, "leaves": size, "build_s": seconds,
        "inclusion_proof": _latency(inclusion_proof, incl, budget),
        "consistency_proof": _latency(consistency_proof, cons, budget),
    }


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
    p = proofs(ledger, opts.read_samples, rng, opts.read_budget, store)
    if "missing" in p:
        out["proofs_missing"] = p["missing"]
    else:
        out["merkle"] = {k: p[k] for k in ("node_store", "leaves", "build_s", "catch_up") if k in p}
        out["latency"]["inclusion_proof"] = p["inclusion_proof"]
        out["latency"]["consistency_proof"] = p["consistency_proof"]
    return out
