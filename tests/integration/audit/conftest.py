"""Fixtures for the audit trail's store tests: a signing key per test, a seeded and audited store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.seed import load_case
from ledger.store import Store
from projections.audit import AuditTrail, install
from api.bootstrap import create_tables


@pytest.fixture(autouse=True)
def signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "signing-key.pem"
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(path))
    monkeypatch.delenv("LEDGER_ORIGIN", raising=False)
    return path


def prepare(store: Store) -> None:
    """The schema step for the read side and the audit trail (api.bootstrap.create_schema will do both)."""
    create_tables(store)
    install(store)


SEED_EVENTS = 88


def catch_up_views(store: Store, ledger: Ledger) -> None:
    from projections.follower import Follower
    from projections.views import Views

    with Follower(store, Views(), ledger=ledger) as follower:
        follower.catch_up()


@pytest.fixture
def seed_ids(store: Store, ledger: Ledger) -> dict[str, dict[str, str]]:
    """The schema step done and the seed case (88 events) recorded."""
    prepare(store)
    return load_case(ledger)


@pytest.fixture
def trail(store: Store, ledger: Ledger, seed_ids: dict[str, dict[str, str]]) -> Iterator[AuditTrail]:
    """The seeded store's audit trail and views, caught up with the log; no checkpoint yet."""
    catch_up_views(store, ledger)
    audit = AuditTrail(store, ledger=ledger)
    audit.catch_up()
    yield audit
    audit.close()


def add_events(ledger: Ledger, count: int, actor: str = "officer-test") -> list[str]:
    """``count`` more events in the log (one incident each)."""
    return [ledger.record_incident(actor, title=f"later incident {i}", valid_from="2019-05-01")["incident_id"]
            for i in range(count)]


def forge_checkpoint(audit: AuditTrail):
    """Sign the stored tree as it is now, as an intruder holding the key file would (no checks)."""
    from datetime import UTC, datetime

    from ledger.audit.checkpoint import Checkpoint, sign_checkpoint

    identity = audit.identity()
    size, root = audit.root()
    when = datetime.now(UTC).replace(microsecond=0)
    note = sign_checkpoint(Checkpoint(identity.origin, size, root, when), identity.private_key(), identity.origin)
    with audit.db.transaction(commit=True) as cursor:
        audit.db.run(cursor, "INSERT INTO {checkpoints} (size, root, time, note) VALUES (?, ?, ?, ?)",
                     (size, root, when.strftime("%Y-%m-%dT%H:%M:%SZ"), note))
    return audit.checkpoint(size)
