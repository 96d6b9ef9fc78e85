"""The bare HTTP baselines, served by uvicorn with the same workers and options as the ledger's
API, and declared ``def`` like the API's endpoints, so both pay the same thread-pool hop; the
difference is the ledger's work.

* ``GET /bare/{ident}``: an orjson body (serialised per request) of BENCH_BARE_BODY_BYTES
  bytes (or ``?bytes=N``), with nothing behind it (no key check, no store).
* ``POST /bare/save``: saves the events a ledger command made, as bare events of the same
  ids, versions and sizes, in one ``app.save`` on the bare store at BENCH_BARE_DB: the bare
  store with an HTTP request in front of it (the floor for ingest through HTTP).
"""

from __future__ import annotations

import os

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

SIZE = int(os.environ.get("BENCH_BARE_BODY_BYTES", "512"))
# A JSON object of exactly SIZE bytes: {"pad":"xxx..."}.
PAYLOAD = {"pad": "x" * max(0, SIZE - len(b'{"pad":""}'))}

app = FastAPI()


_SIZED: dict[int, dict[str, str]] = {}


@app.get("/bare/{ident}")
def bare(ident: str, bytes: int | None = None) -> Response:
    # ``?bytes=N``: a body of N bytes instead of BENCH_BARE_BODY_BYTES, so that one server is
    # the baseline of routes whose answers differ in size (bench.http_latency).
    payload = PAYLOAD if bytes is None else _SIZED.setdefault(bytes, {"pad": "x" * max(0, bytes - 10)})
    return Response(orjson.dumps(payload), media_type="application/json")


_bare = None


@app.post("/bare/save")
def bare_save(shapes: list[tuple[str, int, int]]) -> Response:
    global _bare
    from uuid import UUID

    from bench.baseline import Padder, Shape, open_bare
    from ledger.store import Store

    if _bare is None:
        app_ = open_bare(Store(os.environ["BENCH_BARE_DB"]), create_table=False)
        _bare = (app_, Padder(app_))
    bare_app, padder = _bare
    bare_app.save(*(padder.event(Shape(UUID(i), v, n)) for i, v, n in shapes))
    return Response(b'{"saved":%d}' % len(shapes), media_type="application/json", status_code=201)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
