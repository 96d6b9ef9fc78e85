"""Exports against the JSON route, in the same run.

``python -m bench.exports [FIGURES]``: the baseline is reading every figure through
``GET /figures`` page by page as JSON (500 a page); each export format reads the same figures
in one streamed answer.

``python -m bench.exports --history EVENTS [--store sqlite|postgres] [--formats csv,ndjson,...]``:
a log of EVENTS events bulk-built from the workload (bench/build.py) on a fresh SQLite file or
PostgreSQL schema (bench/stores.py; ``--postgres URL``, else $LEDGER_TEST_POSTGRES), the views
and the audit tree caught up, then the current figures, the whole audit log (every event: the
ledger's full history) and the whole history of the figure with the most versions up to
HISTORY_CAP (the JSON baseline inlines every live citation in every version, so on the hottest
figures it alone would take hours), each read page by page as JSON (500 a page, the baseline)
and exported in one streamed answer per format. XLSX is skipped on tables of more than
``--xlsx-rows`` rows (XLSX writes a few hundred to a few thousand rows a second). ``--no-json``: the
exports alone, no JSON baseline (the current figures' pages take minutes at 1M events). ``--tables
claims``: ``ledger export claims`` (each source's latest claim on each figure; no route, so written
in process), in each format, its rows counted as they are made.

Printed: rows/s, peak Python memory (tracemalloc, on for every route alike) and the growth of
the process's peak resident set over the route (Linux's VmHWM, reset before each route) of
each, and their ratios to the baseline. Flat memory shows as the same peak at any size of log.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import create_schema
from ledger.store import Store


def _fill(ledger, figures: int) -> None:
    source = ledger.register_source("bench", name="Bench", kind="witness", language="en")["source_id"]
    incident = ledger.record_incident("bench", title="t", places=["P"], valid_from="2019-04-26")["incident_id"]
    dims = ["civilians_killed", "civilians_injured"]
    done = 0
    while done < figures:
        batch = [{"incident_id": incident, "metric": dims[i % 2], "breakdown": {"place": f"p{done + i}"},
                  "value": {"qualifier": "exact", "number": i, "quote": f"=counted {i}"}}
                 for i in range(min(100, figures - done))]
        ledger.file_report("bench", source_id=source, title=f"r{done}", language="en", figures=batch)
        done += len(batch)


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets the process's peak resident set (VmHWM) to its current one.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """The process's peak resident set since the last reset, in bytes (0 where /proc cannot tell)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _measure(run) -> tuple[float, int, int, int]:
    """Seconds, peak Python memory (tracemalloc), rows, and the growth of the peak resident set over the run."""
    import gc

    gc.collect()
    _reset_peak_rss()
    before = _peak_rss()
    tracemalloc.start()
    start = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, rows, _peak_rss() - before


