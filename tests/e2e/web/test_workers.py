"""A browser session made on one worker holds on the others, and ends on all of them when its key is
revoked (two uvicorn workers on PostgreSQL, each request pinned to a known worker)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.bootstrap import open_ledger
from ledger.store import Store
from tests.e2e.test_server import pinned_clients, running_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
HTML = {"Accept": "text/html"}


def test_a_session_holds_across_workers_until_its_key_is_revoked(postgres_store: Store, tmp_path: Path) -> None:
    ledger = open_ledger(postgres_store)
    try:
        key, info = ledger.issue_key("test-admin", owner="reader-1", role="reader")
        with running_server(postgres_store, 2, tmp_path / "server.log") as base:
            clients = pinned_clients(base, HTML, per_worker=1, workers=2)
            (first,), (second,) = clients.values()
            try:
                form = first.get("/web/sign-in")
                csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
                signed = first.post("/web/sign-in", data={"key": key, "csrf": csrf, "next": "/"})
                assert signed.status_code == 303
                second.cookies.set("ledger_session", signed.cookies["ledger_session"])  # the other worker's
                for client in (first, second):
                    answer = client.get("/web/sources")
                    assert answer.status_code == 200 and "reader-1" in answer.text
                ledger.revoke_key("test-admin", info["key_id"], reason="left the team")
                for client in (first, second):
                    answer = client.get("/web/sources")
                    assert answer.status_code == 303 and "/web/sign-in" in answer.headers["location"]
            finally:
                for group in clients.values():
                    for client in group:
                        client.close()
    finally:
        ledger.close()
