"""Run the API under uvicorn: ``serve(store, host, port, workers)`` (what ``ledger serve`` calls).

The schema must exist (``ledger init``): workers never create tables, so several of them
starting at once cannot race on it. With one worker the app is built here; with several,
uvicorn starts each worker process from the import string ``api.serve:app_from_environment``
(a factory), and the store reaches them through the environment (LEDGER_DB, CIPHER_KEY).
Several workers need PostgreSQL: an SQLite file serves one process. Views another version made
are refused before anything is served, once: by the app's read side with one worker, by
``check_views`` before several start (each worker's read side, in its own process, checks again).

``python -m api.serve --host 127.0.0.1 --port 8000 --workers 2`` does the same from a shell,
on the store named by LEDGER_DB.

The access log names each request's route template (``GET /sources/{source_id}``), never
the path or query it was asked with: those carry ids, and a protected source's ids must not
reach whoever reads the server's logs (docs/operations.md).

Behind a TLS-terminating proxy, name the proxy's addresses (``--forwarded-allow-ips`` or
LEDGER_FORWARDED_ALLOW_IPS): uvicorn then takes the scheme and client from that proxy's
X-Forwarded-Proto/-For, so the session cookies are Secure (api/web/session.py). Unset, no
forwarded header is believed: a client could otherwise claim https, or another address.
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.utils import get_client_addr

from api import route_names
from api.bootstrap import StaleViews, check_views, without_schema
from ledger.failure_lines import failure
from ledger.store import Store

FACTORY = "api.serve:app_from_environment"
FORWARDED_ENV = "LEDGER_FORWARDED_ALLOW_IPS"
ACCESS = "ledger.access"
access_log = logging.getLogger(ACCESS)


class RouteLog:
    """ASGI wrapper: one access log line per request, naming the route's template, not its path.

    In uvicorn's format, so the line reads as uvicorn's own would (which is switched off):
    ``127.0.0.1:50712 - "GET /sources/{source_id} HTTP/1.1" 404``. A path that no route
    matches is logged as ``-``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        status = 500  # what the server answers if the app fails before starting a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            access_log.info('%s - "%s %s HTTP/%s" %d', get_client_addr(scope), scope["method"],
                            self.template(scope), scope["http_version"], status)

    def template(self, scope: Scope) -> str:
        return route_names.template(scope, self.app)


class FailureOnly(logging.Filter):
    """A record's exception as ``failure()`` tells it (type and frames), never its message nor a
    traceback's text: uvicorn logs "Exception in ASGI application" with the exception Starlette
    re-raises after the 500 is sent, whose message may quote stored data (a protected source's
    words in a driver's error)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg, record.args = f"{record.getMessage()}: {failure(record.exc_info[1])}", ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, with the route-template access log in place of its own and
    exceptions told without their messages (FailureOnly)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"][ACCESS] = {"handlers": ["access"], "level": level.upper(), "propagate": False}
    config.setdefault("filters", {})["failure_only"] = {"()": FailureOnly}
    config["handlers"]["default"]["filters"] = ["failure_only"]
    return config


def app_from_environment() -> ASGIApp:
    """The factory uvicorn calls in each worker process: the app, ready (warmed, logging route templates, frozen)."""
    from api.app import app_from_environment as app

    return ready(app())


def ready(app: Any) -> ASGIApp:
    """``app`` as the server serves it: made ready for its first requests (api/app.py ``warm``),
    logging route templates, and frozen (both paths, one worker or several)."""
    from api.app import warm

    warm(app)
    return frozen(RouteLog(app))


def frozen(app: ASGIApp) -> ASGIApp:
    """``app``, with what the process holds once it is built kept out of the garbage collector's
    full collections: at 1M events a full collection scanned ~154,000 objects, ~120 ms of CPU
    once every ~20 requests of a count's page, its whole p99 (docs/performance.md)."""
    import gc

    gc.collect()
    gc.freeze()
    return app


class NoDelayProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol with TCP_NODELAY set on every accepted connection.

    With several workers uvicorn binds the socket itself with ``proto=0``, so asyncio does not
    set TCP_NODELAY; Nagle's algorithm then holds each keep-alive response until the client's
    delayed ACK, ~40 ms a request (uvicorn issue #3149, open).
    """

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def proxy_settings(forwarded_allow_ips: str | None) -> dict[str, Any]:
    """uvicorn's proxy-header settings: on only for the proxies named (the argument, else LEDGER_FORWARDED_ALLOW_IPS).

    A comma-separated list of addresses or networks (or ``*``), as uvicorn takes it; never
    uvicorn's own FORWARDED_ALLOW_IPS default, which would trust loopback without being asked.
    """
    trusted = (os.environ.get(FORWARDED_ENV, "") if forwarded_allow_ips is None else forwarded_allow_ips).strip()
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def serve(store: Store, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *,
          log_level: str = "info", forwarded_allow_ips: str | None = None) -> None:
    """Serve the API until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    import uvicorn

    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers > 1 and store.kind != "postgres":
        raise ValueError("several workers need PostgreSQL (LEDGER_DB=postgresql://...); SQLite serves one worker")
    common = {"host": host, "port": port, "log_level": log_level, **proxy_settings(forwarded_allow_ips),
              "http": "api.serve:NoDelayProtocol", "access_log": False, "log_config": log_config(log_level),
              "server_header": False, "date_header": True}
    if workers == 1:
        from api.app import CHECKPOINT_EVERY, FOLLOW_EVERY, create_app

        # The app's read side refuses views another version made (StaleViews), before anything is served.
        app = ready(create_app(store, follow_every=FOLLOW_EVERY, checkpoint_every=CHECKPOINT_EVERY))
    else:
        check_views(store)  # one clear refusal before the workers start, not one from each (in its own process)
        os.environ["LEDGER_DB"] = store.url
        if store.cipher_key:
            os.environ["CIPHER_KEY"] = store.cipher_key
        else:
            os.environ.pop("CIPHER_KEY", None)
    print(f"serving the ledger API at http://{host}:{port}/ (the API reference at /docs, to try it: /docs/try)", flush=True)
    if workers == 1:
        uvicorn.run(app, **common)
    else:
        uvicorn.run(FACTORY, factory=True, workers=workers, **common)


def add_forwarded_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--forwarded-allow-ips", default=None, metavar="ADDRESSES",
                        help="the TLS proxy's addresses, comma-separated: trust its X-Forwarded-Proto/-For"
                             f" (default ${FORWARDED_ENV}; unset: trust none)")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m api.serve", description="Serve the ledger API (store: LEDGER_DB).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info")
    add_forwarded_option(p)
    args = p.parse_args(argv)
    store = Store.from_environment()
    refused = without_schema(store)
    if refused is not None:  # the sessions' table too: without it every sign-in would be a 503
        print(f"api.serve: {refused}", file=sys.stderr)
        return 2
    try:
        serve(store, args.host, args.port, args.workers, log_level=args.log_level,
              forwarded_allow_ips=args.forwarded_allow_ips)
    except (ValueError, StaleViews) as e:
        print(f"api.serve: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
