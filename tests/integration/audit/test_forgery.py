"""Rows the write side would load but the tree never followed, and snapshots that lie, found by verify.

Each forgery is made by hand in SQL, as an intruder with write access to the database would:
a valid next version of a figure written under a notification id the audit follower has
already passed (0, below the first id, an unused id in one of PostgreSQL's gaps, a used id
once the unique index is gone), or a snapshot row edited or made up.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import orjson
import pytest

from api.bootstrap import open_ledger
from ledger.errors import HistoryNotCovered
from ledger.figure import Figure
from ledger.value import Count
from projections.audit import verify
from tests.integration.audit.conftest import add_events
from tests.integration.audit.tamper import Snapshots, Tamper


def forged_correction(ledger, figure_id: str, number: int = 999):
    """The next version of a figure, made with the domain's own code and encoded as the ledger stores it."""
    figure = ledger.figure(figure_id)
    figure.correct("intruder", value=Count.parse({"qualifier": "exact", "number": number}), reason="forged",
                   evidence=[])
    (event,) = figure.collect_events()
    return ledger.mapper.to_stored_event(event)


@pytest.fixture
def figure_id(seed_ids) -> str:
    return str(next(iter(seed_ids["figures"].values())))


def not_in_tree(report):
    return [p for p in report.problems if p.kind == "not-in-tree"]


def assert_named(report, notification_id: int, event) -> None:
    assert not report.ok
    found = not_in_tree(report)
    assert len(found) == 1, report.summary()
    detail = found[0].detail
    assert f"notification {notification_id} " in detail
    assert f"{uuid.UUID(str(event.originator_id))} v{event.originator_version}" in detail, detail
    # The row is stepped over, not blamed on every later position.
    assert report.first_bad_position is None, report.summary()


@pytest.mark.parametrize("at", [0, -3])
def test_a_row_below_the_first_id_is_named(store, ledger, trail, figure_id, at):
    forged = forged_correction(ledger, figure_id)
    with Tamper(store) as t:
        assert min(t.ids()) >= 1
        t.insert_at(at, forged)
    report = verify(store, progress=False, ledger=ledger, projections=False)
    assert_named(report, at, forged)
    assert "below the first leaf" in not_in_tree(report)[0].detail


ON_POSTGRES = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@ON_POSTGRES  # the ids' permanent gaps are PostgreSQL's
def test_a_row_in_a_postgres_gap_is_named(store, ledger, trail, figure_id):
    with Tamper(store) as t:
        t.leave_gap(5)
        add_events(ledger, 2)
        trail.catch_up()
        ids = t.ids()
        gap = next(i for i in range(ids[0], ids[-1]) if i not in ids)
        forged = forged_correction(ledger, figure_id)
        t.insert_at(gap, forged)
    report = verify(store, progress=False, ledger=ledger, projections=False)
    assert_named(report, gap, forged)
    assert "in a gap" in not_in_tree(report)[0].detail


@ON_POSTGRES  # SQLite's rowid cannot repeat
def test_a_row_under_a_used_id_is_named(store, ledger, trail, figure_id):
    forged = forged_correction(ledger, figure_id)
    with Tamper(store) as t:
        t.drop_unique_ids()
        used = t.ids()[10]
        t.insert_at(used, forged)
    report = verify(store, progress=False, ledger=ledger, projections=False)
    (found,) = [p for p in report.problems if p.kind == "duplicate-id"]
    assert f"notification {used} " in found.detail and f"v{forged.originator_version}" in found.detail
    assert not report.ok and report.first_bad_position is None, report.summary()


def test_the_cli_exits_1_and_names_the_forged_row(store, ledger, trail, figure_id, monkeypatch, capsys):
    from api.audit_cli import main

    forged = forged_correction(ledger, figure_id)
    with Tamper(store) as t:
        t.insert_at(0, forged)
    monkeypatch.setenv("LEDGER_DB", store.url)
    assert main(["verify", "--no-progress", "--no-projections"]) == 1
    out = capsys.readouterr().out
    assert "[not-in-tree]" in out and "notification 0 " in out and str(figure_id) in out


# ---- snapshots ----------------------------------------------------------------------------------

EVERY = 4


@pytest.fixture
def snapshotted(store, ledger, trail, figure_id):
    """A figure with snapshots at versions 4 and 8 (every 4 events here, to keep the test short)."""
    ledger.snapshotting_intervals = {Figure: EVERY}
    while (version := ledger.figure(figure_id).version) < 2 * EVERY:
        ledger.correct_figure("officer", figure_id, value={"qualifier": "exact", "number": 500 + version},
                              reason="recount", expected_version=version)
    uid = uuid.UUID(figure_id)
    assert [s.originator_version for s in ledger.snapshots.get(uid)] == [EVERY, 2 * EVERY]
    return uid


def edit_snapshot(store, uid, version, change) -> None:
    with Tamper(store) as t:
        snaps = Snapshots(t)
        state = orjson.loads(snaps.state(uid, version))
        change(state["state"] if "state" in state else state)
        snaps.set_state(uid, version, orjson.dumps(state))


def snapshot_problems(report):
    return [p for p in report.problems if p.kind == "snapshot"]


def test_untouched_snapshots_verify(store, ledger, snapshotted):
    report = verify(store, progress=False, ledger=ledger, projections=False)
    assert report.ok, report.summary()
    assert report.snapshots == 2


