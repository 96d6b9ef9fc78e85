"""The supersede, retract and grade forms on a figure's page (their evidence pickers), and the session's expiry and its Secure
cookie behind TLS, through the app in-process (no browser)."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from api.web import session as web_session
from tests.e2e.web.test_pages import HTML, _csrf, _history_table, sign_in


def _change(api, world, change: str, csrf: str, **fields: str):
    version = str(api.ledger.figure(world.figure).version)
    return api.client.post(f"/web/figures/{world.figure}/{change}", headers=HTML, follow_redirects=False,
                           data={"csrf": csrf, "request_key": f"{change}-{version}", "version": version, **fields})


def test_the_evidence_pickers_offer_the_figures_citations_but_not_a_protected_sources(api, world):
    sign_in(api, "officer")
    text = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    for picker in ("ev", "sev", "gev", "rev"):  # the correction's, the supersession's, the grade's, the retraction's
        assert f'id="{picker}-{world.public_citation}"' in text
    assert world.protected_citation not in text


def test_a_supersession_needs_its_reason_and_shows_in_the_figures_history(api, world):
    csrf = sign_in(api, "officer")
    fields = {"source_id": world.public_source, "report_id": world.public_report, "value.qualifier": "at_least",
              "value.number": "115", "evidence": world.public_citation}
    events = api.events()
    refused = _change(api, world, "supersessions", csrf, **fields)
    assert refused.status_code == 422
    assert re.search(r'id="err-s-reason">[^<]*required', refused.text, re.IGNORECASE), refused.text[-3000:]
    assert 'aria-describedby="err-s-reason"' in refused.text  # the field points at its error
    picked = f'id="sev-{world.public_citation}" name="evidence" value="{world.public_citation}" checked'
    assert picked in refused.text  # the evidence picked stays picked
    assert api.events() == events
    version = api.ledger.figure(world.figure).version
    done = _change(api, world, "supersessions", csrf, **fields, reason="SNHR's later count replaces the others")
    assert done.status_code == 303, done.text[-3000:]
    figure = api.ledger.figure(world.figure)
    assert figure.version == version + 1 and figure.value.as_dict()["number"] == 115
    history = _history_table(api.client.get(done.headers["location"], headers=HTML).text)
    assert "SNHR&#39;s later count replaces the others" in history
    assert "at least 115" in history and "supersede" in history.lower()
    assert f"/web/citations/{world.public_citation}" in history  # the evidence picked


def test_a_retraction_needs_its_reason_and_shows_in_the_figures_history(api, world):
    csrf = sign_in(api, "officer")
    events = api.events()
    refused = _change(api, world, "retractions", csrf)
    assert refused.status_code == 422
    assert re.search(r'id="err-r-reason">[^<]*required', refused.text, re.IGNORECASE), refused.text[-3000:]
    assert api.events() == events
    version = api.ledger.figure(world.figure).version
    done = _change(api, world, "retractions", csrf, reason="the report was withdrawn by its authors",
                   evidence=world.public_citation)
    assert done.status_code == 303, done.text[-3000:]
    assert api.ledger.figure(world.figure).version == version + 1
    history = _history_table(api.client.get(done.headers["location"], headers=HTML).text)
    assert "the report was withdrawn by its authors" in history and "retract" in history.lower()
    assert f"/web/citations/{world.public_citation}" in history  # the evidence picked


def test_a_grade_keeps_its_choices_when_refused_and_shows_its_evidence_in_the_history(api, world):
    csrf = sign_in(api, "officer")
    api.ledger.withdraw_citation("seed-officer", world.protected_citation, reason="the page was altered")
    events = api.events()
    refused = _change(api, world, "grades", csrf, grade="contested", reason="the lists disagree",
                      evidence=world.protected_citation)  # withdrawn since the page was made
    assert refused.status_code == 422
    assert re.search(r'id="err-g-evidence">[^<]*withdrawn', refused.text), refused.text[-3000:]
    assert '<option value="contested" selected>' in refused.text  # the grade chosen stays chosen
    assert api.events() == events
    done = _change(api, world, "grades", csrf, grade="contested", reason="the lists disagree",
                   evidence=world.public_citation)
    assert done.status_code == 303, done.text[-3000:]
    figure = api.ledger.figure(world.figure)
    assert figure.grade == "contested"
    history = _history_table(api.client.get(done.headers["location"], headers=HTML).text)
    assert "the lists disagree" in history and f"/web/citations/{world.public_citation}" in history
    sign_in(api, "auditor")
    audit = api.client.get(f"/web/audit?figure_id={world.figure}", headers=HTML).text
    row = next(r for r in audit.split("<tr><td>")[1:] if "<code>Figure.Regraded</code>" in r)  # a row, not the kind filter
    assert "the lists disagree" in row and f"/web/citations/{world.public_citation}" in row


def test_an_expired_session_asks_to_sign_in_again(api, monkeypatch):
    sign_in(api, "reader")
    assert api.client.get("/web/incidents", headers=HTML, follow_redirects=False).status_code == 200
    later = time.time() + web_session.SESSION_SECONDS + 1
    monkeypatch.setattr(web_session.time, "time", lambda: later)
    answer = api.client.get("/web/incidents", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/web/sign-in?next=")


def _sign_in_cookies(client: TestClient, key: str) -> list[str]:
    """The Set-Cookie headers of a sign-in: the visitor cookie's and the session's."""
    page = client.get("/web/sign-in", headers=HTML)
    answer = client.post("/web/sign-in", data={"key": key, "csrf": _csrf(page.text), "next": "/"},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return page.headers.get_list("set-cookie") + answer.headers.get_list("set-cookie")


def test_the_cookies_are_secure_over_https_only(api):
    app = api.client.app
    with TestClient(app, base_url="https://testserver") as tls, TestClient(app) as plain:
        secure = _sign_in_cookies(tls, api.keys["reader"])
        assert tls.get("/web/incidents", headers=HTML, follow_redirects=False).status_code == 200
        clear = _sign_in_cookies(plain, api.keys["reader"])
    for cookies, want in ((secure, True), (clear, False)):
        names = {c.split("=")[0] for c in cookies}
        assert {web_session.SESSION_COOKIE, web_session.VISIT_COOKIE} <= names, cookies
        for cookie in cookies:
            flags = {part.strip().lower() for part in cookie.split(";")[1:]}
            assert ("secure" in flags) is want and "httponly" in flags and "samesite=strict" in flags, cookie
