"""The app factory: the ledger, its read models and its audit trail behind one FastAPI app.

``create_app(store)`` opens the ledger on an existing schema (``ledger init`` creates it
once, before any worker starts: web workers never create tables) and closes it when the
app shuts down. ``app_from_environment()`` is the factory uvicorn's workers call, each in
its own process, with the store named by LEDGER_DB (and CIPHER_KEY).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from fastapi.responses import JSONResponse

from api import problems, web
from api.web import docs as web_docs
from api.answers import AnswerLane, Answers
from api.bootstrap import open_ledger, open_read_side
from api.deps import KeyChecks, read_log_state, reject_unknown_query
from api.head_watch import AtHead, HeadWatch
from api.guard import DEFAULT_MAX_BODY, BodyGuard
from api.methods import Methods
from api.models import Health
from api.routers import audit, change_feed, citations, definitions, figures, incidents, queries, reports, sources
from ledger.application import Ledger
from ledger.failure_lines import failure
from ledger.store import Store

log = logging.getLogger("api")

#: Names the process that answered (GET /health), so a test can see several workers answer.
WORKER = secrets.token_hex(6)

DESCRIPTION = """\
The incident ledger's API: sources, incidents, reports and their figures, corrections,
supersessions, retractions, grades and citations, each recorded as an event.

* **Access**: `Authorization: Bearer ilk_...`. Officers record and read public data;
  auditors read everything, protected sources included, and record nothing; readers read
  public data. A protected source answers 404 to anyone but an auditor.
* **Concurrency**: a figure's ETag is its version. Corrections, supersessions,
  retractions, grades and period revisions require `If-Match` (428 without it); a stale
  version answers 412 with `current_version`, and nothing is recorded.
* **Retries**: send `Idempotency-Key` with any POST; a retry answers exactly as the first
  time and records nothing twice.
* **Errors**: every error is an RFC 9457 problem (`application/problem+json`).
* The actor of every event is the owner of the access key; an `actor` in a body is refused.
"""


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson (UTF-8, datetimes as ISO 8601; the API gives UTC times)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def create_app(
    store: Store | None = None, *, ledger: Ledger | None = None, max_body: int = DEFAULT_MAX_BODY,
    read_side: bool = True, follow_every: float | None = None, checkpoint_every: float | None = None,
) -> FastAPI:
    """The API over ``store`` (default: LEDGER_DB), or over an already open ``ledger`` (not closed here).

    ``read_side``: serve the query routes from the projections (their tables must exist: the
    schema step creates them). Each query first brings the views up to date with the log;
    ``follow_every`` (seconds) also keeps them up to date from a background thread, so that
    a long backlog is not worked off inside a request. ``checkpoint_every`` (seconds) signs a
    checkpoint from a background thread whenever the audit tree has grown.

    The ledger and the read side are open as soon as the app is made (``app.state.ledger``),
    and closed when the last lifespan that started ends; a lifespan starting after that opens
    them again.
    """
    if store is None and ledger is None:
        store = Store.from_environment()

    app = FastAPI(
        title="Incident ledger",
        version="0.1.0",
        description=DESCRIPTION,
        default_response_class=OrjsonResponse,
        dependencies=[Depends(reject_unknown_query)],
        docs_url=None, redoc_url=None,  # /docs is api.web's, with its own copy of RapiDoc
    )
    runtime = _Runtime(app, store, ledger, read_side=read_side, follow_every=follow_every,
                       checkpoint_every=checkpoint_every)
    runtime.open()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        # The first hop to the thread pool imports anyio's backend (13 modules, ~15 ms of CPU):
        # made here, where the event loop runs, not by the first request that reads the store.
        await run_in_threadpool(lambda: None)
        try:
            yield
        finally:
            runtime.stop()

    app.router.lifespan_context = lifespan
    app.state.catching_up = threading.Lock()  # one request at a time brings views that lag up to date
    problems.install(app)
    app.add_middleware(BodyGuard, max_body=max_body)
    app.add_middleware(AnswerLane, state=app.state)  # a kept answer skips everything after it
    app.add_middleware(Methods, routes=app.router.routes)  # outermost: OPTIONS, and HEAD as GET

    for module in (sources, incidents, reports, figures, citations, definitions, queries, change_feed, audit):
        # What any request can meet: two Authorization headers (400), the database out of reach (503).
        app.include_router(module.router, responses=problems.responses(400, 503))

    web.install(app, _web_key_file(store), store)

    @app.get("/health", response_model=Health, tags=["meta"], summary="Is this process up",
             responses=problems.responses(400, 503))
    async def health(request: Request) -> Any:
        """No key needed; says which server process answered, once it has read the log's head
        (503 while the database cannot be reached)."""
        await request.app.state.head_watch.current()
        return {"status": "ok", "worker": WORKER}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def warm(app: FastAPI) -> None:
    """Make what the first requests would otherwise make: the server calls it before it serves,
    and before it freezes the heap (api/serve.py ``ready``), so that none of it stays in a
    request's time or in the garbage collector's full collections (docs/performance.md). At 1M
    events a page's first request after start cost 2-5 times its next: FastAPI builds an
    included router's routes (their dependencies and pydantic validators) the first time a
    request is matched against it (the first sign-in page built 49, ~110 ms of CPU); the schema
    behind /docs (~250 ms, on its first GET /openapi.json); the pages' templates and each
    language's catalogue and CLDR data (``web.warm``). Nothing here reads a record: what it
    keeps holds no one's data."""
    for _ in iter_route_contexts(app.router.routes):
        pass
    app.openapi()
    web_docs.reference_of(app)
    web.warm()


