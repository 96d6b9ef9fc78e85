"""The follower: exactly once, crash-safe, sees other processes, survives gaps and rivals."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import create_tables, open_ledger
from ledger.seed import load_case
from projections.views_digest import digest
from projections.follower import Follower
from projections.rebuild import rebuild
from projections.views import Views
from tests.integration.projections.helpers import World, catch_up, fresh_store, histories

REPO = Path(__file__).resolve().parents[3]
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def views(store):
    create_tables(store)
    ledger = open_ledger(store)
    yield store, ledger
    ledger.close()


def test_create_tables_is_idempotent_and_follow_twice_applies_nothing_twice(views):
    store, ledger = views
    create_tables(store)
    load_case(ledger)
    with Follower(store, Views(), ledger=ledger, batch_size=10) as follower:
        head = ledger.recorder.max_notification_id()
        assert follower.lag() == head
        assert follower.catch_up() == head
        first = digest(store)
        assert follower.catch_up() == 0
        assert follower.step() == 0
        create_tables(store)  # the schema step again, on live views: changes nothing
        assert digest(store) == first
        assert follower.position() == head and follower.lag() == 0


class Crash(Exception):
    pass


class CrashingViews(Views):
    """The views, but the n-th statement of a batch raises (as a failing view statement would)."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after
        self.armed = True

    def apply_batch(self, db, cursor, items):
        # Only the first batch may crash: were a later one to, the batches before it would have
        # been committed (rightly), and "nothing moved" would not be the thing to check.
        if not self.armed:
            return super().apply_batch(db, cursor, items)
        self.armed = False
        count = 0
        real_run, real_many = db.run, db.run_many

        def counted(real):
            def call(*args, **kwargs):
                nonlocal count
                count += 1
                if count == self.after:
                    raise Crash(f"statement {count}")
                return real(*args, **kwargs)
            return call

        db.run, db.run_many = counted(real_run), counted(real_many)
        try:
            super().apply_batch(db, cursor, items)
        finally:
            del db.run, db.run_many


