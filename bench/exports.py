"""Exports against the JSON route, in the same run: ``python -m bench.exports [FIGURES]``.

The baseline is reading every figure through ``GET /figures`` page by page as JSON (500 a
page); each export format reads the same figures in one streamed answer. Printed: rows/s and
peak Python memory (tracemalloc) of each, and their ratios to the baseline.
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