@pytest.mark.parametrize("field, change", [
    ("grade", lambda s: s.__setitem__("grade", "confirmed")),
    ("claims", lambda s: next(iter(s["claims"].values())).__setitem__("value", {"qualifier": "exact", "number": 1})),
])
def test_an_edited_snapshot_is_named(store, ledger, snapshotted, field, change):
    edit_snapshot(store, snapshotted, 2 * EVERY, change)
    report = verify(store, progress=False, ledger=ledger, projections=False)
    (found,) = snapshot_problems(report)
    assert f"snapshot of {snapshotted} v{2 * EVERY} differs" in found.detail and field in found.detail, found.detail
    assert not report.ok and report.events == report.tree_size  # the events themselves are untouched


def test_a_snapshot_at_a_version_no_event_has_is_named(store, ledger, snapshotted):
    with Tamper(store) as t:
        Snapshots(t).copy_to(snapshotted, 2 * EVERY, 50)
    report = verify(store, progress=False, ledger=ledger, projections=False)
    (found,) = snapshot_problems(report)
    assert f"snapshot of {snapshotted} v50" in found.detail and "no version 50" in found.detail, found.detail


# ---- the write side refuses what the trail does not cover ---------------------------------------

@contextmanager
def restarted(store):
    """Another worker, or this one after a restart: nothing cached."""
    other = open_ledger(store)
    try:
        yield other
    finally:
        other.close()


def forge(store, ledger, trail, figure_id, where: str):
    """Write a forged next version of the figure where the follower will never read it; return its id."""
    forged = forged_correction(ledger, figure_id)
    with Tamper(store) as t:
        if where == "zero":
            at = 0
        elif where == "gap":
            t.leave_gap(5)
            add_events(ledger, 1)
            trail.catch_up()
            ids = t.ids()
            at = next(i for i in range(ids[0], ids[-1]) if i not in ids)
        else:  # "used": a used id, once the unique index is gone
            t.drop_unique_ids()
            at = t.ids()[10]
        t.insert_at(at, forged)
    return at


WHERE = [("sqlite", "zero")] + [pytest.param("postgres", w, marks=pytest.mark.postgres) for w in ("zero", "gap", "used")]


@pytest.mark.parametrize("store, where", WHERE, indirect=["store"])
def test_a_cold_load_of_a_forged_history_is_refused(store, ledger, trail, figure_id, where):
    at = forge(store, ledger, trail, figure_id, where)
    with restarted(store) as other:
        with pytest.raises(HistoryNotCovered) as refused:
            other.figure(figure_id)
        assert refused.value.notification_id == at and str(figure_id) not in str(refused.value)
        before = other.recorder.max_notification_id()
        with pytest.raises(HistoryNotCovered):  # the forged version's ETag, as GET would have served it
            other.correct_figure("officer", figure_id, value={"qualifier": "exact", "number": 7}, reason="r",
                                 expected_version=ledger.figure(figure_id, version=None).version + 1)
        assert other.recorder.max_notification_id() == before  # nothing recorded on top of it


def test_a_cached_figure_is_not_fast_forwarded_onto_a_forged_event(store, ledger, trail, figure_id):
    version = ledger.figure(figure_id).version  # cached here
    forge(store, ledger, trail, figure_id, "zero")
    with pytest.raises(HistoryNotCovered):
        ledger.figure(figure_id)  # a fresh read finds version + 1 in the store
    with pytest.raises(HistoryNotCovered):  # and a command with the forged version's ETag
        ledger.correct_figure("officer", figure_id, value={"qualifier": "exact", "number": 7}, reason="r",
                              expected_version=version + 1)


def test_an_altered_event_under_a_leaf_is_refused(store, ledger, trail, figure_id):
    first = next(p for p in range(trail.size()) if trail.leaf(p)["originator_id"] == figure_id)
    with Tamper(store) as t:
        t.alter(trail.leaf(first)["notification_id"], b"seed-loader", b"seed-l0ader")
    with restarted(store) as other, pytest.raises(HistoryNotCovered, match="no longer hashes to its leaf"):
        other.figure(figure_id)


def test_events_the_tree_has_yet_to_follow_are_read(store, ledger, trail, figure_id):
    version = ledger.figure(figure_id).version
    ledger.correct_figure("officer", figure_id, value={"qualifier": "exact", "number": 321}, reason="r",
                          expected_version=version)  # beyond the tree's position: not a leaf yet
    with restarted(store) as other:
        assert other.figure(figure_id).version == version + 1
    trail.catch_up()  # now it is a leaf, and read as one
    with restarted(store) as other:
        assert other.figure(figure_id).value.number == 321


def test_a_snapshot_at_a_version_no_event_has_is_refused(store, ledger, snapshotted):
    with Tamper(store) as t:
        Snapshots(t).copy_to(snapshotted, 2 * EVERY, 50)
    with restarted(store) as other, pytest.raises(HistoryNotCovered, match="snapshot"):
        other.figure(snapshotted)


def test_over_http_a_forged_history_is_a_problem_that_names_no_record(store, ledger, trail, figure_id):
    from fastapi.testclient import TestClient

    from api.app import create_app

    forge(store, ledger, trail, figure_id, "zero")
    key, _ = ledger.issue_key("test-admin", owner="officer-1", role="officer")
    with restarted(store) as other, TestClient(create_app(store, ledger=other)) as client:
        before = other.recorder.max_notification_id()
        answer = client.post(f"/figures/{figure_id}/corrections", headers={
            "Authorization": f"Bearer {key}", "If-Match": '"3"'},
            json={"value": {"qualifier": "exact", "number": 7}, "reason": "recount"})
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert problem["type"] == "/problems/history-not-covered" and "ledger verify" in problem["detail"]
        assert figure_id not in answer.text
        assert other.recorder.max_notification_id() == before
