"""Projection: how fast the read models follow the log, against reading the raw log.

* **catch-up**: the follower (``projections.follower.Follower``) applying what an ingest
  window just recorded (measured after each window), and the first catch-up of the whole
  bulk-built log;
* **rebuild**: ``projections.rebuild.rebuild`` of a second copy of the views (another
  name, so the live views stay whole for the read benchmarks): drop, then replay the
  whole log. Its own ``seconds`` are the replay only (not the digest it computes after).

Both in events/s, divided by the raw notification read (``recorder.select_notifications``
in pages, not decoded) of the same events, made right next to it (before each rebuild; after
each catch-up, of the range it caught up): the ratio of each pair, median over runs.

If ``projections/`` is not there yet (or lacks what is used here), the result says so and
names what is missing; nothing else fails.
"""

from __future__ import annotations

from typing import Any

from bench.stats import clock, median, rate

REBUILD_NAME = "views_bench"


class ProjectionBench:
    def __init__(self, store, ledger) -> None:
        self.store = store
        self.ledger = ledger
        self.missing: str | None = None
        self.follower = None
        try:
            from projections.follower import Follower  # noqa: F401
            from projections.rebuild import rebuild  # noqa: F401
            from projections.views_schema import DEFAULT_NAME  # noqa: F401
            from projections.views import Views  # noqa: F401
        except ImportError as e:
            self.missing = f"projections not available: {e}"

    @property
    def available(self) -> bool:
        return self.missing is None

    def install_and_catch_up(self) -> dict[str, Any] | None:
        """Create the live views and follow the whole (bulk-built) log once: timed."""
        if not self.available:
            return None
        from bench.baseline import raw_read
        from api.bootstrap import create_tables
        from projections.follower import Follower
        from projections.views import Views

        create_tables(self.store)
        self.follower = Follower(self.store, Views(), ledger=self.ledger)
        raw_read(self.ledger.recorder)  # the first read of a new log is cold: pair with a warm one
        raw_n, raw_s = raw_read(self.ledger.recorder)
        t0 = clock()
        n = self.follower.catch_up()
        seconds = clock() - t0
        return {"events": n, "seconds": seconds, "events_per_s": rate(n, seconds),
                "raw_events_per_s": rate(raw_n, raw_s), "ratio": rate(n, seconds) / rate(raw_n, raw_s)}

    def catch_up(self) -> dict[str, Any] | None:
        """Follow what was recorded since the last call; then read the same range raw (paired baseline)."""
        if self.follower is None:
            return None
        from bench.baseline import raw_read

        before = self.follower.position()
        t0 = clock()
        n = self.follower.catch_up()
        seconds = clock() - t0
        raw_n, raw_s = raw_read(self.ledger.recorder, start=before)
        out = {"events": n, "seconds": seconds, "events_per_s": rate(n, seconds),
               "raw_events_per_s": rate(raw_n, raw_s)}
        out["ratio"] = out["events_per_s"] / out["raw_events_per_s"] if n else None
        return out

    def rebuild(self) -> dict[str, Any]:
        """One full rebuild, right after a raw read of the whole log (its paired baseline)."""
        from bench.baseline import raw_read
        from projections.rebuild import rebuild

        raw_n, raw_s = raw_read(self.ledger.recorder)
        t0 = clock()
        result = rebuild(self.store, progress=False, name=REBUILD_NAME, ledger=self.ledger)
        wall = clock() - t0
        r = rate(result["events"], result["seconds"])
        return {"events": result["events"], "seconds": result["seconds"], "wall_s": wall, "events_per_s": r,
                "raw_events_per_s": rate(raw_n, raw_s), "ratio": r / rate(raw_n, raw_s),
                "digest": result.get("digest")}

    def close(self) -> None:
        if self.follower is not None:
            self.follower.close()
            self.follower = None


def summarise(pb: ProjectionBench, initial, catch_ups, rebuilds, raw: dict[str, Any]) -> dict[str, Any]:
    """Medians of the paired ratios (each run against the raw read made next to it)."""
    if not pb.available:
        return {"missing": pb.missing}
    out: dict[str, Any] = {"initial_catch_up": initial}
    for key, runs in (("catch_up", [c for c in catch_ups if c and c["events"]]), ("rebuild", rebuilds)):
        if runs:
            out[key] = {"events_per_s": median([r["events_per_s"] for r in runs]),
                        "raw_events_per_s": median([r["raw_events_per_s"] for r in runs]),
                        "ratio": median([r["ratio"] for r in runs]), "runs": runs}
    return out
