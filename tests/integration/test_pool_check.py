"""Pooled PostgreSQL connections are checked before use only after they sat idle (ledger/store.py):
a connection that a database restart could have broken is still replaced before a request meets it,
and one that worked a moment ago costs no extra round trip."""

from __future__ import annotations

import time

import pytest
from psycopg_pool import ConnectionPool

from ledger import store as store_module
from ledger.store import Store
from projections.db import Db
from tests.conftest import postgres_url_or_skip

pytestmark = pytest.mark.postgres


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every pre-use check the pools made (psycopg_pool's own check, counted)."""
    made: list[int] = []
    original = ConnectionPool.check_connection

    def counted(conn) -> None:  # noqa: ANN001
        made.append(conn.info.backend_pid)
        original(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    monkeypatch.setattr(store_module, "FRESH_SECONDS", 0.3)
    # Time for the pool to replace every broken connection (a check that fails backs off before the next).
    monkeypatch.setenv("POSTGRES_CONNECT_TIMEOUT", "10")
    return made


def _db() -> Db:
    return Db(Store(postgres_url_or_skip()), "views", pool_size=1)


def _pid(db: Db) -> int:
    with db.datastore.get_connection() as conn:
        return conn.execute("SELECT pg_backend_pid()").fetchone()["pg_backend_pid"]


def test_a_connection_handed_back_a_moment_ago_is_not_checked_again(checks: list[int]) -> None:
    db = _db()
    try:
        used = [_pid(db) for _ in range(6)]
        # Each connection is checked on its first use, never again while it keeps being used.
        assert sorted(checks) == sorted(set(used))
    finally:
        db.close()


def test_a_connection_broken_while_idle_is_replaced_before_use(checks: list[int]) -> None:
    db = _db()
    try:
        pooled = {_pid(db) for _ in range(4)}
        with Store(postgres_url_or_skip()).connect_postgres() as admin:
            for pid in pooled:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.4)                   # idle past FRESH_SECONDS: as across a database restart
        checks.clear()
        now = _pid(db)                    # checked, found broken, replaced: no error reaches the caller
        assert now not in pooled
        # The one handed out was checked before use. Whether the broken one was checked first, or
        # the pool had already dropped it, depends on when the driver read the server's goodbye.
        assert now in checks
    finally:
        db.close()
