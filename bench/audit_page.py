"""The first ``/web/audit`` on a ledger whose audit tree has not been built, before and after.

``python -m bench.audit_page [EVENTS ...]`` (default 20000 100000), SQLite: a log of EVENTS
events bulk-built from the workload (bench/build.py) and the views caught up, but not the audit
tree; the store is then copied, so both measures start from the same file:

* before: the page catches the whole tree up before it answers (``audit_build.INLINE`` set beyond
  the log: the page's old behaviour), timed to its answer;
* after: the page answers at once with the building banner while the tree is built in the
  background; timed to that answer, and to the first full page when asked again every 0.5 s
  (the banner reloads itself every 2 s).

The baseline of the same run is the sign-in page (a template behind the same middleware that
reads nothing), so the times can be read as multiples of it on a machine shared with others.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from api.bootstrap import create_schema
from bench.build import build_log
from bench.page_times import HTML, signed_in
from bench.workload import Ids, Workload
from ledger.store import Store


def _timed(client, path: str) -> tuple[float, str]:
    start = time.perf_counter()
    answer = client.get(path, headers=HTML)
    assert answer.status_code == 200, answer.status_code
    return (time.perf_counter() - start) * 1000, answer.text


def _first_page(db: Path, key: str, inline: int | None) -> dict[str, float]:
    from api.app import create_app
    from api.web import audit_build

    before = audit_build.INLINE
    if inline is not None:
        audit_build.INLINE = inline
    try:
        app = create_app(Store(f"sqlite:///{db}"))
        with signed_in(app, key) as client:
            base = min(_timed(client, "/web/sign-in")[0] for _ in range(5))
            start = time.perf_counter()
            first, text = _timed(client, "/web/audit")
            banner = 'id="tree-building"' in text
            while 'id="tree-building"' in text:
                time.sleep(0.5)
                text = _timed(client, "/web/audit")[1]
            full = (time.perf_counter() - start) * 1000
            audit_build.wait(app.state.audit)
            return {"base": base, "first": first, "banner": banner, "full": full}
    finally:
        audit_build.INLINE = before


def run(events: int, work: Path) -> None:
    db = work / f"ledger-{events}.db"
    from api.app import create_app

    store = Store(f"sqlite:///{db}")
    create_schema(store)
    app = create_app(store)
    ledger = app.state.ledger
    built = build_log(ledger, Workload(), Ids(), events)
    app.state.follower.catch_up()
    key = ledger.issue_key("bench", owner="bench-auditor", role="auditor")[0]
    app.state.follower.close()
    app.state.audit.close()
    ledger.close()
    copy = work / f"ledger-{events}-copy.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(str(db) + suffix).exists():
            shutil.copy(str(db) + suffix, str(copy) + suffix)
    old = _first_page(db, key, inline=2**62)
    new = _first_page(copy, key, inline=None)
    print(f"\n{built['events']:,} events, the audit tree not yet built (SQLite)")
    print(f"{'':<44}{'ms':>10}{'x sign-in':>11}")
    print(f"{'sign-in page (baseline), before run':<44}{old['base']:>10.1f}{1:>11.1f}")
    print(f"{'before: first /web/audit (tree built inline)':<44}{old['first']:>10.0f}{old['first'] / old['base']:>11.0f}")
    print(f"{'sign-in page (baseline), after run':<44}{new['base']:>10.1f}{1:>11.1f}")
    print(f"{'after: first /web/audit (banner: ' + str(new['banner']) + ')':<44}{new['first']:>10.0f}"
          f"{new['first'] / new['base']:>11.0f}")
    print(f"{'after: until the full page':<44}{new['full']:>10.0f}{new['full'] / new['base']:>11.0f}", flush=True)


def main(sizes: list[int]) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-audit-page-"))
    os.environ.setdefault("LEDGER_SIGNING_KEY", str(work / "signing-key.pem"))
    try:
        for events in sizes:
            run(events, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 100_000])
