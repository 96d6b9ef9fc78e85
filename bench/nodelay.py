"""uvicorn with TCP_NODELAY on every accepted connection, for the HTTP benchmark.

With ``--workers N`` (N > 1) uvicorn binds the listening socket itself with ``proto=0``;
accepted sockets inherit it, and asyncio sets TCP_NODELAY only when ``proto`` is
IPPROTO_TCP. Nagle's algorithm then holds each response body until the client's delayed
ACK: every keep-alive request after the first costs ~40 ms on Linux (uvicorn issue #3149,
open). Both the API and the bare endpoint are measured through this launcher so the ratio
compares the work behind them, not that stall; the API as shipped (``api.serve``) is
measured as well and reported beside it.

``python -m bench.nodelay IMPORT_STRING [--factory] --port P --workers N``
"""

from __future__ import annotations

import argparse
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def main() -> None:
    import uvicorn

    p = argparse.ArgumentParser()
    p.add_argument("app")
    p.add_argument("--factory", action="store_true")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    uvicorn.run(a.app, factory=a.factory, host="127.0.0.1", port=a.port, workers=a.workers,
                http="bench.nodelay:NoDelayProtocol", log_level="warning", access_log=False,
                server_header=False, proxy_headers=False)


if __name__ == "__main__":
    main()
