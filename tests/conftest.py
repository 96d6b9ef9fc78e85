"""Fixtures shared by every layer of tests.

``store`` runs a test once on SQLite (a fresh file) and once on PostgreSQL (a fresh schema in
the database named by LEDGER_TEST_POSTGRES, dropped afterwards). Without that variable the
PostgreSQL cases skip on a laptop; with CI=true they fail instead, so CI can never pass by
skipping them.

``LEDGER_TEST_CIPHER_KEY`` (base64 AES key) runs every store made here with the cipher on,
events and sealed view columns alike: the whole suite must pass both ways.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.bootstrap import create_schema, open_ledger
from ledger.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LEDGER_SHARED_DIR", REPO_ROOT.parent / "shared"))
POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CIPHER_KEY = os.environ.get("LEDGER_TEST_CIPHER_KEY") or None


def postgres_url_or_skip() -> str:
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail("CI=true but LEDGER_TEST_POSTGRES is not set: the PostgreSQL tests must run in CI")
    pytest.skip("set LEDGER_TEST_POSTGRES=postgresql://user@host:port/db to run the PostgreSQL cases")


def drop_postgres_schema(url: str, schema: str) -> None:
    from psycopg import sql

    with Store(url).connect_postgres() as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def make_store(kind: str, tmp_path: Path, cipher_key: str | None = CIPHER_KEY) -> Iterator[Store]:
    """A fresh, empty store of the given kind with its schema created; removed afterwards."""
    if kind == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'ledger.db'}", cipher_key)
        create_schema(store)
        yield store
        return
    base = postgres_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    store = Store(f"{base}{'&' if '?' in base else '?'}schema={schema}", cipher_key)
    create_schema(store)
    try:
        yield store
    finally:
        drop_postgres_schema(base, schema)


@pytest.fixture(autouse=True)
def signing_key_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's stores get their own checkpoint-signing key, never one shared under ./var."""
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(tmp_path / "signing-key.pem"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from make_store(request.param, tmp_path)


@pytest.fixture
def ledger(store: Store):
    app = open_ledger(store)
    yield app
    app.close()