def _crash_then_recover(kind: str, history: list[tuple], batch: int, after: int) -> bool:
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        world = World(ledger)
        for command in history[: len(history) // 2]:
            world.run(command)
        catch_up(store, ledger)
        for command in history[len(history) // 2:]:
            world.run(command)
        before = digest(store)
        crashing = Follower(store, CrashingViews(after), ledger=ledger, batch_size=batch)
        crashed = False
        try:
            crashing.catch_up()
        except Crash:
            # Nothing of the failed batch is left: neither views nor position moved.
            crashed = True
            assert digest(store) == before
        finally:
            crashing.close()
        catch_up(store, ledger, batch_size=batch)
        assert digest(store)["sha256"] == rebuild(store, progress=False, name="check", ledger=ledger)["digest"]
        assert digest(store)["position"] == ledger.recorder.max_notification_id()
        ledger.close()
        return crashed


@pytest.mark.parametrize("kind", KINDS)
def test_a_crash_mid_batch_leaves_tracking_unchanged_and_the_retry_completes(kind):
    @settings(max_examples=15 if kind == "sqlite" else 5, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(history=histories, batch=st.integers(1, 50), after=st.integers(1, 30))
    def run(history, batch, after):
        crashes.append(_crash_then_recover(kind, history, batch, after))

    crashes: list[bool] = []
    run()
    assert any(crashes), "no example crashed: the test tested nothing"


def test_a_crash_in_a_view_statement_rolls_back_views_and_position(views):
    store, ledger = views
    load_case(ledger)
    crashing = Follower(store, CrashingViews(after=3), ledger=ledger, batch_size=500)
    with pytest.raises(Crash):
        crashing.catch_up()
    assert crashing.position() == 0
    assert sum(digest(store)["rows"].values()) == 0
    crashing.close()
    with Follower(store, Views(), ledger=ledger) as follower:
        assert follower.catch_up() == ledger.recorder.max_notification_id()


def test_events_written_by_another_process_are_seen(views):
    store, ledger = views
    follower = Follower(store, Views(), ledger=ledger)
    follower.catch_up()
    script = textwrap.dedent(f"""
        from api.bootstrap import open_ledger
        from ledger.store import Store
        ledger = open_ledger(Store({store.url!r}, {store.cipher_key!r}))
        incident = ledger.record_incident("other-process", title="Written elsewhere", valid_from="2019-05-01",
                                          places=["Aleppo"])["incident_id"]
        source = ledger.register_source("other-process", name="S", kind="witness", language="ar")["source_id"]
        ledger.file_report("other-process", source_id=source, title="R", language="ar", figures=[
            {{"incident_id": incident, "metric": "civilians_killed", "value": {{"qualifier": "exact", "number": 5}}}}])
        ledger.close()
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=REPO, timeout=120)
    assert follower.lag() > 0
    assert follower.catch_up() > 0
    from projections.reader import Reader

    with Reader(store) as reader:
        assert reader.tally("civilians_killed", place="aleppo")["sum"]["low"] == 5
        assert reader.incidents(place="Aleppo")["items"][0]["recorded_by"] == "other-process"
    follower.close()


def test_a_second_ledger_instance_and_a_background_follower(views):
    store, ledger = views
    other = open_ledger(store)  # as another worker would have
    follower = Follower(store, Views(), ledger=ledger)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run_forever, kwargs={"poll_interval": 0.02, "stop_event": stop})
    thread.start()
    try:
        load_case(other)
        head = other.recorder.max_notification_id()
        deadline = time.monotonic() + 30
        while follower.position() < head and time.monotonic() < deadline:
            time.sleep(0.02)
        assert follower.position() == head
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and follower.last_error is None
    follower.close()
    other.close()


def test_two_followers_at_once_apply_each_event_once(views):
    store, ledger = views
    world = World(ledger)
    for n in range(30):
        world.run(("file", n % 2, [(n % 14, {"qualifier": "exact", "number": n}, n % 3 == 0)]))
        world.run(("cite", n % 14, n % 2))
    followers = [Follower(store, Views(), ledger=open_ledger(store), batch_size=b) for b in (3, 7)]
    errors = []

    def follow(f):
        try:
            f.catch_up()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=follow, args=(f,)) for f in followers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert digest(store)["sha256"] == rebuild(store, progress=False, name="check", ledger=ledger)["digest"]
    for f in followers:
        f.ledger.close()
        f.close()


@pytest.mark.postgres
def test_gaps_in_postgres_notification_ids_are_passed_over(tmp_path):
    with fresh_store("postgres") as store:
        ledger = open_ledger(store)
        load_case(ledger)
        catch_up(store, ledger)
        first = ledger.recorder.select_notifications(start=1, limit=1)[0]
        head = ledger.recorder.max_notification_id()
        with pytest.raises(IntegrityError):
            # The same originator version again: refused, but its notification id is spent.
            ledger.recorder.insert_events([StoredEvent(first.originator_id, first.originator_version, first.topic,
                                                       first.state)])
        ledger.record_incident("officer", title="After the gap", valid_from="2019-06-01")
        ids = [n.id for n in ledger.recorder.select_notifications(start=head, limit=10, inclusive_of_start=False)]
        assert ids and ids[0] > head + 1, ids  # there is a gap
        follower = Follower(store, Views(), ledger=ledger)
        assert follower.catch_up() == 1
        assert follower.position() == ids[0]
        follower.close()
        ledger.close()


def test_views_follow_an_encrypted_store(tmp_path):
    key = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY="  # 32 bytes, base64
    with fresh_store("sqlite", cipher_key=key) as store:
        ledger = open_ledger(store)
        load_case(ledger)
        catch_up(store, ledger)
        from projections.reader import Reader

        with Reader(store) as reader:
            assert reader.tally("civilians_killed")["sum"]["low"] == 108
        ledger.close()


def test_a_failed_batch_is_logged_by_type_and_place_never_by_its_message(views, caplog, monkeypatch):
    # A driver's or a validator's message can quote stored data (a protected source's name among
    # them); the follower's log line once carried it whole, as log.exception's traceback does.
    store, ledger = views
    follower = Follower(store, Views(), ledger=ledger)
    stop = threading.Event()

    def failing(**kwargs):
        stop.set()
        raise ValueError("input_value='Witness cell zqx7741'")

    monkeypatch.setattr(follower, "catch_up", failing)
    caplog.set_level("DEBUG")
    follower.run_forever(poll_interval=0.01, stop_event=stop)
    follower.close()
    logged = [r for r in caplog.records if r.name.startswith("projections")]
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in logged)
    assert "ValueError at " in text and "test_follower.py" in text, text
    assert "zqx7741" not in text and all(r.exc_info is None for r in logged)
