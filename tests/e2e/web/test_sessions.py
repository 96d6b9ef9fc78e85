"""The web's sessions are kept in the ledger's store (api/web/session_table.py), on both stores: a
sign-out ends a session for every worker, a copied cookie replayed after it is refused, expiry is
the server's, the table holds neither the token nor the key, and a session is no event of the log."""

from __future__ import annotations

import hashlib
import time

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.web import session as web_session
from tests.e2e.conftest import count_events
from tests.e2e.web.test_pages import HTML, _csrf, sign_in


def _refused(client: TestClient) -> bool:
    answer = client.get("/web/incidents", headers=HTML, follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 303 and answer.headers["location"].startswith("/web/sign-in?next=")


def _sign_out(client: TestClient) -> None:
    csrf = _csrf(client.get("/", headers=HTML).text)
    answer = client.post("/web/sign-out", data={"csrf": csrf}, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/web/sign-in"


def _rows(api) -> list[tuple]:
    table = api.client.app.state.web_sessions.table
    with table.db.snapshot() as cursor:
        return table.db.all(cursor, "SELECT token_hash, key_id, created, expires, last_seen FROM {sessions}")


def test_a_cookie_replayed_after_signing_out_gets_the_sign_in_page(api):
    sign_in(api, "officer")
    cookie = api.client.cookies.get(web_session.SESSION_COOKIE)
    assert not _refused(api.client)
    _sign_out(api.client)
    api.client.cookies.set(web_session.SESSION_COOKIE, cookie)  # a copy kept from before
    assert _refused(api.client)
    again = api.client.get("/", headers=HTML)
    assert again.status_code == 200 and 'action="/web/sign-in"' in again.text
    assert _rows(api) == []


def test_two_workers_share_a_session_and_a_sign_out_on_one_ends_it_on_the_other(api, store):
    with TestClient(create_app(store)) as other:
        sign_in(api, "reader")
        other.cookies.set(web_session.SESSION_COOKIE, api.client.cookies.get(web_session.SESSION_COOKIE))
        assert not _refused(other) and "reader-1" in other.get("/web/sources", headers=HTML).text
        _sign_out(api.client)
        assert _refused(other)


def test_an_expired_session_is_refused_whatever_its_cookie_says(api):
    sign_in(api, "reader")
    assert not _refused(api.client)
    table = api.client.app.state.web_sessions.table
    with table.db.datastore.transaction(commit=True) as cursor:
        table.db.run(cursor, "UPDATE {sessions} SET expires = ?", (int(time.time()) - 1,))
    assert _refused(api.client)
    # The next sign-in clears the expired row away (nothing runs on a timer for it).
    sign_in(api, "reader")
    assert len(_rows(api)) == 1


def test_last_seen_is_written_once_it_is_old_not_at_every_request(api, monkeypatch):
    sign_in(api, "reader")
    ((*_, created, _, seen),) = _rows(api)
    assert not _refused(api.client) and _rows(api)[0][-1] == seen == created
    later = time.time() + web_session.SEEN_EVERY + 1
    monkeypatch.setattr(web_session.time, "time", lambda: later)
    assert not _refused(api.client)
    assert _rows(api)[0][-1] == int(later)


def test_the_table_holds_the_tokens_hash_never_the_token_or_the_key(api):
    sign_in(api, "auditor")
    token = api.client.cookies.get(web_session.SESSION_COOKIE)
    ((token_hash, key_id, created, expires, last_seen),) = _rows(api)
    assert bytes(token_hash) == hashlib.sha256(token.encode()).digest()
    assert key_id == str(api.ledger.authenticate(api.keys["auditor"]).id)
    assert expires - created == web_session.SESSION_SECONDS and last_seen == created
    stored = repr(_rows(api))
    for secret in (token, api.keys["auditor"]):
        assert secret not in stored


def test_a_session_is_no_event_and_nothing_of_it_reaches_the_audit_log(api):
    trail = api.client.app.state.audit
    trail.catch_up()
    events, size, logged = count_events(api.ledger), trail.size(), trail.log(limit=100)
    sign_in(api, "officer")
    assert len(_rows(api)) == 1  # the sign-in is a row of the session table ...
    _sign_out(api.client)
    trail.catch_up()
    assert count_events(api.ledger) == events and trail.size() == size  # ... and no event, no leaf
    assert trail.log(limit=100) == logged


def test_an_outage_of_the_store_answers_the_problem_page_not_a_crash(api, monkeypatch):
    sign_in(api, "officer")
    table = api.client.app.state.web_sessions.table

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(table.db, "read_at_once", unreachable)
    monkeypatch.setattr(table.db.datastore, "transaction", unreachable)
    page = api.client.get("/web/incidents", headers=HTML, follow_redirects=False)
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html"), page.text
    assert page.headers["retry-after"] and "cannot be reached" in page.text
    form = api.client.get("/web/sign-in", headers=HTML)
    signing = api.client.post("/web/sign-in", data={"key": api.keys["reader"], "csrf": _csrf(form.text), "next": "/"},
                              headers=HTML, follow_redirects=False)
    assert signing.status_code == 503 and "cannot be reached" in signing.text


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cookie=st.one_of(st.text(max_size=80), st.from_regex(r"[A-Za-z0-9_-]{43}", fullmatch=True)))
def test_no_cookie_but_an_issued_one_opens_a_session(api, cookie):
    assert api.client.app.state.web_sessions.check(api.ledger, cookie) is None


def test_signing_in_again_ends_the_session_the_browser_held(api):
    sign_in(api, "reader")
    first = api.client.cookies.get(web_session.SESSION_COOKIE)
    page = api.client.get("/web/sign-in", headers=HTML)  # the same browser signs in with another key
    answer = api.client.post("/web/sign-in", data={"key": api.keys["officer"], "csrf": _csrf(page.text), "next": "/"},
                             headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert api.client.cookies.get(web_session.SESSION_COOKIE) != first and len(_rows(api)) == 1
    api.client.cookies.set(web_session.SESSION_COOKIE, first)
    assert _refused(api.client)


@pytest.mark.parametrize("sent", ["é", "\ufffd" * 43, "ilk_\u0660"])
def test_a_csrf_value_of_any_characters_is_refused_not_a_crash(api, sent):
    sign_in(api, "officer")
    for path in ("/web/sign-out", "/web/new/source"):
        answer = api.client.post(path, data={"csrf": sent, "name": "x"}, headers=HTML, follow_redirects=False)
        assert answer.status_code == 403, (path, answer.status_code)


def test_a_sign_out_is_committed_to_disk_as_the_ledgers_own_writes_are(api, monkeypatch):
    """The views' connections relax the flush to disk (a power cut may undo their last commits, which
    the follower applies again); a session is no view, so an undone sign-out would revive a copied cookie."""
    sign_in(api, "reader")
    table = api.client.app.state.web_sessions.table
    db, run, seen = table.db, table.db.run, []

    def durability_then_run(cursor, text, params=()):
        cursor.execute("PRAGMA synchronous" if db.kind == "sqlite" else "SHOW synchronous_commit")
        row = cursor.fetchone()
        seen.append(str(next(iter(row.values())) if isinstance(row, dict) else row[0]))
        return run(cursor, text, params)

    monkeypatch.setattr(db, "run", durability_then_run)
    _sign_out(api.client)
    assert seen and set(seen) == {"2" if db.kind == "sqlite" else "on"}, seen  # FULL / on


def test_a_form_made_on_one_host_is_accepted_by_another_host_of_the_store(api, store, tmp_path, monkeypatch):
    """Hosts behind one address share the store, not their files: the CSRF secret is kept in the
    store, so a form one host made is taken by another whose own key folder holds no secret."""
    sign_in(api, "officer")
    made_here = _csrf(api.client.get("/", headers=HTML).text)
    monkeypatch.delenv(web_session.SECRET_ENV, raising=False)
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(tmp_path / "elsewhere" / "signing-key.pem"))
    with TestClient(create_app(store)) as other:
        other.cookies.set(web_session.SESSION_COOKIE, api.client.cookies.get(web_session.SESSION_COOKIE))
        answer = other.post("/web/sign-out", data={"csrf": made_here}, headers=HTML, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/web/sign-in", answer.text[:300]
    assert not (tmp_path / "elsewhere" / web_session.SECRET_FILE).exists()
    assert _refused(api.client)  # signed out on the first host too: one session