def _record_vocabulary(ledger: Ledger) -> None:
    """Record the built-in terms a store lacks as a worker starts (one of several racing workers does).

    A store that cannot be written now (down, read-only) must not stop the app from serving:
    its commands check words against the built-ins until the vocabulary is recorded."""
    try:
        ledger.record_built_ins()
    except Exception as error:  # noqa: BLE001
        log.warning("could not record the built-in vocabulary (%s)", failure(error))


class _Runtime:
    """What the app holds open: the ledger, the projections' reader and follower, the follower thread.

    Counted by lifespan: an ASGI host may run the app's lifespan more than once, even
    overlapping (a test client and a fuzzer on one app); resources close when the last ends.
    """

    def __init__(self, app: FastAPI, store: Store | None, ledger: Ledger | None, *, read_side: bool,
                 follow_every: float | None, checkpoint_every: float | None = None) -> None:
        self.app = app
        self.store = store
        self.given_ledger = ledger
        self.read_side = read_side and store is not None
        self.follow_every = follow_every
        self.checkpoint_every = checkpoint_every
        self.lock = threading.Lock()
        self.users = 0
        self.is_open = False
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def open(self) -> None:
        state = self.app.state
        if self.is_open:
            return
        state.ledger = self.given_ledger if self.given_ledger is not None else open_ledger(self.store)
        _record_vocabulary(state.ledger)
        state.reader, state.follower, state.standing = (None, None, None)
        state.audit, state.audit_checkpointer = (None, None)
        state.key_checks, state.answers = KeyChecks(), Answers()
        state.web_parts = AtHead(64)  # api/web/render.py kept_part: a count's page as rendered
        state.head_watch = HeadWatch(lambda: read_log_state(state))
        if self.read_side and self.store is not None:
            state.reader, state.follower = open_read_side(self.store, state.ledger)
            if state.reader is not None:
                from projections.log_position import Standing

                state.standing = Standing(state.reader.db, state.ledger.recorder)
            audit.attach(self.app, self.store, ledger=state.ledger)
        self.is_open = True

    def start(self) -> None:
        with self.lock:
            self.open()
            self.users += 1
            follower = self.app.state.follower
            if self.thread is None and follower is not None and self.follow_every:
                self.stop_event = threading.Event()
                self.thread = threading.Thread(
                    target=follower.run_forever, name="projection-follower", daemon=True,
                    kwargs={"poll_interval": self.follow_every, "stop_event": self.stop_event})
                self.thread.start()
            trail = self.app.state.audit
            if trail is not None and self.checkpoint_every and self.app.state.audit_checkpointer is None \
                    and trail.key_file.exists():
                self.app.state.audit_checkpointer = trail.start(self.checkpoint_every)

    def stop(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users > 0:
                return
            self.users = 0
            self.stop_event.set()
            if self.thread is not None:
                self.thread.join(timeout=10)
                self.thread = None
            state = self.app.state
            if state.audit_checkpointer is not None:
                state.audit_checkpointer.stop()
                state.audit_checkpointer = None
            for resource in (state.follower, state.reader, state.audit, getattr(state, "web_sessions", None)):
                if resource is not None:
                    resource.close()
            if self.given_ledger is None:
                state.ledger.close()
            self.is_open = False


def _web_key_file(store: Store | None) -> Path:
    from projections.audit.signing import key_path

    return key_path(store) if store is not None else Path("var") / "signing-key.pem"


def app_from_environment() -> FastAPI:
    """The factory uvicorn calls in each worker process (``uvicorn api.app:app_from_environment --factory``)."""
    return create_app(Store.from_environment(), follow_every=FOLLOW_EVERY, checkpoint_every=CHECKPOINT_EVERY)


#: How often a served app's background follower looks for new events (seconds).
FOLLOW_EVERY = 1.0
#: How often a served app signs a checkpoint when the log has grown (seconds; LEDGER_CHECKPOINT_EVERY).
CHECKPOINT_EVERY = float(os.environ.get("LEDGER_CHECKPOINT_EVERY", "60"))


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with error responses as application/problem+json and no unused models."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if status[:1] in "45" and content and "application/json" in content:
                    content[problems.MEDIA_TYPE] = content.pop("application/json")
    components = schema.get("components", {}).get("schemas", {})
    text = orjson.dumps(schema["paths"]).decode()
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)
    app.openapi_schema = schema
    return schema
