"""Options of a benchmark run, and the constants every phase shares."""

from __future__ import annotations

import argparse
import base64
import os
from dataclasses import dataclass, field

#: Fixed seed: the same operations, in the same order, on every run and every machine.
SEED = 20191126
#: Zipf exponent of the spread of corrections, claims and citations over figures:
#: rank r is hit with weight r**-ZIPF_S, so a few hot figures take most of the work.
ZIPF_S = 1.1
#: Page size of raw notification reads (the library's own follower reads pages too).
PAGE = 500
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Options:
    stores: list[str]
    scales: list[int]
    runs: int
    window: int            # ledger commands per timed ingest run
    read_samples: int      # latency samples per read kind
    read_budget: float     # seconds of calls per read kind at most
    http_seconds: float    # seconds of load per HTTP endpoint and run
    http_workers: int
    http_connections: int
    smoke: bool
    out: str | None
    markdown: str | None
    postgres_url: str
    workdir: str
    skip: set[str] = field(default_factory=set)
    profile: str | None = None
    cipher_key: str | None = None  # the ledger's store with CIPHER_KEY: events and sealed view columns


def parse(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--events", default="10000,100000",
                   help="log size(s) to measure at, comma-separated (e.g. 10000,100000,1000000)")
    p.add_argument("--runs", type=int, default=3, help="repeats of every timed measurement; medians are reported")
    p.add_argument("--window", type=int, default=None,
                   help="ledger commands per timed ingest run (default 600, smoke 40)")
    p.add_argument("--read-samples", type=int, default=None, help="latency samples per read kind (default 400)")
    p.add_argument("--read-budget", type=float, default=20.0,
                   help="seconds of calls per read kind at most (slow reads get fewer samples)")
    p.add_argument("--http-seconds", type=float, default=None, help="load per endpoint and run (default 5 s)")
    p.add_argument("--http-workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--http-connections", type=int, default=16, help="concurrent client connections")
    p.add_argument("--smoke", action="store_true",
                   help="tiny run for CI: both stores, every path once, < 60 s")
    p.add_argument("--out", default=None, help="write the results as JSON to this file")
    p.add_argument("--markdown", default=None, help="write the table as Markdown to this file")
    p.add_argument("--postgres-url", default=os.environ.get("LEDGER_BENCH_POSTGRES")
                   or os.environ.get("LEDGER_TEST_POSTGRES") or DEFAULT_POSTGRES)
    p.add_argument("--workdir", default=os.environ.get("TMPDIR", "/tmp"),
                   help="where the SQLite files are made (removed afterwards)")
    p.add_argument("--skip", default="", help="phases to leave out, comma-separated: ingest,http-ingest,projection,reads,http")
    p.add_argument("--cipher", action="store_true",
                   help="run the ledger's store with a fresh CIPHER_KEY (encrypted events, sealed view columns);"
                        " the HTTP phases are left out")
    p.add_argument("--profile", default=None, metavar="DIR",
                   help="write a pyinstrument profile of each ingest and rebuild run to DIR")
    a = p.parse_args(argv)
    stores = ["sqlite", "postgres"] if a.store == "both" else [a.store]
    if a.smoke:
        stores = ["sqlite", "postgres"] if a.store == "both" else stores
        scales = [400]
        runs = 1
    else:
        scales = [int(s.replace("_", "")) for s in a.events.split(",") if s.strip()]
        runs = max(1, a.runs)
    return Options(
        stores=stores,
        scales=scales,
        runs=runs,
        window=a.window or (40 if a.smoke else 600),
        read_samples=a.read_samples or (30 if a.smoke else 400),
        read_budget=2.0 if a.smoke else a.read_budget,
        http_seconds=a.http_seconds or (1.0 if a.smoke else 5.0),
        http_workers=a.http_workers,
        http_connections=a.http_connections,
        smoke=a.smoke,
        out=a.out,
        markdown=a.markdown,
        postgres_url=a.postgres_url,
        workdir=a.workdir,
        # The servers of the HTTP phases are started without the key.
        skip={s.strip() for s in a.skip.split(",") if s.strip()} | ({"http", "http-ingest"} if a.cipher else set()),
        profile=a.profile,
        cipher_key=base64.b64encode(os.urandom(32)).decode() if a.cipher else None,
    )
