"""Fresh stores for one benchmark phase: a SQLite file in a temporary folder, or a new
PostgreSQL schema; both removed afterwards (the same recipe as tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from api.bootstrap import create_schema
from ledger.store import Store


def _connect(url: str):
    return Store(url).connect_postgres()


def postgres_available(url: str) -> str | None:
    """None if the database answers, else why not."""
    try:
        with _connect(url) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        return f"{type(exc).__name__}: {exc}".strip()


def postgres_version(url: str) -> str | None:
    try:
        with _connect(url) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001
        return None


def drop_schema(url: str, schema: str) -> None:
    from psycopg import sql

    with _connect(url) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def create_plain_schema(url: str, schema: str) -> None:
    from psycopg import sql

    with _connect(url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def _with_schema(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


KEY_ENV = "LEDGER_SIGNING_KEY"


@contextmanager
def _signing_key(folder: str, wanted: bool) -> Iterator[None]:
    """The audit trail's signing key for this store in the store's own temporary folder
    (never the project's var/), for this process and the servers it starts."""
    if not wanted:
        yield
        return
    before = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = os.path.join(folder, "signing.key")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = before


@contextmanager
def fresh_store(kind: str, postgres_url: str, workdir: str, label: str, *, ledger_schema: bool = True,
                cipher_key: str | None = None) -> Iterator[Store]:
    """A new, empty store; with ``ledger_schema`` the ledger's tables are created (create_schema)."""
    folder = tempfile.mkdtemp(prefix=f"bench-{label}-", dir=workdir)
    try:
        if kind == "sqlite":
            store = Store(f"sqlite:///{os.path.join(folder, 'ledger.db')}", cipher_key)
            with _signing_key(folder, ledger_schema):
                if ledger_schema:
                    create_schema(store)
                yield store
            return
        schema = f"bench_{label}_{uuid.uuid4().hex[:10]}"
        store = Store(_with_schema(postgres_url, schema), cipher_key)
        try:
            with _signing_key(folder, ledger_schema):
                if ledger_schema:
                    create_schema(store)
                else:
                    create_plain_schema(postgres_url, schema)
                yield store
        finally:
            drop_schema(postgres_url, schema)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def size_on_disk(store: Store, postgres_url: str) -> int | None:
    """Bytes the store takes: the SQLite file (+WAL), or the PostgreSQL schema's relations."""
    if store.kind == "sqlite":
        path = store.sqlite_path
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    try:
        with _connect(postgres_url) as conn:
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                (store.postgres_schema,),
            ).fetchone()
            return int(row[0])
    except Exception:  # noqa: BLE001
        return None
