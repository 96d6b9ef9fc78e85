"""The feed of changes (GET /changes) against the audit log, and a mirror kept by it."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.e2e.conftest import assert_problem, build_world

ACTOR = "officer-1"


def _feed(api, since=0, limit=500, role="reader"):
    """Every page from ``since`` on: the changes, and the position to ask from next."""
    items = []
    while True:
        response = api.get(f"/changes?since={since}&limit={limit}", role=role)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["since"] == since and page["next_since"] >= since
        items += page["items"]
        since = page["next_since"]
        if not page["more"]:
            return items, since


def _audit_events(api, figure_id):
    """The figure's own events as the audit log lists them, in log order."""
    items, cursor = [], None
    while True:
        path = f"/audit/log?figure_id={figure_id}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path, role="auditor").json()
        items += [e for e in page["items"] if e["aggregate_id"] == figure_id]
        if not (cursor := page["next_cursor"]):
            return items


def _changes(api, world):
    """A public figure moved every way a reader can see, and once in a way no reader can (an
    unadopted claim): [(event kind, whether the feed shows it)] in the order made."""
    ledger, fid = api.ledger, world.figure
    v = ledger.figure(fid).version
    v = ledger.correct_figure(ACTOR, fid, value={"qualifier": "exact", "number": 120}, reason="recount",
                              expected_version=v)["version"]
    v = ledger.grade_figure(ACTOR, fid, grade="confirmed", reason="two sources", expected_version=v)["version"]
    v = ledger.retract_figure(ACTOR, fid, reason="duplicate", expected_version=v)["version"]
    ledger.correct_figure(ACTOR, fid, value={"qualifier": "at_least", "number": 118}, reason="reinstated",
                          expected_version=v)


def test_every_change_the_audit_log_shows_is_in_the_feed_in_order(api):
    world = build_world(api.ledger)
    _changes(api, world)
    feed, _ = _feed(api)
    audit = _audit_events(api, world.figure)
    history = {v["version"]: v for v in api.get(f"/figures/{world.figure}/history?limit=500").json()["versions"]}
    mine = [c for c in feed if c["figure_id"] == world.figure]
    # The protected source's claim on the figure was not adopted: the audit log shows it, the
    # feed does not (nothing a reader sees moved). Every other event of the figure is there.
    unadopted = [e for e in audit if history[e["aggregate_version"]]["event"] == "claimed"]
    assert len(unadopted) == 1
    shown = [e for e in audit if e not in unadopted]
    assert [(c["position"], c["version"]) for c in mine] == [(e["notification_id"], e["aggregate_version"])
                                                             for e in shown]
    assert [c["event"] for c in mine] == ["stated", "corrected", "regraded", "retracted", "corrected"]
    assert [c["change"] for c in mine] == ["changed", "changed", "changed", "removed", "changed"]
    assert mine[3]["value"] is None and mine[-1]["value"]["number"] == 118 and mine[2]["grade"] == "confirmed"
    positions = [c["position"] for c in feed]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_a_mirror_kept_by_the_feed_equals_the_current_figures(api):
    """What docs/guides.md tells a newsroom to do, done: apply each change, drop each removal."""
    world = build_world(api.ledger)
    mirror: dict[str, dict] = {}

    def follow(since):
        items, since = _feed(api, since, limit=2)
        for c in items:
            if c["change"] == "removed":
                mirror.pop(c["figure_id"], None)
            else:
                mirror[c["figure_id"]] = c
        return since

    since = follow(0)
    _changes(api, world)
    api.ledger.change_source_protection(ACTOR, world.public_source, protected=True, reason="threatened")
    since = follow(since)
    current = {f["figure_id"]: f for f in api.get("/figures?status=active&limit=500", role="reader").json()["items"]}
    assert set(mirror) == set(current)
    for fid, figure in current.items():
        for key in ("version", "value", "value_source", "status", "grade"):
            assert mirror[fid][key] == figure[key], (key, mirror[fid], figure)
    assert mirror[world.figure]["value_source"] is None  # a correction's value is the ledger's own
    stated_by_public = [f for f in current.values() if f["figure_id"] != world.figure
                        and f["value_source"] == "protected"]
    assert stated_by_public  # the protection change reached the copy: its source now reads "protected"
    assert _feed(api, since)[0] == []  # nothing new: asking again gives nothing


def test_protected_markers_never_appear_but_auditors_see_them(shared):
    api, world = shared
    for role in ("reader", "officer"):
        text = orjson.dumps(_feed(api, role=role)[0]).decode()
        for marker in world.protected_markers():
            assert marker not in text, (role, marker)
    audited = orjson.dumps(_feed(api, role="auditor")[0]).decode()
    assert world.protected_source in audited and "zqx7741 saw 40 to 50 injured" in audited


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(1, 6), start=st.integers(0, 40))
def test_pages_of_any_size_from_any_position_give_the_same_feed(shared, limit, start):
    api, _ = shared
    everything, end = _feed(api)
    start = min(start, end)
    paged, paged_end = _feed(api, since=start, limit=limit)
    assert paged == [c for c in everything if c["position"] > start] and paged_end == end


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "", str(2**63)])
def test_a_bad_since_is_a_422_problem(shared, since):
    api, _ = shared
    assert_problem(api.get(f"/changes?since={since}", role="reader"), 422, field="since")


