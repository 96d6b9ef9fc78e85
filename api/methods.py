"""Which methods a path takes: OPTIONS answered, HEAD served as GET without its body, and the
``Allow`` of a 405 (api.problems) naming every method of the path.

One path is often served by several routes (``GET /incidents`` lists, ``POST /incidents``
records): the router's own 405 names only the first route it tried, so ``Allow`` is made here
from every route whose path matches.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The methods a route may declare, in the order ``Allow`` names them.
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method the request's path takes (HEAD with GET, OPTIONS with any); [] for an unknown path.

    Asked of the routes themselves, one method at a time, so included routers answer for theirs.
    """
    methods = [m for m in _METHODS
               if any(route.matches({**scope, "method": m})[0] is Match.FULL for route in routes)]
    if "GET" in methods:
        methods.insert(1, "HEAD")
    return [*methods, "OPTIONS"] if methods else []


class Methods:
    """ASGI middleware: OPTIONS and HEAD for every path the app serves."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the app's own list: routes included later are seen too

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("OPTIONS", "HEAD"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            methods = allowed(self.routes, scope)
            if methods:  # an unknown path goes on to answer 404
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"allow", ", ".join(methods).encode())]})
                await send({"type": "http.response.body", "body": b""})
                return
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
