"""A tally cut at publication time (``published_by``) against the plain as-of tally, in the same run.

``python -m bench.publication_cut [EVENTS ...] [--store URL]``: for each size, a log bulk-built
from the workload (bench/build.py) whose reports are published one day after another, with one
in twenty an archive entered late (dated a year earlier: a late word on every figure it
claims on), the views caught up, then p50/p95 of

* the baseline: ``tally(metric, as_of=T)``, from the running tallies (one seek);
* ``tally(metric, as_of=T, valid_from=...)``: the as-of tally that reads the figures (a window);
* ``tally(metric, published_by=P)`` and ``tally(metric, as_of=T, published_by=P)``: the cut
  (projections/publication.py: two index ranges over the metric's versions, late words folded),
  as a reader asks it (the workload's protected sources, one in seven, have their words placed
  at their filing: their figures are folded afresh, read_filters.py);
* ``tally(metric, published_by=P, include_protected=True)``: the cut as an auditor asks it;

T spread over the log, P over the publication dates. Printed: each one's p50/p95 and its p50
as a ratio to the baseline's. The figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.build import build_log
from bench.stats import clock, percentiles
from bench.workload import Ids, Op, Workload

METRIC = "civilians_killed"
SAMPLES = 200
#: One report in this many is an archive dated a year before the others: late words.
ARCHIVE_EVERY = 20
FIRST_DAY = date(2019, 1, 1)


class DatedWorkload(Workload):
    """The workload with reports published day after day, and some archives entered late."""

    def _report(self) -> Op:
        op = super()._report()
        n = self.reports
        day = FIRST_DAY + timedelta(days=n // 10)
        if self.rng.randrange(ARCHIVE_EVERY) == 0:
            day -= timedelta(days=365)
        op.fields["published_on"] = day.isoformat()
        return op


def _timed(call: Any, args: list[Any]) -> dict[str, float]:
    call(args[0])  # untimed: prepared statements, caches
    samples = []
    for a in args:
        t0 = clock()
        call(a)
        samples.append(clock() - t0)
    return percentiles(samples)


def measure(url: str | None, events: int) -> dict[str, Any]:
    from api.bootstrap import create_schema, open_ledger
    from ledger.store import Store
    from projections.follower import Follower
    from projections.reader import Reader
    from projections.times import from_micros
    from projections.views import Views

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(store)
        app = open_ledger(store)
        built = build_log(app, DatedWorkload(), Ids(), events)
        with Follower(store, Views(), ledger=app) as follower:
            follower.catch_up()
        rng = random.Random(7)
        with Reader(store) as reader:
            with reader.db.snapshot() as c:
                low, high = reader.db.one(c, "SELECT MIN(recorded_from), MAX(recorded_from) FROM {figure_versions}")
                days = [d for (d,) in reader.db.all(c, "SELECT DISTINCT published_on FROM {reports}")]
                versions = reader.db.value(c, "SELECT COUNT(*) FROM {figure_versions} WHERE metric = ?", (METRIC,))
                late = reader.db.value(c, "SELECT COUNT(*) FROM {figure_versions} WHERE late = 1")
                protected = reader.db.value(
                    c, "SELECT COUNT(DISTINCT fv.figure_id) FROM {figure_versions} fv JOIN {sources} s"
                       " ON s.source_id = fv.source_id WHERE s.protected = 1 AND fv.metric = ?", (METRIC,))
            moments = [from_micros(rng.randint(low, high)) for _ in range(SAMPLES)]
            cuts = [rng.choice(days) for _ in range(SAMPLES)]
            pairs = list(zip(moments, cuts))
            out = {
                "events": built["events"], "versions": versions, "late_versions": late,
                "protected_figures": protected,
                "as_of (baseline)": _timed(lambda t: reader.tally(METRIC, as_of=t), moments),
                "as_of + window": _timed(lambda t: reader.tally(METRIC, as_of=t, valid_from="2019-01-01"), moments),
                "published_by": _timed(lambda p: reader.tally(METRIC, published_by=p), cuts),
                "as_of + published_by": _timed(lambda tp: reader.tally(METRIC, as_of=tp[0], published_by=tp[1]),
                                               pairs),
                "published_by (auditor)": _timed(lambda p: reader.tally(METRIC, published_by=p,
                                                                        include_protected=True), cuts),
            }
        app.close()
        if url:
            with Store(url).connect_postgres() as conn:  # leave the next run an empty schema
                conn.execute(f"DROP SCHEMA IF EXISTS {store.postgres_schema} CASCADE")
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--store", help="a PostgreSQL URL with ?schema=NAME of your own (default: SQLite in a temp dir)")
    args = parser.parse_args(argv)
    for n in args.events:
        result = measure(args.store, n)
        base = result["as_of (baseline)"]["p50_ms"]
        print(f"\n{result['events']:,} events ({result['versions']:,} versions of {METRIC},"
              f" {result['late_versions']:,} late words, {result['protected_figures']:,} figures with a protected"
              f" source's word), {'PostgreSQL' if args.store else 'SQLite'}")
        print(f"{'read':<24}{'p50 ms':>10}{'p95 ms':>10}{'p50 / baseline':>16}")
        for name in ("as_of (baseline)", "as_of + window", "published_by", "as_of + published_by",
                     "published_by (auditor)"):
            r = result[name]
            print(f"{name:<24}{r['p50_ms']:>10.3f}{r['p95_ms']:>10.3f}{r['p50_ms'] / base:>16.1f}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
