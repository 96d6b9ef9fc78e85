"""What a log line may say of a request's path: the template of its route, never the path.

A path can hold a protected source's id (``/sources/{source_id}``), and log lines reach
operators and log stores that the readers' rules do not govern. The access log
(``api/serve.py``) and the lines an outage or a crash writes (``api/problems.py``) name the
route this way. A path that no route matches is named ``-``.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

from starlette.routing import Mount
from starlette.types import Scope

_TEMPLATES: weakref.WeakKeyDictionary[Any, list[tuple[str, re.Pattern[str]]]] = weakref.WeakKeyDictionary()


def template(scope: Scope, app: Any = None) -> str:
    """The route's template for this request (``app``: the app to match against, else the scope's)."""
    route = scope.get("route")  # set by the router; absent before routing, or when a kept answer skipped it
    if route is not None:
        return str(route.path)
    app = app if app is not None else scope.get("app")
    if app is None:
        return "-"
    templates = _TEMPLATES.get(app)
    if templates is None:
        templates = _TEMPLATES[app] = _templates(app)
    path = scope.get("path", "")
    return next((name for name, pattern in templates if pattern.fullmatch(path)), "-")


def _templates(app: Any) -> list[tuple[str, re.Pattern[str]]]:
    """The app's path templates as patterns, literal ones first (``/checkpoints/latest`` before ``/{size}``)."""
    paths = set(app.openapi()["paths"]) if hasattr(app, "openapi") else set()
    paths |= _paths(getattr(app, "routes", ()))
    ordered = sorted(paths, key=lambda name: (name.count("{"), name))
    return [(name, re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(name)))) for name in ordered]


def _paths(routes: Any, prefix: str = "") -> set[str]:
    """The path templates of these routes, of the routers included among them too: FastAPI (0.165
    here) keeps an included router whole rather than copying its routes up, so the pages' routes,
    which are not in the OpenAPI schema, were found nowhere and named ``-``. A mount (the pages'
    static files) is named by its path and ``{path}``."""
    found: set[str] = set()
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            found.add(prefix + path + ("/{path}" if isinstance(route, Mount) else ""))
        included = getattr(route, "original_router", None)
        if included is not None:
            more = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            found |= _paths(included.routes, prefix + more)
    return found
