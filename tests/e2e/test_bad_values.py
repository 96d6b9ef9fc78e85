"""Bad values at every GET and POST route the app serves, the web pages' included (schemathesis
reads only the API's OpenAPI, where the pages are not): no input is answered with a 5xx.

Routes are read from the app itself, so a route added later is probed too. For each: every path
parameter and every query parameter in turn takes each bad value (the others valid or absent);
each POST also gets bodies that are not what it reads. API calls carry a key (an auditor's for
reads, an officer's for commands); pages are asked signed in (an auditor for pages, an officer for
forms, with the session's CSRF token, so the forms' own checks are reached).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from tests.e2e.conftest import Api, World

pytestmark = pytest.mark.slow  # ~6,100 requests, ~30 s per store

BAD = ["", "x", "-1", "0", "1.5", str(2**63), str(10**30), "1e999", "NaN", "null", "true", "'; --", "%00",
       "%ED%A0%80", "a" * 600, "2019-13-45", "2019-05-01T25:00:00Z", "0001-01-01T00:00:00Z",
       "9999-12-31T23:59:59+14:00", "00000000-0000-0000-0000-000000000000", "%F0%9F%99%82", "..%2F..",
       "W10", "WyJmaWd1cmVzIiwiIl0"]  # the last two: cursors of no list, and of the figures list with no key
BODIES = [b"", b"{", b"[]", b"null", b'"x"', b"1" * 400, b'{"a":' * 200 + b"1" + b"}" * 200,
          b'{"value":{"qualifier":"exact","number":1e999},"reason":"r","protected":false}',
          b'{"name":"\\ud800","kind":"witness","language":"en","title":"t","valid_from":"2019-02-30"}']
HTML = {"Accept": "text/html"}


def routes(found: Any, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every route of the app with its full path, those of included routers too."""
    for route in found:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from routes(route.original_router.routes, prefix + route.include_context.prefix)


def _params(dependant: Any, kind: str) -> list[str]:
    found = [p.alias for p in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        found += _params(sub, kind)
    return sorted(set(found))


def _valid(world: World) -> dict[str, str]:
    return {"figure_id": world.figure, "source_id": world.public_source, "incident_id": world.incident,
            "report_id": world.public_report, "citation_id": world.public_citation, "metric": "civilians_killed",
            "size": "1", "index": "0", "kind": "report", "change": "corrections", "code": "ar",
            "term": "civilians_killed"}


def _sign_in(api: Api, role: str) -> str:
    api.client.cookies.clear()
    token = re.compile(r'name="csrf" value="([^"]+)"')
    page = api.client.get("/web/sign-in", headers=HTML)
    api.client.post("/web/sign-in", data={"key": api.keys[role], "csrf": token.search(page.text).group(1),
                                          "next": "/"}, headers=HTML, follow_redirects=False)
    return token.search(api.client.get("/", headers=HTML).text).group(1)


def test_no_bad_value_at_any_route_is_answered_with_a_5xx(api: Api, world: World) -> None:
    valid = _valid(world)
    every = [(path, route) for path, route in routes(api.client.app.routes)
             if {"GET", "POST"} & route.methods and path != "/web/sign-out"]  # which would end the session
    assert len(every) > 70  # the API's routes and the pages'
    failures: list[str] = []
    asked, seen = 0, Counter()

    def ask(method: str, url: str, **kw: Any) -> None:
        nonlocal asked
        asked += 1
        try:
            status = api.client.request(method, url, follow_redirects=False, **kw).status_code
        except Exception as error:  # noqa: BLE001 - a crash is what this looks for
            failures.append(f"{method} {url}: raised {type(error).__name__}")
            return
        seen[status] += 1
        if status >= 500:
            failures.append(f"{method} {url}: {status}")

    for role in ("auditor", "officer"):  # pages and reads as the role that sees most; forms as an officer's
        csrf = _sign_in(api, role)
        key = {"Authorization": f"Bearer {api.keys[role]}"}
        for path, route in every:
            web = path == "/" or path.startswith("/web/")
            headers = HTML if web else key
            names = _params(route.dependant, "path_params")
            queries = _params(route.dependant, "query_params")
            base = path.format(**{n: valid[n] for n in names})
            for method in sorted({"GET", "POST"} & route.methods):
                if (method == "GET") != (role == "auditor"):
                    continue
                targets = [base] + [path.format(**{**{n: valid[n] for n in names}, name: bad})
                                    for name in names for bad in BAD if bad and "%2F" not in bad]
                form = {"csrf": csrf}
                for url in targets:
                    if method == "GET":
                        ask("GET", url, headers=headers)
                    elif web:
                        ask("POST", url, headers=HTML, data={**form, "version": "x", "reason": "\x00"})
                    else:
                        ask("POST", url, headers={**key, "Content-Type": "application/json"}, content=b"{")
                for name in queries:
                    for bad in BAD:
                        ask(method, f"{base}?{quote(name)}={bad}", headers=headers,
                            **({"data": form} if web and method == "POST" else {}))
                if method == "POST":
                    for body in BODIES:
                        if web:
                            ask("POST", base, headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
                                content=b"csrf=" + csrf.encode() + b"&" + body)
                            for field in ("version", "reason", "protected", "source_id", "value", "number", "low",
                                          "high", "qualifier", "valid_from", "valid_to", "grade", "request_key"):
                                ask("POST", base, headers=HTML, data={**form, field: body.decode("latin-1")})
                        else:
                            ask("POST", base, headers={**key, "Content-Type": "application/json",
                                                       "If-Match": '"1"'}, content=body)
    assert asked > 5000
    # The probe reached the handlers' own checks and answers, not only the guards in front of them.
    assert seen[422] > asked // 2 and seen[200] > 200 and seen[401] + seen[403] < asked // 10, seen
    print(f"{asked} requests: {dict(sorted(seen.items()))}")
    assert not failures, f"{len(failures)} of {asked} requests answered 5xx:\n" + "\n".join(failures[:40])