def main(figures: int = 5000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(store)
        app = create_app(store)
        ledger = app.state.ledger
        key = ledger.issue_key("bench", owner="reader-1", role="reader")[0]
        _fill(ledger, figures)
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {key}"}

            def json_pages() -> int:
                rows, cursor = 0, None
                while True:
                    page = client.get("/figures", params={"limit": 500, **({"cursor": cursor} if cursor else {})},
                                      headers=headers).json()
                    rows += len(page["items"])
                    if not (cursor := page.get("next_cursor")):
                        return rows

            def exported(fmt: str):
                def run() -> int:
                    with client.stream("GET", f"/figures?format={fmt}", headers=headers) as answer:
                        size = sum(len(chunk) for chunk in answer.iter_bytes())
                    assert size > 0
                    return figures
                return run

            json_pages()  # warm: views caught up, caches filled
            base = _measure(json_pages)
            print(f"{'route':<10}{'rows/s':>10}{'peak MiB':>10}{'rows/s ratio':>14}{'memory ratio':>14}")
            for name, run in [("json", json_pages), *((f, exported(f)) for f in ("csv", "hxl", "xlsx", "ndjson"))]:
                seconds, peak, rows, _ = base if name == "json" else _measure(run)
                print(f"{name:<10}{rows / seconds:>10.0f}{peak / 2**20:>10.1f}"
                      f"{(rows / seconds) / (base[2] / base[0]):>14.2f}{peak / base[1]:>14.2f}")


def _paged_json(client, path: str, headers: dict[str, str], key: str):
    def run() -> int:
        rows, cursor = 0, None
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.get(path, params=params, headers=headers).json()
            rows += len(page[key])
            if not (cursor := page.get("next_cursor")):
                return rows
    return run


def _streamed(client, path: str, headers: dict[str, str], fmt: str):
    def run() -> int:
        lines = 0
        with client.stream("GET", path, params={"format": fmt}, headers=headers) as answer:
            assert answer.status_code == 200, answer.status_code
            for chunk in answer.iter_bytes():
                lines += chunk.count(b"\n")
        return lines
    return run


def _table(title: str, base: tuple[float, int, int, int] | None, runs: list[tuple[str, tuple[float, int, int, int]]],
           rows: int) -> None:
    print(f"\n{title}: {rows:,} rows (load average {os.getloadavg()[0]:.1f})")
    print(f"{'route':<10}{'rows/s':>10}{'peak MiB':>10}{'RSS+ MiB':>10}{'seconds':>9}{'rows/s ratio':>14}"
          f"{'memory ratio':>14}")
    for name, (seconds, peak, _, rss) in [*([("json", base)] if base else []), *runs]:
        ratios = (f"{(rows / seconds) / (rows / base[0]):>14.2f}{peak / base[1]:>14.2f}" if base
                  else f"{'-':>14}{'-':>14}")
        print(f"{name:<10}{rows / seconds:>10.0f}{peak / 2**20:>10.1f}{rss / 2**20:>10.1f}{seconds:>9.1f}{ratios}",
              flush=True)


HISTORY_CAP = 1_000

#: The tables ``--tables`` may choose from.
TABLES = ("figures", "audit", "history", "hottest", "claims")


def _claims(reader: Any, fmt: str):
    """``ledger export claims`` in process (it has no route): its rows written in ``fmt``, lines counted."""
    from api.exports.negotiate import write
    from api.imports.claims import CLAIM_COLUMNS, claim_rows

    def run() -> int:
        rows = [0]

        def counted():
            for row in claim_rows(reader):
                rows[0] += 1
                yield row

        assert sum(len(chunk) for chunk in write(fmt, CLAIM_COLUMNS, counted(), {"ledger_position": 0}, "claims"))
        return rows[0]
    return run


@contextmanager
def _store(kind: str, postgres_url: str | None, keep: str | None) -> Iterator[Store]:
    """A fresh store, or with ``keep`` the SQLite store of that folder, as ``bench.page_times --keep``
    builds it (the same log: the workload is deterministic), so one 1M build serves both benches."""
    from bench.stores import fresh_store

    if keep is None:
        with tempfile.TemporaryDirectory() as tmp, fresh_store(kind, postgres_url or "", tmp, "exports") as store:
            yield store
        return
    folder = Path(keep)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LEDGER_SIGNING_KEY", str(folder / "signing-key.pem"))
    store = Store(f"sqlite:///{folder / 'ledger.db'}")
    create_schema(store)
    yield store


def history(events: int, formats: list[str], store_kind: str = "sqlite", postgres_url: str | None = None,
            xlsx_rows: int = 350_000, keep: str | None = None, tables: tuple[str, ...] = TABLES[:3],
            baseline: bool = True) -> None:
    """Build a log of ``events`` events on a fresh store of ``store_kind`` (or reuse ``keep``'s), then
    time every export of ``tables`` (``baseline=False``: without the JSON pages)."""
    from bench.build import build_log
    from bench.workload import Ids, Workload

    with _store(store_kind, postgres_url, keep) as store:
        app = create_app(store)
        with TestClient(app) as client:
            state = app.state
            ledger = state.ledger
            keys = {role: ledger.issue_key("bench", owner=f"{role}-1", role=role)[0] for role in ("reader", "auditor")}
            t0 = time.perf_counter()
            if keep and (Path(keep) / "ids.json").exists():
                built = {"events": ledger.recorder.max_notification_id()}
                print(f"reusing the log in {keep}", file=sys.stderr, flush=True)
            else:
                ids = Ids()
                built = build_log(ledger, Workload(), ids, events,
                                  progress=lambda n: print(f"  {n:,} events written", file=sys.stderr, flush=True))
                print(f"{store_kind}: built {built['events']:,} events in {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            state.follower.catch_up()
            print(f"views caught up in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            state.audit.catch_up()
            print(f"audit tree caught up in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            if keep and not (Path(keep) / "ids.json").exists():  # as bench.page_times keeps them, to reuse the store
                import dataclasses
                import json

                (Path(keep) / "ids.json").write_text(json.dumps(dataclasses.asdict(ids)))
            db = state.reader.db
            with db.snapshot() as c:
                # The JSON route inlines every live citation in every version (versions x citations):
                # the baseline stays feasible only on figures of up to HISTORY_CAP versions.
                hot, versions = db.one(c, "SELECT figure_id, version FROM {figures} WHERE version <= ?"
                                          " ORDER BY version DESC LIMIT 1", (HISTORY_CAP,))
                hottest, most = db.one(c, "SELECT figure_id, version FROM {figures} ORDER BY version DESC LIMIT 1")
                figures = db.value(c, "SELECT COUNT(*) FROM {figures}")
            size = state.audit.size()
            auditor = {"Authorization": f"Bearer {keys['auditor']}"}
            reader = {"Authorization": f"Bearer {keys['reader']}"}
            print(f"\n{store_kind}, {built['events']:,} events", flush=True)
            if "claims" in tables:  # each source's latest claim on each figure: rows known once written
                for fmt in formats:
                    measured = _measure(_claims(state.reader, fmt))
                    _table(f"claims export ({figures:,} figures)", None, [(fmt, measured)], measured[2])
            for table, title, path, headers, key, rows, header_lines in (
                ("figures", "current figures", "/figures", reader, "items", figures, 1),
                ("audit", "audit log (every event)", "/audit/log", auditor, "items", size, 1),
                ("history", f"history of the figure with the most versions up to {HISTORY_CAP:,} ({versions:,})",
                 f"/figures/{hot}/history", reader, "versions", versions, 1),
                # No JSON baseline: its pages inline every live citation in every version.
                ("hottest", f"history of the hottest figure ({most:,} versions), exports only",
                 f"/figures/{hottest}/history", reader, None, most, 1),
            ):
                if table not in tables:
                    continue
                if key is None or not baseline:
                    runs = []
                    for fmt in formats:
                        if fmt == "xlsx" and rows > xlsx_rows:
                            continue
                        measured = _measure(_streamed(client, path, headers, fmt))
                        if fmt != "xlsx":
                            assert measured[2] == rows + header_lines + (fmt == "hxl"), (fmt, measured[2], rows)
                        runs.append((fmt, measured))
                    _table(title, None, runs, rows)
                    continue
                base = _measure(_paged_json(client, path, headers, key))
                assert base[2] == rows, (base[2], rows)
                runs = []
                for fmt in formats:
                    if fmt == "xlsx" and rows > xlsx_rows:
                        print(f"xlsx skipped: {rows:,} rows > --xlsx-rows {xlsx_rows:,}", flush=True)
                        continue
                    measured = _measure(_streamed(client, path, headers, fmt))
                    if fmt != "xlsx":  # a zip: no lines to count
                        assert measured[2] == rows + header_lines + (fmt == "hxl"), (fmt, measured[2], rows)
                    runs.append((fmt, measured))
                _table(title, base, runs, rows)


def _arguments(argv: list[str]) -> Any:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.split("\n\n")[0])
    parser.add_argument("figures", nargs="?", type=int, default=5000,
                        help="figures filed by command for the quick run (no --history)")
    parser.add_argument("--history", type=int, metavar="EVENTS", help="bulk-build a log of EVENTS events")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("LEDGER_TEST_POSTGRES", ""),
                        help="the server to make a fresh schema on (default: $LEDGER_TEST_POSTGRES)")
    parser.add_argument("--xlsx-rows", type=int, default=350_000, help="skip XLSX on tables of more rows")
    parser.add_argument("--formats", default="csv,hxl,ndjson,xlsx", help="comma-separated, from csv,hxl,ndjson,xlsx")
    parser.add_argument("--keep", metavar="FOLDER", help="the SQLite store of FOLDER (as bench.page_times --keep"
                                                         " builds it), built there if absent, reused if there")
    parser.add_argument("--tables", default="figures,audit,history",
                        help=f"comma-separated, from {','.join(TABLES)} (hottest, claims: their exports only)")
    parser.add_argument("--no-json", action="store_true",
                        help="the exports alone, without the JSON pages' baseline (minutes of pages at 1M)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _arguments(sys.argv[1:])
    if args.history:
        if args.store == "postgres" and not args.postgres:
            sys.exit("--store postgres needs --postgres URL or LEDGER_TEST_POSTGRES")
        if args.keep and args.store != "sqlite":
            sys.exit("--keep is a SQLite folder")
        history(args.history, args.formats.split(","), args.store, args.postgres, args.xlsx_rows, args.keep,
                tuple(args.tables.split(",")), not args.no_json)
    else:
        main(args.figures)
