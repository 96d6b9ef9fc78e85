"""The bare HTTP baseline: a FastAPI app whose one endpoint returns an orjson body (serialised per request) of
BENCH_BARE_BODY_BYTES bytes, with nothing behind it (no key check, no store). Served by
uvicorn with the same workers and options as the ledger's API, and declared ``def`` like the
API's endpoints, so both pay the same thread-pool hop; the difference is the ledger's work."""

from __future__ import annotations

import os

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

SIZE = int(os.environ.get("BENCH_BARE_BODY_BYTES", "512"))
# A JSON object of exactly SIZE bytes: {"pad":"xxx..."}.
PAYLOAD = {"pad": "x" * max(0, SIZE - len(b'{"pad":""}'))}

app = FastAPI()


@app.get("/bare/{ident}")
def bare(ident: str) -> Response:
    return Response(orjson.dumps(PAYLOAD), media_type="application/json")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
