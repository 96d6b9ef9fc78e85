"""Officers' forms sent at once to a real server (two uvicorn workers on PostgreSQL, each browser pinned to
a worker): several officers deciding from one version, one wins and every other is told (the 412 page), no
update lost; one officer's form sent twice at once on both workers (a double click, a retry racing the
first), recorded once; one file uploaded by two officers at once, its rows filed once."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from api.bootstrap import open_ledger
from ledger.incident import Incident
from ledger.store import Store
from tests.e2e.conftest import build_world, count_events
from tests.e2e.test_server import all_at_once, pinned_clients, running_server
from tests.e2e.web.test_outage_mid_request import _import_file

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
HTML = {"Accept": "text/html"}


def _signed_in(client: httpx.Client, key: str) -> str:
    form = client.get("/web/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert client.post("/web/sign-in", data={"key": key, "csrf": csrf, "next": "/"}).status_code == 303
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def test_forms_sent_at_once_lose_no_update_and_record_once(postgres_store: Store, tmp_path: Path) -> None:
    ledger = open_ledger(postgres_store)
    try:
        world = build_world(ledger)
        keys = [ledger.issue_key("test-admin", owner=f"officer-{i}", role="officer")[0] for i in range(4)]
        with running_server(postgres_store, 2, tmp_path / "server.log") as base:
            groups = pinned_clients(base, HTML, per_worker=2, workers=2)
            browsers = [client for group in zip(*groups.values()) for client in group]  # workers in turn
            try:
                tokens = [_signed_in(browser, key) for browser, key in zip(browsers, keys)]
                figure, incident = world.figure, world.incident
                forms = [
                    (f"/web/figures/{figure}/corrections", lambda i, v: {
                        "version": v, "value.qualifier": "exact", "value.number": str(200 + i), "reason": f"list {i}"},
                     lambda: ledger.figure(figure).version),
                    (f"/web/figures/{figure}/grades", lambda i, v: {
                        "version": v, "grade": ["weak", "fair", "contested", "confirmed"][i], "reason": f"r {i}"},
                     lambda: ledger.figure(figure).version),
                    (f"/web/incidents/{incident}/period-revisions", lambda i, v: {
                        "version": v, "valid_from": f"2019-04-{10 + i}", "reason": f"r {i}"},
                     lambda: ledger.load(Incident, incident).version),
                    ("/web/vocabulary/revisions", lambda i, v: {
                        "term": "displaced", "version": v, "definition": f"definition {i}", "reason": f"r {i}"},
                     lambda: ledger.terms.terms(reload=True)["displaced"]["version"]),
                ]
                for path, fields, version in forms:
                    read = version()
                    answers = all_at_once([
                        (lambda b=b, t=t, i=i: b.post(path, data={"csrf": t, "request_key": f"{path}-{i}",
                                                                  **fields(i, str(read))}))
                        for i, (b, t) in enumerate(zip(browsers, tokens))])
                    statuses = sorted(a.status_code for a in answers)
                    assert statuses == [303, 412, 412, 412], (path, statuses)
                    assert version() == read + 1, path  # one change, from the version all four read
                    for refused in (a for a in answers if a.status_code == 412):
                        assert refused.headers["content-type"].startswith("text/html") and "<form" in refused.text

                # One officer's form sent twice at once, one copy on each worker: one record.
                one, other = groups.values()
                twins = [one[0], other[0]]
                token = {id(b): t for b, t in zip(browsers, tokens)}
                other[0].cookies = one[0].cookies  # the same browser's session, on the other worker
                token[id(other[0])] = token[id(one[0])]
                before = count_events(ledger)
                alone = one[0].post(f"/web/figures/{figure}/corrections", data={
                    "csrf": token[id(one[0])], "version": str(ledger.figure(figure).version),
                    "value.qualifier": "exact", "value.number": "299", "reason": "once", "request_key": "once"})
                assert alone.status_code == 303
                one_submission = count_events(ledger) - before  # the figure's change and its request key's receipt
                for n in range(3):
                    read = ledger.figure(figure).version
                    before = count_events(ledger)
                    sent = {"version": str(read), "value.qualifier": "exact", "value.number": str(300 + n),
                            "reason": "twice", "request_key": f"twice-{n}"}
                    answers = all_at_once([lambda b=b: b.post(f"/web/figures/{figure}/corrections",
                                                              data={"csrf": token[id(b)], **sent})
                                           for b in twins])
                    assert [a.status_code for a in answers] == [303, 303], [a.text[-300:] for a in answers]
                    assert ledger.figure(figure).version == read + 1
                    assert count_events(ledger) - before == one_submission

                # Two officers on two workers uploading one file at once: its rows filed once.
                def upload(browser: httpx.Client, data: bytes) -> httpx.Response:
                    return browser.post("/web/imports", data={"csrf": token[id(browser)]},
                                        files={"file": ("rows.csv", data)})

                before = count_events(ledger)
                assert upload(browsers[0], _import_file(world, 3)).status_code == 200
                one_import = count_events(ledger) - before
                for _ in range(2):
                    data, before = _import_file(world, 3), count_events(ledger)
                    answers = all_at_once([lambda b=b: upload(b, data) for b in (one[1], other[1])])
                    assert [a.status_code for a in answers] == [200, 200], [a.text[-300:] for a in answers]
                    assert count_events(ledger) - before == one_import
            finally:
                for group in groups.values():
                    for client in group:
                        client.close()
    finally:
        ledger.close()
