"""Server time and size of the web pages (api/web) on a bulk-built log.

``python -m bench.page_times --events 100000`` builds a log of the benchmark workload on a fresh
SQLite store (or ``--postgres URL``), brings the views up to date, signs in as an auditor
(who sees the most; ``--role reader`` for what hiding the protected sources costs), then
asks for each page many times in-process and reports the p50 and
p99 of the server time and the size of each answer. The issue's aims: p99 <= 50 ms at 1M
events, no page over 300 KB before images.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.build import build_log
from bench.workload import Ids, Workload
from projections.paging import encode_cursor

HTML = {"Accept": "text/html"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fresh_app(postgres: str | None, name: str, work: Path | None = None) -> Any:
    """The app on a fresh store: SQLite in a new directory (or ``work``, kept: a store there is
    reused), or a new schema ``bench_<name>_<pid>`` of ``postgres``; ``app.state.bench_work`` is the directory."""
    if work is None:
        work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LEDGER_SIGNING_KEY", str(work / "signing-key.pem"))
    from api.bootstrap import create_schema
    from ledger.store import Store

    if postgres:
        store = Store(f"{postgres}{'&' if '?' in postgres else '?'}schema=bench_{name}_{os.getpid()}")
    else:
        store = Store(f"sqlite:///{work / 'ledger.db'}")
    create_schema(store)
    from api.app import create_app

    app = create_app(store)
    app.state.bench_work = str(work)
    return app


@contextmanager
def signed_in(app: Any, key: str) -> Iterator[Any]:
    """A test client of ``app`` (its lifespan running) signed in to the pages with ``key``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(app) as client:
        form = client.get("/web/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        client.post("/web/sign-in", data={"key": key, "csrf": csrf, "next": "/"}, headers=HTML)
        yield client


@contextmanager
def served(app: Any, key: str, *, freeze: bool = True) -> Iterator[Any]:
    """A test client of ``app`` as a server starts it, its first request the first it serves:
    warmed, wrapped and frozen as api/serve.py does (``ready``, before uvicorn runs the
    lifespan; ``freeze=False``: not frozen), its lifespan started, and signed in with a session
    issued for ``key`` directly (signing in through the pages would be a request, and would warm
    what it renders)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from api.app import warm
    from api.serve import RouteLog, ready
    from api.web.session import SESSION_COOKIE

    access = app.state.ledger.authenticate(key)
    token, _ = app.state.web_sessions.issue(access)
    if freeze:
        served_app = ready(app)
    else:
        warm(app)
        served_app = RouteLog(app)
    with TestClient(served_app) as client:
        client.cookies.set(SESSION_COOKIE, token)
        yield client


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--samples", type=int, default=60)
    p.add_argument("--postgres", help="a PostgreSQL URL (a fresh schema is used)")
    p.add_argument("--keep", help="a folder for the SQLite store: built there once, reused when it is there"
                                  " (a 1M log takes ~25 min to build)")
    p.add_argument("--only", help="comma-separated paths to time instead of every page")
    p.add_argument("--role", default="auditor", choices=("auditor", "officer", "reader"),
                   help="whose session asks (a reader's pages hide protected sources: read_filters.py folds their figures afresh)")
    p.add_argument("--no-freeze", action="store_true", help="leave the garbage collector as it is (api/serve.py freezes)")
    p.add_argument("--unkept", action="store_true",
                   help="make every page afresh: what a page costs once the log has moved (api/web/render.py kept_part)")
    opts = p.parse_args()
    work = Path(opts.keep) if opts.keep else None
    app = fresh_app(opts.postgres, "pages", work)
    work = Path(app.state.bench_work)
    kept = work / "ids.json"
    ledger = app.state.ledger
    wl, ids = Workload(), Ids()
    if opts.keep and kept.exists():
        ids = Ids(**json.loads(kept.read_text()))
        print(f"reusing the log in {work}", flush=True)
    else:
        built = build_log(ledger, wl, ids, opts.events)
        print(f"built {built['events']:,} events in {built['seconds']:.1f} s", flush=True)
    t0 = time.perf_counter()
    app.state.follower.catch_up()
    print(f"views caught up in {time.perf_counter() - t0:.1f} s", flush=True)
    if opts.keep and not kept.exists():
        kept.write_text(json.dumps(dataclasses.asdict(ids)))
    key = ledger.issue_key("bench", owner=f"bench-{opts.role}", role=opts.role)[0]
    # What the paths need read before the server starts, so that no timed request is warmed by it.
    starts = sorted(i["valid_from"] for i in app.state.reader.incidents(limit=500)["items"])
    with served(app, key, freeze=not opts.no_freeze) as client:
        if opts.unkept:
            app.state.web_parts = None
        figure = ids.figures[0]

        def first_shown(kind: str, ids_of_kind: list[str]) -> str:
            """The first record of a kind the role may open (a reader gets the 404 of a protected source's);
            an auditor's is the first, asked of nobody first (its first request is timed as it comes)."""
            if opts.role == "auditor":
                return f"/web/{kind}/{ids_of_kind[0]}"
            return next(p for p in (f"/web/{kind}/{i}" for i in ids_of_kind[:50])
                        if client.get(p, headers=HTML).status_code == 200)

        # The hottest figure (Zipf's rank 1: the first made) and one of the middle, as most are.
        paths = ["/", "/web/tallies/civilians_killed", f"/web/figures/{figure}",
                 f"/web/figures/{ids.figures[len(ids.figures) // 2]}", f"/web/incidents/{ids.incidents[0]}",
                 first_shown("sources", ids.sources), first_shown("reports", ids.reports),
                 first_shown("citations", ids.citations), "/web/incidents", "/web/sources", "/web/checks",
                 "/web/vocabulary", "/web/new/report", "/web/audit", "/docs"]
        # The checks page is paged by incident (20 a page): a page from the middle, and only the flagged.
        middle = sorted(ids.incidents)[len(ids.incidents) // 2]
        at = paths.index("/web/checks") + 1
        paths[at:at] = ["/web/checks?status=flagged", f"/web/checks?cursor={encode_cursor('checks', middle)}"]
        paths.insert(2, f"/web/tallies/civilians_killed?months_from={starts[0][:7]}&months_to={starts[-1][:7]}")
        moments = middle_moments(app.state.reader)
        print(f"as of {moments[0]}, published by {moments[1]}", flush=True)
        paths += cut_paths(paths, *moments)
        # The baseline, measured in the same run: the sign-in page renders a template behind the same
        # middleware and session and reads nothing, so the ratios hold when the machine's load does not.
        paths.insert(0, "/web/sign-in")
        # The pages the role may open: the audit page is an auditor's, the forms an officer's (timed with --role officer).
        paths = [p for p in paths if not (p == "/web/audit" and opts.role != "auditor")
                 and not (p.startswith("/web/new/") and opts.role != "officer")]
        if opts.only is not None:
            wanted = opts.only.split(",")
            paths = [p for p in paths if any(p == w or (w != "/" and p.startswith(w)) for w in wanted)]
        print(f"load average {os.getloadavg()[0]:.1f}; {opts.samples} requests a page", flush=True)
        # CPU ms: the process's CPU time over the request (server and in-process client), which a
        # loaded machine stretches far less than the wall clock: what the page costs, not its wait.
        print(f"{'page':<58} {'p50 ms':>8} {'p99 ms':>8} {'KB':>8} {'p50 x base':>10} {'CPU p50':>8} {'CPU p99':>8}")
        base = None
        for path in paths:
            times, cpu, size = [], [], 0
            for _ in range(opts.samples):
                start, start_cpu = time.perf_counter(), time.process_time()
                answer = client.get(path, headers=HTML)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                size = len(answer.content)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
            p50 = percentile(times, 0.5)
            base = base or p50
            print(f"{path[:58]:<58} {p50:8.1f} {percentile(times, 0.99):8.1f} {size / 1024:8.1f} {p50 / base:10.2f}"
                  f" {percentile(cpu, 0.5):8.1f} {percentile(cpu, 0.99):8.1f}", flush=True)
        _grading(app.state.reader, figure, moments, opts.samples)
        _session_read_before_after(app, client, ["/web/vocabulary", "/web/sources"], opts.samples)
        if opts.only is None:
            _tally_page_before_after(client, paths[2:4], opts.samples)
            _months(app.state.reader, opts.samples)
            _splits(app.state.reader, opts.samples)
    app.state.ledger.close()


#: The pages asked for again as of a time, under a publication cut, and both (issue 13: every page
#: can be viewed so). Not the count's page: its cut charts are timed by their own bench.
CUT_PAGES = ("/", "/web/figures/", "/web/incidents", "/web/sources", "/web/reports/", "/web/citations/",
             "/web/checks")


def middle_moments(reader: Any) -> tuple[str, str]:
    """A middle recording time of the log (half way between its first and last figure version)
    and a middle publication date (the day of the median word's publication: the workload's
    reports are all dated one day and its corrections count from their recording, so the cut
    there keeps every source's word and none of the ledger's corrections)."""
    from projections.times import iso

    with reader.db.snapshot() as c:
        first, last, count = reader.db.one(
            c, "SELECT MIN(recorded_from), MAX(recorded_from), COUNT(*) FROM {figure_versions}")
        median = reader.db.value(c, "SELECT published_at FROM {figure_versions} ORDER BY published_at"
                                    " LIMIT 1 OFFSET ?", (count // 2,))
    return iso((first + last) // 2), iso(median)[:10]


def cut_paths(paths: list[str], as_of: str, published_by: str) -> list[str]:
    """Each of ``paths`` in CUT_PAGES (and ``/`` itself) as of ``as_of``, cut at ``published_by``, and both."""
    from urllib.parse import urlencode

    chosen = [p for p in paths if p == "/" or (p != "/" and "?" not in p and p.startswith(CUT_PAGES[1:]))]
    return [f"{p}?{urlencode(q)}" for q in ({"as_of": as_of}, {"published_by": published_by},
                                            {"as_of": as_of, "published_by": published_by}) for p in chosen]


def _grading(reader: Any, figure: str, moments: tuple[str, str], samples: int) -> None:
    """The hottest figure's latest grading (the figure page reads it for a graded figure; the
    workload grades none, so this is the read of a figure never graded: the longest walk), now,
    as of the middle time and under the middle cut."""
    from ledger.checks import moment

    at, cut = moments
    for label, kw in (("now", {}), ("as of", {"as_of": moment(at, "as_of")}), ("cut", {"published_by": cut})):
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            reader.latest_grading(figure, **kw)
            times.append((time.perf_counter() - start) * 1000)
        print(f"latest_grading of the hottest figure, {label}: p50 {percentile(times, 0.5):.2f}"
              f" p99 {percentile(times, 0.99):.2f} ms", flush=True)


def _in_turn(client: Any, path: str, samples: int, ways: list[Any]) -> list[list[float]]:
    """The page's wall times (ms) under each way of reading it (each a callable that sets it up),
    request by request in turn, so that every way meets the same load."""
    times: list[list[float]] = [[] for _ in ways]
    for _ in range(samples):
        for way, kept in zip(ways, times):
            way()
            start = time.perf_counter()
            answer = client.get(path, headers=HTML)
            kept.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
    return times


def _session_read_before_after(app: Any, client: Any, paths: list[str], samples: int) -> None:
    """A signed-in page with its session's row read from the store (now) and with that row handed
    over from memory (before: the signed cookie named the key itself, and checking its signature
    cost microseconds), request by request in turn; the key is loaded from the ledger in both.
    Then the row's read alone."""
    table = app.state.web_sessions.table
    read, kept = table.find, {}

    def remembered(token_hash: bytes) -> Any:
        if token_hash not in kept:
            kept[token_hash] = read(token_hash)
        return kept[token_hash]

    for path in paths:
        table.find = remembered
        client.get(path, headers=HTML)  # the row read once, then kept
        before, after = _in_turn(client, path, samples, [lambda: setattr(table, "find", remembered),
                                                         lambda: setattr(table, "find", read)])
        table.find = read
        b50, a50 = percentile(before, 0.5), percentile(after, 0.5)
        print(f"{path[:58]}: session row from memory p50 {b50:.2f} p99 {percentile(before, 0.99):.2f} ms;"
              f" read from the store p50 {a50:.2f} p99 {percentile(after, 0.99):.2f} ms; p50 {a50 / b50:.2f}x",
              flush=True)
    alone = []
    for token_hash in list(kept)[:1] * samples:
        start = time.perf_counter()
        read(token_hash)
        alone.append((time.perf_counter() - start) * 1000)
    print(f"the session row's read alone: p50 {percentile(alone, 0.5):.3f} p99 {percentile(alone, 0.99):.3f} ms",
          flush=True)


def _per_month_windows(reader: Any, metric: str, chosen: list[tuple[int, int]], at: Any, sees: bool,
                       population: str | None = None, published_by: str | None = None) -> list[Any]:
    """The count by month as the page read it before Reader.tally_months: a windowed tally a month."""
    import calendar
    from datetime import date

    rows = []
    for y, m in chosen:
        first, last = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        total = reader.tally(metric, valid_from=first, valid_to=last, as_of=at, include_protected=sees,
                             population=population, published_by=published_by)["sum"]
        rows.append({"month": f"{y:04d}-{m:02d}", "valid_from": first.isoformat(), "valid_to": last.isoformat(),
                     "low": total["low"], "high": total["high"], "kind": total["kind"], "figures": total["figures"]})
    return rows


def _tally_page_before_after(client: Any, paths: list[str], samples: int) -> None:
    """A count's history page with its months read a windowed tally a month (before, the
    baseline) and in one read (now), request by request in turn, so both meet the same load."""
    from api import months as by_month

    now = by_month.by_month
    for path in paths:
        before, after = _in_turn(client, path, samples, [lambda: setattr(by_month, "by_month", _per_month_windows),
                                                         lambda: setattr(by_month, "by_month", now)])
        by_month.by_month = now
        b50, a50 = percentile(before, 0.5), percentile(after, 0.5)
        print(f"{path[:58]}: a windowed tally a month p50 {b50:.1f} p99 {percentile(before, 0.99):.1f} ms;"
              f" one read p50 {a50:.1f} p99 {percentile(after, 0.99):.1f} ms; p50 {a50 / b50:.2f}x", flush=True)


def _splits(reader: Any, samples: int) -> None:
    """The dashboard's tallies as it read them before (each metric's total, then a tally by each
    dimension: six statements a metric, the baseline) against Reader.tally_splits (one a metric), in turn."""
    from ledger.vocabulary import DIMENSIONS, METRICS

    apart, together = [], []
    for _ in range(samples):
        t0 = time.perf_counter()
        for metric in METRICS:
            reader.tally(metric)
            for dimension in DIMENSIONS:
                reader.tally(metric, by=dimension)
        t1 = time.perf_counter()
        for metric in METRICS:
            reader.tally_splits(metric)
        t2 = time.perf_counter()
        apart.append((t1 - t0) * 1000)
        together.append((t2 - t1) * 1000)
    a, b = percentile(apart, 0.5), percentile(together, 0.5)
    print(f"dashboard tallies, {len(METRICS)} metrics x {len(DIMENSIONS)} splits: a statement a split p50 {a:.1f} ms,"
          f" tally_splits p50 {b:.1f} ms, {a / b:.1f}x", flush=True)


def _months(reader: Any, samples: int) -> None:
    """The count by month as the page read it before (one windowed tally a month, the baseline)
    against ``Reader.tally_months`` (one read), alternately in the same run, over the default
    year and over every month the incidents start in."""
    import calendar
    from datetime import date

    listed = reader.incidents(limit=500)["items"]
    first, last = min(i["valid_from"] for i in listed), max(i["valid_from"] for i in listed)
    end = date(int(last[:4]), int(last[5:7]), 1)
    serial = end.year * 12 + end.month - 12
    for label, start in (("the latest 12 months", date(serial // 12, serial % 12 + 1, 1)),
                         ("every month the incidents start in", date(int(first[:4]), int(first[5:7]), 1))):
        months = []
        d = start
        while d <= end:
            months.append((d, d.replace(day=calendar.monthrange(d.year, d.month)[1])))
            d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        per_month, one_read = [], []
        for _ in range(samples):
            t0 = time.perf_counter()
            old = [reader.tally("civilians_killed", valid_from=a, valid_to=b)["sum"] for a, b in months]
            t1 = time.perf_counter()
            new = reader.tally_months("civilians_killed", valid_from=months[0][0], valid_to=months[-1][0])
            t2 = time.perf_counter()
            per_month.append((t1 - t0) * 1000)
            one_read.append((t2 - t1) * 1000)
        assert [(o["low"], o["high"], o["figures"]) for o in old] == [(n["low"], n["high"], n["figures"]) for n in new]
        a, b = percentile(per_month, 0.5), percentile(one_read, 0.5)
        print(f"by month, {label} ({len(months)}): a windowed tally a month p50 {a:.1f} ms,"
              f" tally_months p50 {b:.1f} ms, {a / b:.1f}x", flush=True)



if __name__ == "__main__":
    main()