def test_a_since_past_the_head_is_refused_and_a_missing_one_too(shared):
    api, _ = shared
    head = int(api.get("/figures?format=csv").headers["Ledger-Position"])
    assert_problem(api.get(f"/changes?since={head + 1}", role="reader"), 422, field="since", says="past")
    assert api.get(f"/changes?since={head}", role="reader").json() == {
        "since": head, "items": [], "next_since": head, "more": False}
    assert_problem(api.get("/changes", role="reader"), 422, field="since")
    assert api.get("/changes?since=0", role=None).status_code == 401


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_what_the_feed_files_does_not_depend_on_where_batches_end(kind):
    """A protection change is filed under the figures standing on the source at that position,
    whether the views apply the log one event at a time or in one batch (a rebuild's digest
    must equal the live views')."""
    from api.bootstrap import open_ledger
    from projections.follower import Follower, install
    from projections.views import Views
    from projections.views_digest import digest
    from tests.integration.projections.helpers import fresh_store

    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        world = build_world(ledger)
        ledger.change_source_protection(ACTOR, world.public_source, protected=True, reason="threatened")
        # After the change: a new figure of the source, and a correction of one that stood on it.
        ledger.file_report(ACTOR, source_id=world.public_source, title="later", language="en", figures=[
            {"incident_id": world.incident, "metric": "displaced", "breakdown": {},
             "value": {"qualifier": "exact", "number": 9}}])
        v = ledger.figure(world.figure).version
        ledger.correct_figure(ACTOR, world.figure, value={"qualifier": "exact", "number": 130}, reason="recount",
                              expected_version=v)
        ledger.change_source_protection(ACTOR, world.public_source, protected=False, reason="safe again")
        digests, filed = {}, {}
        for size in (1, 3, 5000):
            name = f"batches{size}"
            with Follower(store, Views(name), ledger=ledger, batch_size=size, replay_from=None) as follower:
                install(store, follower.projection)
                follower.catch_up()
                db = follower.db
                with db.transaction(commit=False) as c:
                    protection = db.all(c, "SELECT position, figure_id FROM {figure_changes}"
                                           " WHERE cause = 'protection' ORDER BY position, figure_id")
                    filed[size] = db.all(c, "SELECT position, figure_id, version, cause FROM {figure_changes}"
                                            " ORDER BY position, figure_id")
            digests[size] = digest(store, name)["sha256"]
            first, second = sorted({p for p, _ in protection})
            # Protected: the world's figure (stated by the source); released: no figure stands on
            # its value any more but the one it stated after (the figure was corrected meanwhile).
            assert [f for p, f in protection if p == first] == [world.figure]
            assert world.figure not in [f for p, f in protection if p == second]
            assert len([f for p, f in protection if p == second]) == 1
        assert len(set(digests.values())) == 1, digests
        assert filed[1] == filed[3] == filed[5000]
        ledger.close()


#: What a reader of /figures sees move (the version also moves on a claim the ledger did not
#: adopt, which the feed leaves out: the figure reads the same).
SEEN = ("value", "value_source", "status", "grade")
_MOVES = st.lists(st.tuples(st.sampled_from(["correct", "grade", "retract", "claim", "adopt", "protect", "release"]),
                            st.integers(0, 2), st.integers(1, 500)), max_size=10)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=_MOVES)
def test_a_mirror_kept_by_the_feed_equals_the_figures_after_any_changes(api, moves):
    """Whatever happens to the figures (a property over command sequences), the copy a client
    keeps from the feed is what /figures shows that client, redaction included."""
    from ledger.errors import LedgerError

    ledger = api.ledger
    world = build_world(ledger)
    figures = [world.figure, world.protected_figure,
               api.get("/figures?metric=civilians_killed&limit=500").json()["items"][-1]["figure_id"]]
    for move, which, number in moves:
        fid = figures[which]
        v = ledger.figure(fid).version
        try:
            if move == "correct":
                ledger.correct_figure(ACTOR, fid, value={"qualifier": "exact", "number": number}, reason="r",
                                      expected_version=v)
            elif move == "grade":
                ledger.grade_figure(ACTOR, fid, grade=["confirmed", "fair"][number % 2], reason="r", expected_version=v)
            elif move == "retract":
                ledger.retract_figure(ACTOR, fid, reason="r", expected_version=v)
            elif move in ("claim", "adopt"):
                f = ledger.figure(fid)
                ledger.file_report(ACTOR, source_id=world.spare_source, title=f"r{number}", language="en", figures=[
                    {"incident_id": str(f.incident_id), "metric": f.metric, "breakdown": dict(f.breakdown),
                     "value": {"qualifier": "exact", "number": number, "quote": f"spare said {number}"},
                     "adopt": move == "adopt"}])
            else:
                ledger.change_source_protection(ACTOR, world.spare_source, protected=move == "protect", reason="r")
        except LedgerError:
            pass  # a move that does not fit the figure's state now: refused, and nothing recorded
    for role in ("reader", "auditor"):
        mirror: dict[str, dict] = {}
        for c in _feed(api, role=role, limit=3)[0]:
            if c["change"] == "removed":
                mirror.pop(c["figure_id"], None)
            else:
                mirror[c["figure_id"]] = {k: c[k] for k in SEEN}
        current = {f["figure_id"]: {k: f[k] for k in SEEN}
                   for f in api.get("/figures?status=active&limit=500", role=role).json()["items"]}
        assert mirror == current, role
