"""Exports against the JSON route, in the same run.

``python -m bench.exports [FIGURES]``: the baseline is reading every figure through
``GET /figures`` page by page as JSON (500 a page); each export format reads the same figures
in one streamed answer.

``python -m bench.exports --history EVENTS [--formats csv,ndjson,...]``: a log of EVENTS
events bulk-built from the workload (bench/build.py), the views and the audit tree caught up,
then the whole audit log (every event: the ledger's full history) and the whole history of
the figure with the most versions up to HISTORY_CAP (the JSON baseline inlines every live
citation in every version, so on the hottest figures it alone would take hours), each read page by page as JSON (500 a page, the baseline)
and exported in one streamed answer per format.

Printed: rows/s and peak Python memory (tracemalloc, on for every route alike) of each, and
their ratios to the baseline. Flat memory shows as the same peak at any size of log.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

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


def _measure(run) -> tuple[float, int, int]:
    tracemalloc.start()
    start = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, rows


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
                seconds, peak, rows = base if name == "json" else _measure(run)
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


def _table(title: str, base: tuple[float, int, int], runs: list[tuple[str, tuple[float, int, int]]],
           rows: int) -> None:
    print(f"\n{title}: {rows:,} rows")
    print(f"{'route':<10}{'rows/s':>10}{'peak MiB':>10}{'seconds':>9}{'rows/s ratio':>14}{'memory ratio':>14}")
    for name, (seconds, peak, _) in [("json", base), *runs]:
        print(f"{name:<10}{rows / seconds:>10.0f}{peak / 2**20:>10.1f}{seconds:>9.1f}"
              f"{(rows / seconds) / (rows / base[0]):>14.2f}{peak / base[1]:>14.2f}", flush=True)


HISTORY_CAP = 1_000


def history(events: int, formats: list[str], store_url: str | None = None) -> None:
    from bench.build import build_log
    from bench.workload import Ids, Workload

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(store_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(store)
        app = create_app(store)
        with TestClient(app) as client:
            state = app.state
            ledger = state.ledger
            keys = {role: ledger.issue_key("bench", owner=f"{role}-1", role=role)[0] for role in ("reader", "auditor")}
            t0 = time.perf_counter()
            built = build_log(ledger, Workload(), Ids(), events,
                              progress=lambda n: print(f"  {n:,} events written", file=sys.stderr, flush=True))
            print(f"built {built['events']:,} events in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            state.follower.catch_up()
            print(f"views caught up in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            state.audit.catch_up()
            print(f"audit tree caught up in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            db = state.reader.db
            with db.snapshot() as c:
                # The JSON route inlines every live citation in every version (versions x citations):
                # the baseline stays feasible only on figures of up to HISTORY_CAP versions.
                hot, versions = db.one(c, "SELECT figure_id, version FROM {figures} WHERE version <= ?"
                                          " ORDER BY version DESC LIMIT 1", (HISTORY_CAP,))
            size = state.audit.size()
            auditor = {"Authorization": f"Bearer {keys['auditor']}"}
            reader = {"Authorization": f"Bearer {keys['reader']}"}
            for title, path, headers, key, rows, header_lines in (
                ("audit log (every event)", "/audit/log", auditor, "items", size, 1),
                (f"history of the figure with the most versions up to {HISTORY_CAP:,} ({versions:,})",
                 f"/figures/{hot}/history", reader,
                 "versions", versions, 1),
            ):
                base = _measure(_paged_json(client, path, headers, key))
                assert base[2] == rows, (base[2], rows)
                runs = []
                for fmt in formats:
                    seconds, peak, lines = _measure(_streamed(client, path, headers, fmt))
                    if fmt != "xlsx":  # a zip: no lines to count
                        assert lines == rows + header_lines + (fmt == "hxl"), (fmt, lines, rows)
                    runs.append((fmt, (seconds, peak, rows)))
                _table(title, base, runs, rows)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--history":
        wanted = sys.argv[sys.argv.index("--formats") + 1].split(",") if "--formats" in sys.argv else [
            "csv", "hxl", "ndjson", "xlsx"]
        history(int(sys.argv[2]), wanted)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
