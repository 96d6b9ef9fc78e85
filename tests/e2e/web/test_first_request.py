"""A server's first page request finds everything made that a first request used to make:
its routes built, its templates compiled, its catalogues and CLDR patterns loaded
(api/serve.py ``ready``, api/app.py ``warm``; at 1M events a page's first request after start
cost 2-5 times its next, docs/performance.md).

Each case starts as a fresh process would (the templates' cache and the languages' caches
emptied) and counts, during one first request, the templates compiled, the catalogues read,
the patterns looked up and the routes FastAPI built. The same count on an app served without
the warm-up must find each of them: that is what shows the counters see the work at all."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import fastapi.routing
import pytest

from api import serve
from api.app import create_app
from api.web import i18n, render
from api.web.session import SESSION_COOKIE

LANGUAGE_CACHES = (i18n._translations, i18n._direction, i18n._groups, i18n._medium)


def _counting(calls: list[Any], real: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[:2])
        return real(*args, **kwargs)

    return counted


def _first_page(store: Any, monkeypatch: pytest.MonkeyPatch, *, warmed: bool) -> dict[str, int]:
    """What an app's first page (the dashboard in Arabic, signed in) made: templates compiled,
    catalogues read, language patterns found, routes built."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    render.templates.cache.clear()
    for cache in LANGUAGE_CACHES:
        cache.cache_clear()
    app = create_app(store)
    access = app.state.ledger.authenticate(app.state.ledger.issue_key("t", owner="a-1", role="auditor")[0])
    token, _ = app.state.web_sessions.issue(access)
    monkeypatch.setattr(serve, "frozen", lambda served: served)  # no gc.freeze() of the test process
    served = serve.ready(app) if warmed else serve.RouteLog(app)
    compiled: list[Any] = []
    read: list[Any] = []
    built: list[Any] = []
    monkeypatch.setattr(render.templates.loader, "load", _counting(compiled, render.templates.loader.load))
    monkeypatch.setattr(i18n, "read_po", _counting(read, i18n.read_po))
    monkeypatch.setattr(fastapi.routing, "get_dependant", _counting(built, fastapi.routing.get_dependant))
    with TestClient(served) as client:
        client.cookies.set(SESSION_COOKIE, token)
        client.cookies.set(i18n.COOKIE, "ar")
        found = [cache.cache_info().misses for cache in LANGUAGE_CACHES]
        answer = client.get("/", headers={"Accept": "text/html"})
        looked_up = sum(cache.cache_info().misses for cache in LANGUAGE_CACHES) - sum(found)
    assert answer.status_code == 200 and 'dir="rtl"' in answer.text, answer.text[:300]
    return {"compiled": len(compiled), "read": len(read), "looked_up": looked_up, "built": len(built)}


def test_a_served_apps_first_page_compiles_reads_and_builds_nothing(store, monkeypatch) -> None:
    assert _first_page(store, monkeypatch, warmed=True) == {"compiled": 0, "read": 0, "looked_up": 0, "built": 0}


def test_without_the_warm_up_the_first_page_makes_them_all(store, monkeypatch) -> None:
    made = _first_page(store, monkeypatch, warmed=False)
    assert made["compiled"] >= 3 and made["read"] == 1 and made["looked_up"] >= 3 and made["built"] >= 10, made
