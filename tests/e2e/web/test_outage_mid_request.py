"""The database lost in the middle of a form's or a download's request, at each of its calls in turn: the
answer is the 503 page with Retry-After (or what the request would have answered, when the call that
fails is one it does not need), never a 500; and the form sent again once the database is back, with the
same request key, as a browser's retry sends it, leaves the ledger as one submission leaves it.

In process, on both stores: every call to the store (the library's datastore: events, views, sessions)
is counted in the request's threads, and the k-th one fails as an unreachable PostgreSQL fails
(tests/e2e/test_outage.py does the same with a real server and a stopped cluster, between requests)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from eventsourcing import persistence
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from tests.e2e.conftest import Api, World
from tests.e2e.web.test_form_values import _forms
from tests.e2e.web.test_pages import HTML, sign_in

FORM = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}
#: The ledger's own background threads: an outage there is theirs to outlive, not a request's.
BACKGROUND = ("projection-follower", "audit-checkpointer", "audit-tree-build")
#: How far into a request the outage may come (calls to the store); past its last call it answers as usual.
CALLS = 40


@contextmanager
def outage_at(call: int, *, after: bool = False) -> Iterator[list[int]]:
    """The ``call``-th call to the store from a request's thread raises as a lost connection does; ``after``:
    once its transaction has committed, as a connection lost before the commit's answer came back."""
    count = [0]
    saved = {(kind, name): getattr(kind, name) for kind in (PostgresDatastore, SQLiteDatastore)
             for name in ("transaction", "get_connection")}

    def failing(original: Callable[..., Any]) -> Callable[..., Any]:
        def call_store(self: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.current_thread().name not in BACKGROUND:
                count[0] += 1
                if count[0] == call:
                    if not after:
                        raise persistence.OperationalError("server closed the connection unexpectedly")
                    return _lost_after(original(self, *args, **kwargs))
            return original(self, *args, **kwargs)
        return call_store

    for (kind, name), original in saved.items():
        setattr(kind, name, failing(original))
    try:
        yield count
    finally:
        for (kind, name), original in saved.items():
            setattr(kind, name, original)


@contextmanager
def _lost_after(opened: Any) -> Iterator[Any]:
    with opened as held:
        yield held
    raise persistence.OperationalError("server closed the connection unexpectedly")


def _post(api: Api, path: str, csrf: str, fields: list[tuple[str, str]]):
    return api.client.post(path, content=urlencode([("csrf", csrf), *fields]), headers=FORM, follow_redirects=False)


#: The forms that record (each sent once per outage point), by their name in test_form_values.
RECORDING = ["source", "incident", "report", "citation", "correct", "grade", "period", "define", "revise"]


@pytest.mark.parametrize("after", [False, True], ids=["lost before", "lost after the commit"])
@pytest.mark.parametrize("form", RECORDING)
def test_a_form_meeting_an_outage_answers_503_and_its_retry_records_once(shared: tuple[Api, World],
                                                                          form: str, after: bool) -> None:
    api, world = shared
    path, fields_of = _forms(world)[form]
    csrf = sign_in(api, "officer")
    before = api.events()
    first = _post(api, path, csrf, [*_fields(api, world, form, fields_of(api)), ("request_key", str(uuid.uuid4()))])
    assert first.status_code == 303, first.text[-500:]
    one_submission = api.events() - before
    failed = 0
    for call in range(1, CALLS + 1):
        fields = [*_fields(api, world, form, fields_of(api)), ("request_key", str(uuid.uuid4()))]
        before = api.events()
        with outage_at(call, after=after) as calls:
            answer = _post(api, path, csrf, fields)
        assert answer.status_code in (303, 503), (form, call, answer.status_code, answer.text[-500:])
        if answer.status_code == 503:
            assert answer.headers["content-type"].startswith("text/html"), (form, call, answer.headers)
            failed += 1
            assert int(answer.headers["retry-after"]) > 0 and "cannot be reached" in answer.text, (form, call)
            again = _post(api, path, csrf, fields)  # the officer's retry: the same form, the same key
            assert again.status_code == 303, (form, call, again.status_code, again.text[-500:])
        assert api.events() - before == one_submission, (form, call, answer.status_code)
        if calls[0] < call:  # the request made fewer calls: every point of it has failed once
            break
    assert failed >= 1, (form, failed)


def _fields(api: Api, world: World, form: str, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A form each submission of which records a change: a new code for a term, a new value for a correction,
    another grade, another period, each from the version the record has now."""
    unique = uuid.uuid4().int
    now = {"period": f"/incidents/{world.incident}", "revise": "/vocabulary/displaced"}
    changed = {"define": {"code": f"v{unique % 10**8}"}, "correct": {"value.number": str(200 + unique % 10**6)},
               "grade": {"grade": next(g for g in ("weak", "fair") if g != api.get(f"/figures/{world.figure}").json()["grade"])},
               "period": {"valid_from": f"2019-04-{1 + unique % 25:02d}"},
               "revise": {"definition": f"d {unique}"}}.get(form, {})
    if form in now:
        changed["version"] = api.get(now[form]).headers["etag"].strip('"')
    return [(k, changed.get(k, v)) for k, v in fields]


DOWNLOADS = ["/web/tallies/civilians_killed/download", "/web/tallies/civilians_killed/history/download",
             "/web/tallies/civilians_killed/months/download", "/web/figures/download", "/web/checks/download",
             "/web/incidents/download", "/web/sources/download", "/web/figures/{figure}/history/download",
             "/web/figures/{figure}/spread/download", "/web/reports/{report}/figures/download",
             "/web/reports/{report}/citations/download", "/web/sources/{source}/reports/download"]


@pytest.mark.parametrize("path", DOWNLOADS)
@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_a_download_meeting_an_outage_answers_503_or_is_cut_short(shared: tuple[Api, World], path: str,
                                                                   format_: str) -> None:
    api, world = shared
    url = path.format(figure=world.figure, report=world.public_report, source=world.public_source)
    sign_in(api, "reader")
    whole = api.client.get(url, params={"format": format_}, headers=HTML)
    assert whole.status_code == 200
    refused = 0
    for call in range(1, CALLS + 1):
        with outage_at(call) as calls:
            answer = api.client.get(url, params={"format": format_}, headers=HTML)
        # Before the first byte: the 503 page; after it, a file cut short (its last chunk never sent),
        # which a client cannot take for the whole: never a 500, never a whole-looking file.
        assert answer.status_code in (200, 503), (url, call, answer.status_code, answer.text[-300:])
        if answer.status_code == 503:
            refused += 1
            assert int(answer.headers["retry-after"]) > 0, (url, call)
            assert answer.headers["content-type"].startswith("text/html"), (url, call)
        if calls[0] < call:
            assert answer.status_code == 200 and answer.content == whole.content or format_ == "xlsx"
            break
    assert refused >= 3, (url, refused)  # the session's, the head's and the rows' reads each met it


def _import_file(world: World, reports: int) -> bytes:
    from tests.integration.test_imports import csv_bytes

    header = ["source_id", "report_title", "language", "incident_id", "metric", "qualifier", "number"]
    unique = uuid.uuid4().hex[:6]
    return csv_bytes([[world.public_source, f"Upload {unique} {n}", "en", world.incident, "civilians_detained",
                       "exact", n + 1] for n in range(reports)], header)


@pytest.mark.parametrize("progress", [False, True], ids=["page", "progress lines"])
def test_an_upload_meeting_an_outage_answers_503_and_its_retry_records_once(shared: tuple[Api, World],
                                                                             progress: bool,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    # With progress lines the status has gone out before the rows are filed: an outage then was a broken
    # stream (no last line, so imports.js sent the whole file again at once) logged as a crash.
    import orjson

    api, world = shared
    csrf = sign_in(api, "officer")
    accept = {"Accept": "application/x-ndjson"} if progress else HTML

    def upload(data: bytes):
        return api.client.post("/web/imports", data={"csrf": csrf}, files={"file": ("rows.csv", data)},
                               headers=accept)

    def status(answer: Any) -> tuple[int, str]:
        if not progress or not answer.headers["content-type"].startswith("application/x-ndjson"):
            return answer.status_code, answer.text  # refused before the upload was read: the page
        last = orjson.loads(answer.content.splitlines()[-1])
        return (last["status"], last["html"]) if last["stage"] == "done" else (answer.status_code, "")

    before = api.events()
    assert status(upload(_import_file(world, 3)))[0] == 200
    one_upload = api.events() - before
    failed = streamed = 0
    caplog.set_level(logging.WARNING)
    for call in range(1, CALLS + 1):
        data = _import_file(world, 3)
        before = api.events()
        with outage_at(call) as calls:
            answer = upload(data)
        code, text = status(answer)
        assert code in (200, 503), (call, progress, answer.status_code, answer.content[-400:])
        if code == 503:
            failed += 1
            streamed += answer.status_code == 200
            assert "cannot be reached" in text, (call, progress, text[-300:])
            assert status(upload(data))[0] == 200, call  # the officer's retry: the same file
        assert api.events() - before == one_upload, (call, progress, code)
        if calls[0] < call:
            break
    assert failed >= 2 and (streamed >= 1 or not progress), (failed, streamed)
    assert not [r for r in caplog.records if "unhandled error" in r.getMessage()]  # an outage, not a crash
