"""Every page and download of the web app (found in the app's routes) asked with odd query strings and odd
headers, by each role, on both stores: never a 5xx; a refusal is a page to a browser; HEAD answers as GET
without a body. Query strings: each parameter repeated, empty, bare, as a group (``name[]``), huge, with
percent-escapes that are not UTF-8 (or are a lone surrogate, NUL, a bidi override), numbers past every bound.
Headers: Accept, Accept-Language with odd and private tags, If-None-Match and If-Match forms, garbage
cookies."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Api, World
from tests.e2e.web.test_page_leaks import page_routes
from tests.e2e.web.test_pages import HTML, sign_in

pytestmark = pytest.mark.slow  # ~2 min per store on a busy machine

ODD = ["", "%ff", "%c3%28", "%ed%a0%80", "%00", "x" * 20000, "9" * 40, "%d9%a1%d9%a2"]

HEADERS = [
    {"Accept": "*/*"}, {"Accept": ""}, {"Accept": "text/html;q=0, application/json"},
    {"Accept-Language": "xx-\uff83"}, {"Accept-Language": "ar;q=abc, *;q=2"}, {"Accept-Language": "a" * 5000},
    {"Accept-Language": ",,;;=,"}, {"Accept-Language": "ar-u-nu-arab"}, {"Accept-Language": "zh-Hant-TW"},
    {"Accept-Language": "i-klingon"}, {"Accept-Language": "x-private"},
    {"If-None-Match": 'W/"x", *'}, {"If-None-Match": '"' * 300}, {"If-Match": "garbage"}, {"Range": "bytes=0-1"},
    {"Cookie": "ledger_lang=%ff"}, {"Cookie": "ledger_lang=zz; ledger_session=\x7f"},
    {"Cookie": "ledger_session=" + "a" * 5000}, {"Cookie": "=;=;ledger_visit"},
]


def _concrete(path: str, world: World) -> str:
    ids = {"source_id": world.public_source, "incident_id": world.incident, "report_id": world.public_report,
           "figure_id": world.figure, "citation_id": world.public_citation, "metric": "civilians_killed",
           "index": "0", "kind": "report"}
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def test_odd_query_strings_on_every_page_answer_below_500(shared: tuple[Api, World]) -> None:
    api, world = shared
    sign_in(api, "officer")
    asked, bad = 0, []
    for path, names in page_routes(api.client.app):
        url = _concrete(path, world)
        for name in [*names, "unknown"]:
            for value in ODD:
                for query in (f"{name}={value}", f"{name}={value}&{name}={value}", name, f"{name}[]={value}"):
                    answer = api.client.get(f"{url}?{query}", headers=HTML, follow_redirects=False)
                    asked += 1
                    if answer.status_code >= 500 or (answer.status_code >= 400 and not answer.headers.get(
                            "content-type", "").startswith("text/html")):
                        bad.append((url, query[:60], answer.status_code, answer.headers.get("content-type")))
    assert asked > 4000 and bad == []


@pytest.mark.parametrize("role", ["auditor", None])
def test_odd_headers_and_methods_on_every_page_answer_below_500(shared: tuple[Api, World], role: str | None) -> None:
    api, world = shared
    if role is None:
        api.client.cookies.clear()
    else:
        sign_in(api, role)
    asked, bad = 0, []
    for path, _ in page_routes(api.client.app):
        url = _concrete(path, world)
        for headers in HEADERS:
            sent = {k: v.encode() for k, v in {**HTML, **headers}.items()}
            got = {}
            for method in ("GET", "HEAD", "OPTIONS"):
                answer = api.client.request(method, url, headers=sent, follow_redirects=False)
                got[method] = answer
                asked += 1
                if answer.status_code >= 500:
                    bad.append((role, method, url, headers, answer.status_code))
            if got["HEAD"].content or got["HEAD"].status_code != got["GET"].status_code:
                bad.append((role, "HEAD", url, headers, got["HEAD"].status_code, got["GET"].status_code))
            if got["OPTIONS"].status_code == 204 and "GET" not in got["OPTIONS"].headers.get("allow", ""):
                bad.append((role, "OPTIONS", url, headers, got["OPTIONS"].headers.get("allow")))
    assert asked > 1000 and bad == []
