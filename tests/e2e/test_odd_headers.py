"""Every operation of the API (its OpenAPI schema) asked with odd headers, on both stores: If-Match and
If-None-Match in every form, Idempotency-Key of every length and character, Accept, Accept-Language with odd
tags, garbage cookies and Authorization, odd Content-Types. Never a 5xx; every refusal RFC 9457 JSON; a
command refused for a header records nothing. Schemathesis (test_schema.py) sends headers the schema
allows; these are the ones it does not."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import Api, World
from tests.e2e.test_contract import BODIES, _concrete

ODD = {
    "If-Match": ['W/"1"', '"1", "2"', "*", '"01"', '"1 "', ' "1"', '"' + "9" * 400 + '"', '"-1"', '""', '"', "W/",
                 '"1"' * 50, "\xff", '"\u0661"', '"1", *', '"1",,', "1", "0x1"],
    "If-None-Match": ["*", 'W/"1"', '"1", W/"2"', '"' * 100, '\xff"x"', "x" * 9000, '""', ",", '"1"' + " " * 1000],
    "Idempotency-Key": ["", " ", "a", "a" * 255, "a" * 256, "a" * 10000, '"a"', '"', '""', "a b", "a,b", "\xe9", "\t",
                        "a\x7f", ":YWJj:", '"' + "a" * 254 + '"'],
    "Accept": ["", "*/*;q=abc", "text/csv", "application/x-ndjson", "text/html;q=0.5, application/json;q=0.9",
               "application/json;;;", ";", "a/b, c/d;q=2", "*/*;q=0", "text/*", "application/problem+json",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    "Accept-Language": ["", "ar-u-nu-arab", "x-private", "i-klingon", "*", "ar;q=x", "a" * 3000, ",,,", "\xe9"],
    "Cookie": ["ledger_session=\xff", "ledger_session=" + "a" * 5000, "ledger_lang=zz", "a", "=;=;",
               'ledger_session="x"'],
    "Authorization": ["Bearer", "Bearer ", "Bearer  KEY", "Basic YTpi", "bearer KEY", "Bearer \xff",
                      "Bearer " + "a" * 5000, "KEY"],
    "Content-Type": ["application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
                     "multipart/form-data", ""],
}


def test_odd_headers_on_every_operation_answer_below_500(shared: tuple[Api, World]) -> None:
    api, world = shared
    spec = api.client.get("/openapi.json").json()
    bodies = {path(world): body(world) for _, path, body, _ in BODIES}
    asked, bad = 0, []
    for template, methods in spec["paths"].items():
        url = _concrete(re.sub(r"\{term\}", "displaced", template).replace("{index}", "0"), world)
        for method in (m.upper() for m in methods):
            for name, values in ODD.items():
                for value in values:
                    headers = dict(api.headers("auditor" if template.startswith("/audit") else "officer"))
                    headers = {name: value.replace("KEY", api.keys["officer"])} if name == "Authorization" \
                        else {**headers, name: value}
                    sent = {k: v.encode() for k, v in headers.items()}
                    before = api.events() if method == "POST" and name != "Idempotency-Key" else None
                    body = json.dumps(bodies.get(url, {})).encode() if method == "POST" else None
                    answer = api.client.request(method, url, headers=sent, content=body)
                    asked += 1
                    status, kind = answer.status_code, answer.headers.get("content-type", "")
                    if status >= 500 or (status >= 400 and not kind.startswith("application/problem+json")):
                        bad.append((method, url, name, value[:30], status, kind))
                    elif before is not None and status >= 400 and api.events() != before:
                        bad.append((method, url, name, value[:30], status, "recorded"))
    assert asked > 3000 and bad == []
