"""Three processes starting at once on one fresh store record the built-in vocabulary exactly once."""

from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path

import pytest
from eventsourcing.utils import get_topic

from api.bootstrap import create_tables, record_vocabulary
from ledger.application import Ledger
from ledger.store import Store
from ledger.terms import VOCABULARY_ID, Vocabulary, built_ins
from projections.audit import install as install_audit
from tests.conftest import CIPHER_KEY, drop_postgres_schema, postgres_url_or_skip


def _start(url: str, cipher_key: str, ready: multiprocessing.Barrier, out: multiprocessing.Queue) -> None:
    store = Store(url, cipher_key)
    ready.wait(timeout=60)
    out.put(record_vocabulary(store))


def _schema_without_vocabulary(store: Store) -> None:
    """The schema step less its last part, so that the race is between the starting processes."""
    if store.kind == "postgres" and store.postgres_schema:
        from psycopg import sql

        with store.connect_postgres() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(store.postgres_schema)))
    Ledger(env=store.environment(create_table=True)).close()
    create_tables(store)
    install_audit(store)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_three_racing_processes_record_each_built_in_term_once(kind: str, tmp_path: Path) -> None:
    if kind == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'ledger.db'}", None
    else:
        base, schema = postgres_url_or_skip(), f"t_{uuid.uuid4().hex[:16]}"
        url, cleanup = f"{base}{'&' if '?' in base else '?'}schema={schema}", (base, schema)
    store = Store(url, CIPHER_KEY)
    try:
        _schema_without_vocabulary(store)
        context = multiprocessing.get_context("spawn")
        ready, out = context.Barrier(3), context.Queue()
        processes = [context.Process(target=_start, args=(url, CIPHER_KEY, ready, out)) for _ in range(3)]
        for p in processes:
            p.start()
        for p in processes:
            p.join(timeout=120)
        assert [p.exitcode for p in processes] == [0, 0, 0]
        recorded = sorted(out.get(timeout=5) for _ in processes)
        # One process recorded every term; the others found them recorded.
        assert recorded == [0, 0, len(built_ins())]
        ledger = Ledger(env=store.environment(create_table=False))
        try:
            events = ledger.recorder.select_events(VOCABULARY_ID)
            topics = [e.topic for e in events]
            assert topics.count(get_topic(Vocabulary.Opened)) == 1
            assert topics.count(get_topic(Vocabulary.Defined)) == len(built_ins())
            keys = [ledger.mapper.to_domain_event(e).key for e in events[1:]]
            assert len(keys) == len(set(keys)) and "killed" in keys
            assert ledger.record_built_ins() == 0  # and once more records nothing
        finally:
            ledger.close()
    finally:
        if cleanup is not None:
            drop_postgres_schema(*cleanup)
