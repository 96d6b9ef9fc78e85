"""Views made by an older version are refused, naming the command that rebuilds them; current ones are read.

An older store's views lack tables, columns or rows this version reads, and read wrong without
an error (sources as unknown ids, monthly counts off): docs/operations.md, Upgrading.
"""

from __future__ import annotations

import pytest

from api.bootstrap import StaleViews, create_schema, open_ledger, open_read_side, views_stale
from api.cli import main
from ledger.seed import load_case
from projections.db import Db
from projections.views_digest import digest
from projections.views_schema import VERSION
from tests.integration.projections.helpers import catch_up


@pytest.fixture
def seeded(store, monkeypatch):
    create_schema(store)
    ledger = open_ledger(store)
    load_case(ledger)
    catch_up(store, ledger)
    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    yield store, ledger
    ledger.close()


def _on_views(store, statement: str, params=()) -> None:
    db = Db(store, "views", pool_size=1)
    try:
        with db.transaction(commit=True) as cursor:
            db.run(cursor, statement, params)
    finally:
        db.close()


def test_views_this_version_made_are_read(seeded, capsys):
    store, ledger = seeded
    assert views_stale(store) is None
    reader, follower = open_read_side(store, ledger)
    reader.close(), follower.close()
    assert main(["export", "figures", "--format", "ndjson", "--out", "/dev/null"]) == 0
    assert main(["init"]) == 0 and "ledger rebuild" not in capsys.readouterr().err


def test_serve_and_export_check_the_views_once(seeded, monkeypatch, capsys):
    """One check serves each command: the read side's as it opens (several workers: one before they start)."""
    import uvicorn
    from fastapi.testclient import TestClient

    from api import bootstrap, serve

    checks, served = [], []
    real = bootstrap.views_stale
    monkeypatch.setattr(bootstrap, "views_stale", lambda *a, **k: checks.append(a) or real(*a, **k))
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    monkeypatch.setattr(serve, "frozen", lambda app: app)  # no gc.freeze() of the test process
    assert main(["serve", "--port", "8715"]) == 0 and len(checks) == 1 and len(served) == 1
    assert "serving the ledger API at http://127.0.0.1:8715/" in capsys.readouterr().out
    with TestClient(served[0].app):  # its lifespan closes what the app opened
        pass
    checks.clear()
    assert main(["export", "figures", "--format", "ndjson", "--out", "/dev/null"]) == 0 and len(checks) == 1


def test_views_made_before_the_version_was_recorded_are_refused_until_rebuilt(seeded, capsys):
    store, ledger = seeded
    before = digest(store)["sha256"]
    # As a store an older version made: no record of the views' version ...
    _on_views(store, "DROP TABLE {schema}")
    # ... and the upgrade's schema step does not pretend otherwise: the views hold events.
    assert main(["init"]) == 0
    assert "run `ledger rebuild` once before serving" in capsys.readouterr().err
    why = views_stale(store)
    assert why is not None and "older version" in why and "unrecorded" in why
    with pytest.raises(StaleViews, match="ledger rebuild"):
        open_read_side(store, ledger)  # the web app's start, and every other read side
    for command in (["serve"], ["export", "figures", "--out", "/dev/null"]):
        assert main(command) == 2
        said = capsys.readouterr()
        assert "ledger rebuild" in said.err and "serving the ledger API" not in said.out + said.err
    assert main(["rebuild", "--quiet"]) == 0
    assert views_stale(store) is None and digest(store)["sha256"] == before
    reader, follower = open_read_side(store, ledger)
    reader.close(), follower.close()


def test_views_of_another_recorded_version_are_refused(seeded):
    store, _ = seeded
    _on_views(store, "UPDATE {schema} SET version = ?", (VERSION - 1,))
    assert f"views schema {VERSION - 1}, this version reads {VERSION}" in views_stale(store)
    _on_views(store, "UPDATE {schema} SET version = ?", (VERSION + 1,))
    assert "newer version" in views_stale(store)
