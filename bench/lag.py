"""How far behind the log the views run, and how fast they catch up (rough numbers, no tests).

    python -m bench.lag                      # a temporary SQLite store
    python -m bench.lag --store postgresql://postgres@127.0.0.1:5432/test
    python -m bench.lag --events 20000 --seconds 5 --writers 2

- ``lag(store)``: where the views stand against the head of the log, in ids and in seconds
  (the age of the oldest event not yet applied);
- ``catch_up_rate(store)``: events/s of reading the raw log (the library's
  ``select_notifications`` in pages of 500), of reading and decoding it, and of the follower
  building a second copy of the views from it, on the same log in the same run;
- ``lag_under_load(store)``: writers record commands while a background follower follows;
  the lag is sampled throughout.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from api.bootstrap import create_schema, create_tables, open_ledger
from ledger.application import Ledger
from ledger.store import Store
from projections.db import Db
from projections.follower import Follower, UPSTREAM
from projections.rebuild import drop, rebuild
from projections.views_schema import DEFAULT_NAME
from projections.views import Views

PAGE = 500


def lag(store: Store, name: str = DEFAULT_NAME, ledger: Ledger | None = None, db: Db | None = None) -> dict[str, Any]:
    """``{"head", "position", "behind", "oldest_unapplied_age_s"}`` for projection ``name``."""
    own_ledger, own_db = ledger is None, db is None
    ledger = ledger or open_ledger(store)
    db = db or Db(store, name, pool_size=1)
    try:
        position = db.tracking.max_tracking_id(UPSTREAM) or 0
        head = ledger.recorder.max_notification_id() or 0
        age = None
        first = ledger.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
        if first:
            age = (datetime.now(timezone.utc) - ledger.mapper.to_domain_event(first[0]).timestamp).total_seconds()
        return {"head": head, "position": position, "behind": head - position, "oldest_unapplied_age_s": age}
    finally:
        if own_db:
            db.close()
        if own_ledger:
            ledger.close()


def catch_up_rate(store: Store, ledger: Ledger | None = None, *, batch_size: int = 500,
                  name: str = "views_rate") -> dict[str, Any]:
    """Raw read, read + decode, and follower rates (events/s) over the whole log."""
    own = ledger is None
    ledger = ledger or open_ledger(store)
    try:
        started, events, last = time.perf_counter(), 0, 0
        while page := ledger.recorder.select_notifications(start=last, limit=PAGE, inclusive_of_start=False):
            events += len(page)
            last = page[-1].id
        raw = events / (time.perf_counter() - started)
        started, last = time.perf_counter(), 0
        while page := ledger.recorder.select_notifications(start=last, limit=PAGE, inclusive_of_start=False):
            for n in page:
                ledger.mapper.to_domain_event(n)
            last = page[-1].id
        decoded = events / (time.perf_counter() - started)
        result = rebuild(store, progress=False, name=name, ledger=ledger, batch_size=batch_size)
        drop(store, name)
        follower = result["events"] / result["seconds"]
        return {"events": events, "raw_per_s": round(raw), "decoded_per_s": round(decoded),
                "follower_per_s": round(follower), "batch_size": batch_size,
                "follower_vs_raw": round(follower / raw, 3)}
    finally:
        if own:
            ledger.close()


def _write(ledger: Ledger, stop: threading.Event, counts: list[int], seed: int) -> None:
    rng = random.Random(seed)
    source = ledger.register_source("measure", name=f"Source {seed}", kind="witness", language="ar")["source_id"]
    incidents = [ledger.record_incident("measure", title=f"Incident {seed}/{n}", valid_from="2019-05-01",
                                        places=["Idlib"])["incident_id"] for n in range(4)]
    figures: list[str] = []
    while not stop.is_set():
        if figures and rng.random() < 0.3:
            ledger.correct_figure("measure", rng.choice(figures), value={"qualifier": "exact",
                                                                         "number": rng.randrange(10**6)},
                                  reason="recount")
            counts[0] += 1
            continue
        statements = [{"incident_id": rng.choice(incidents), "metric": "civilians_killed",
                       "breakdown": rng.choice([{}, {"perpetrator": "force-a"}, {"perpetrator": f"p{rng.randrange(50)}"}]),
                       "value": {"qualifier": "at_least", "number": rng.randrange(1000)}}
                      for _ in range(rng.randint(1, 3))]
        unique = {str(sorted(s["breakdown"].items())) + s["incident_id"]: s for s in statements}
        filed = ledger.file_report("measure", source_id=source, title="R", language="ar", figures=list(unique.values()))
        figures += [f["figure_id"] for f in filed["figures"]]
        counts[0] += 1 + len(unique)


def lag_under_load(store: Store, *, seconds: float = 5.0, writers: int = 1, poll_interval: float = 0.05,
                   batch_size: int = 500) -> dict[str, Any]:
    """Writers record for ``seconds`` while a follower thread follows; the lag is sampled every 10 ms."""
    ledgers = [open_ledger(store) for _ in range(writers)]
    reader_ledger = open_ledger(store)
    follower = Follower(store, Views(), ledger=reader_ledger, batch_size=batch_size)
    follower.catch_up()
    stop_writing, stop_following = threading.Event(), threading.Event()
    counts = [[0] for _ in ledgers]
    threads = [threading.Thread(target=_write, args=(lg, stop_writing, c, n)) for n, (lg, c) in
               enumerate(zip(ledgers, counts))]
    follow = threading.Thread(target=follower.run_forever, kwargs={"poll_interval": poll_interval,
                                                                    "stop_event": stop_following})
    follow.start()
    for t in threads:
        t.start()
    behind, ages = [], []
    probe = Db(store, DEFAULT_NAME, pool_size=1)
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        now = lag(store, ledger=reader_ledger, db=probe)
        behind.append(now["behind"])
        ages.append(now["oldest_unapplied_age_s"] or 0.0)
        time.sleep(0.01)
    stop_writing.set()
    for t in threads:
        t.join()
    written = time.perf_counter() - started
    drained = time.perf_counter()
    while lag(store, ledger=reader_ledger, db=probe)["behind"] > 0 and time.perf_counter() - drained < 60:
        time.sleep(0.005)
    drain = time.perf_counter() - drained
    probe.close()
    stop_following.set()
    follow.join()
    follower.close()
    for lg in [*ledgers, reader_ledger]:
        lg.close()

    def spread(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {"p50": xs[len(xs) // 2], "p95": xs[int(len(xs) * 0.95)], "max": xs[-1],
                "mean": round(statistics.fmean(xs), 4)}

    return {"writers": writers, "commands_events_per_s": round(sum(c[0] for c in counts) / written),
            "samples": len(behind), "behind_events": spread(behind), "behind_seconds": spread(ages),
            "drain_after_stop_s": round(drain, 3), "poll_interval_s": poll_interval}


def _seed_log(store: Store, events: int) -> None:
    ledger = open_ledger(store)
    stop = threading.Event()
    counts = [0]
    thread = threading.Thread(target=_write, args=(ledger, stop, counts, 999))
    thread.start()
    while (ledger.recorder.max_notification_id() or 0) < events:
        time.sleep(0.05)
    stop.set()
    thread.join()
    ledger.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lag", description=__doc__.splitlines()[0])
    p.add_argument("--store", default=None, help="a store URL (default: a temporary SQLite file)")
    p.add_argument("--events", type=int, default=20_000, help="log size for the catch-up rate")
    p.add_argument("--seconds", type=float, default=5.0, help="load duration for the lag")
    p.add_argument("--writers", type=int, default=1)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.store) if args.store else Store(f"sqlite:///{Path(tmp) / 'lag.db'}")
        create_schema(store)
        create_tables(store)
        _seed_log(store, args.events)
        print("catch-up:", catch_up_rate(store))
        print("lag under load:", lag_under_load(store, seconds=args.seconds, writers=args.writers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
