"""An export whose reading fails part-way (the database gone after the first rows) is cut short:
the client sees an incomplete transfer, never a complete-looking file, and the log says the
failure's type and frames only, never its message (ledger/failure_lines.py)."""

from __future__ import annotations

import http.client
import logging
import threading
import time

import psycopg
import pytest
import uvicorn

from api.app import create_app
from api.exports import negotiate
from tests.e2e.conftest import MARK
from tests.e2e.test_server import free_port


def test_an_export_broken_off_part_way_is_incomplete_and_logged_without_its_message(store, monkeypatch, caplog):
    app = create_app(store)
    key = app.state.ledger.issue_key("test-admin", owner="officer-1", role="officer")[0]
    made = negotiate.write

    def breaking(*args, **kwargs):
        yield from list(made(*args, **kwargs))[:1]  # the first chunk goes out with the 200
        raise psycopg.OperationalError(f"server closed the connection while reading {MARK}'s words")

    monkeypatch.setattr(negotiate, "write", breaking)
    port = free_port()
    # No log config of uvicorn's own: its records reach the root logger, where caplog reads them.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.05)
        with caplog.at_level(logging.INFO):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/figures?format=csv", headers={"Authorization": f"Bearer {key}"})
            response = connection.getresponse()
            assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
            with pytest.raises(http.client.IncompleteRead):
                response.read()
            time.sleep(0.5)  # the server's own line on the connection it closed
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    told = [(r.name, r.getMessage(), r.exc_text or "") for r in caplog.records]
    assert any(message.startswith("an export broke off part-way: OperationalError at ") for _, message, _ in told), told
    assert not any(MARK in message or MARK in text for _, message, text in told), told
    assert not any(r.exc_info for r in caplog.records), told
