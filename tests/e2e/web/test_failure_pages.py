"""An outage and a crash reach a browser as the web's error page (docs/web.md, "Errors"), with the
API's status and words and an outage's Retry-After; a JSON client keeps its problem."""

from __future__ import annotations

import psycopg
import pytest

from tests.e2e.web.test_pages import HTML, sign_in


@pytest.mark.parametrize("failure, status", [(psycopg.OperationalError("connection refused zqx7741"), 503),
                                             (RuntimeError("stored words zqx7741"), 500)])
def test_an_outage_or_a_crash_is_a_page_to_a_browser(api, monkeypatch, failure, status):
    sign_in(api, "officer")

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(api.client.app.state.reader, "incidents", fail)
    monkeypatch.setattr(api.client.app.state.reader, "tally_history_latest", fail)
    for path in ("/", "/web/tallies/civilians_killed"):
        answer = api.client.get(path, headers=HTML)
        assert answer.status_code == status, (path, answer.status_code, answer.text[:200])
        assert answer.headers["content-type"].startswith("text/html"), (path, answer.headers)
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        assert 'role="alert">' in answer.text and "zqx7741" not in answer.text
        if status == 503:
            assert int(answer.headers["retry-after"]) > 0
            assert "cannot be reached" in answer.text
    api.client.cookies.clear()
    problem = api.client.get("/incidents", headers=api.headers())
    assert problem.status_code == status and problem.headers["content-type"].startswith("application/problem+json")
