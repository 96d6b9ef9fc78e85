"""uvicorn with TCP_NODELAY on every accepted connection, for the HTTP benchmark.

With ``--workers N`` (N > 1) uvicorn binds the listening socket itself with ``proto=0``;
accepted sockets inherit it, and asyncio sets TCP_NODELAY only when ``proto`` is
IPPROTO_TCP. Nagle's algorithm then holds each response body until the client's delayed
ACK: every keep-alive request after the first costs ~40 ms on Linux (uvicorn issue #3149,
open). ``api.serve`` now sets it itself (``api.serve.NoDelayProtocol``); this launcher serves
the bare endpoint the same way, so the ratio compares the work behind them.

``python -m bench.nodelay IMPORT_STRING [--factory] --port P --workers N``
"""

from __future__ import annotations

import argparse

from api.serve import NoDelayProtocol  # noqa: F401 - imported by uvicorn through its import string


def main() -> None:
    import uvicorn

    p = argparse.ArgumentParser()
    p.add_argument("app")
    p.add_argument("--factory", action="store_true")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    uvicorn.run(a.app, factory=a.factory, host="127.0.0.1", port=a.port, workers=a.workers,
                http="api.serve:NoDelayProtocol", log_level="warning", access_log=False,
                server_header=False, proxy_headers=False)


if __name__ == "__main__":
    main()
