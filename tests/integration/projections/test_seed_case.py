"""The seed case (SNHR on Idlib and Hama, 2019) as the read side must report it, on both stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from api.bootstrap import create_tables, open_ledger
from ledger.seed import load_case
from projections.views_digest import digest
from projections.follower import Follower
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.views import Views


@pytest.fixture
def seeded(store):
    create_tables(store)
    ledger = open_ledger(store)
    ids = load_case(ledger)
    with Follower(store, Views(), ledger=ledger) as follower:
        follower.catch_up()
    reader = Reader(store)
    yield store, ledger, ids, reader
    reader.close()
    ledger.close()


def _check(checks, metric, dimension, total_breakdown=None):
    (found,) = [c for c in checks if c["metric"] == metric and c["dimension"] == dimension
                and c["total"]["breakdown"] == (total_breakdown or {})]
    return found


def test_killed_airstrikes_and_facilities_add_up_as_the_report_says(seeded):
    _, _, _, reader = seeded
    checks = reader.breakdown_checks()

    killed = _check(checks, "civilians_killed", "perpetrator")
    assert [p["low"] for p in killed["parts"]] == [37, 71]  # russian-forces, syrian-regime
    assert (killed["parts_low"], killed["total"]["low"], killed["status"]) == (108, 108, "complete")
    assert killed["remainder"] == {"low": 0, "high": None}

    air = _check(checks, "airstrikes", "perpetrator")
    assert (air["parts_low"], air["total"]["low"], air["status"]) == (1068, 1068, "complete")
    assert sorted(p["low"] for p in air["parts"]) == [496, 572]

    by_type = _check(checks, "attacks_on_vital_facilities", "facility_type")
    assert sorted(p["low"] for p in by_type["parts"]) == [9, 11, 18, 28]
    assert (by_type["parts_low"], by_type["total"]["low"], by_type["status"]) == (66, 82, "remainder")
    assert by_type["remainder"] == {"low": 16, "high": None}

    by_perpetrator = _check(checks, "attacks_on_vital_facilities", "perpetrator")
    assert sorted(p["low"] for p in by_perpetrator["parts"]) == [40, 42]
    assert (by_perpetrator["parts_low"], by_perpetrator["status"]) == (82, "complete")

    # Parts of a part: 12 children and 18 women of the 71 killed by the regime leave 41 unspecified.
    regime = _check(checks, "civilians_killed", "victim_group", {"perpetrator": "syrian-regime"})
    assert (regime["parts_low"], regime["status"], regime["remainder"]["low"]) == (30, "remainder", 41)
    assert not [c for c in checks if c["status"] == "inconsistent"]


def test_tallies_of_the_seed_case(seeded):
    _, _, ids, reader = seeded
    killed = reader.tally("civilians_killed", figure_ids=True)
    assert killed["sum"] == {"low": 108, "high": None, "kind": "lower_bound", "figures": 1, "approximate": False,
                             "approximate_figures": 0, "figure_ids": [ids["figures"]["snhr-report/0"]]}
    assert killed["from_parts"] == []
    by = reader.tally("civilians_killed", by="perpetrator")
    assert [(g["value"], g["low"], g["high"], g["kind"]) for g in by["groups"]] == [
        ("russian-forces", 37, None, "lower_bound"), ("syrian-regime", 71, None, "lower_bound")]
    assert by["sum"]["low"] == by["groups_sum"]["low"] == 108
    assert reader.tally("airstrikes", by="perpetrator")["sum"]["low"] == 1068
    # `sum` is the total (82 attacks); the 66 broken down by facility type are `groups_sum`.
    facilities = reader.tally("attacks_on_vital_facilities", by="facility_type")
    assert (facilities["sum"]["low"], facilities["groups_sum"]["low"]) == (82, 66)
    assert reader.tally("civilians_injured", figure_ids=True)["sum"] == {
        "low": 200, "high": 999, "kind": "range", "figures": 1, "approximate": False, "approximate_figures": 0,
        "figure_ids": [ids["figures"]["snhr-report/7"]]}
    assert reader.tally("cluster_munition_attacks")["sum"]["kind"] == "exact"
    assert reader.tally("displaced")["sum"]["low"] == 300_001
    assert reader.tally("civilians_detained", figure_ids=True)["sum"] == {
        "low": 0, "high": 0, "kind": "no_data", "figures": 0, "approximate": False, "approximate_figures": 0,
        "figure_ids": []}
    # The running tallies say the same without listing the figures.
    for metric in ("civilians_killed", "airstrikes", "attacks_on_vital_facilities", "civilians_injured"):
        for by in (None, "perpetrator", "facility_type"):
            fast = reader.tally(metric, by=by, figure_ids=False)
            slow = reader.tally(metric, by=by, figure_ids=True)
            assert fast["sum"] == {k: v for k, v in slow["sum"].items() if k != "figure_ids"}
            assert fast["groups_sum"] == (None if by is None else {
                k: v for k, v in slow["groups_sum"].items() if k != "figure_ids"})


def test_valid_time_window_and_place(seeded):
    _, _, _, reader = seeded
    # Both incidents are open-ended from April 2019: any later window overlaps them.
    assert reader.tally("barrel_bombs", valid_from="2020-01-01")["sum"]["low"] == 188
    assert reader.tally("barrel_bombs", valid_to="2019-04-29")["sum"]["kind"] == "no_data"
    assert reader.tally("barrel_bombs", valid_to="2019-04-30")["sum"]["low"] == 188
    assert reader.tally("civilians_killed", place="HAMA")["sum"]["low"] == 108
    assert reader.tally("barrel_bombs", place="Hama")["sum"]["kind"] == "no_data"
    assert [i["title"] for i in reader.incidents(place="hama")["items"]] == [
        "Escalation of shelling and airstrikes on Idlib and Hama countryside"]


def test_as_of_before_the_case_and_the_history_of_the_tally(seeded):
    store, ledger, ids, reader = seeded
    before = datetime(2000, 1, 1, tzinfo=timezone.utc)
    assert reader.tally("civilians_killed", as_of=before)["sum"]["kind"] == "no_data"
    assert reader.tally("civilians_killed", as_of=before, figure_ids=False)["sum"]["kind"] == "no_data"
    points = reader.tally_history("civilians_killed")["points"]
    assert [(p["low"], p["kind"]) for p in points] == [(108, "lower_bound")]
    # The step names the claim that moved it: the source and report that said it (the seed's
    # report gives no publication date).
    [moved] = points[0]["moved_by"]
    assert {k: moved[k] for k in ("figure_id", "version", "event", "actor", "report_id", "published_on")} == {
        "figure_id": ids["figures"]["snhr-report/0"], "version": 1, "event": "stated", "actor": "seed-loader",
        "report_id": ids["reports"]["snhr-report"], "published_on": None}
    assert moved["source"]["source_id"] == ids["sources"]["snhr"]
    by = reader.tally_history("civilians_killed", by="perpetrator")["points"]
    # The total stands at 108 from the first statement on; the groups fill in as the parts are filed.
    assert [(p["low"], [(g["value"], g["low"]) for g in p["groups"]]) for p in by] == [
        (108, []), (108, [("syrian-regime", 71)]), (108, [("russian-forces", 37), ("syrian-regime", 71)])]

    # A correction moves the tally; as of just before it, the old value stands.
    figure = ids["figures"]["snhr-report/0"]
    ledger.correct_figure("officer", figure, value={"qualifier": "at_least", "number": 112}, reason="SNHR update")
    with Follower(store, Views(), ledger=ledger) as follower:
        follower.catch_up()
    points = reader.tally_history("civilians_killed")["points"]
    assert [(p["low"], p["moved_by"][0]["event"]) for p in points] == [(108, "stated"), (112, "corrected")]
    corrected_at = datetime.fromisoformat(points[1]["recorded_at"].replace("Z", "+00:00"))
    assert reader.tally("civilians_killed", as_of=corrected_at - timedelta(microseconds=1))["sum"]["low"] == 108
    assert reader.tally("civilians_killed", as_of=corrected_at)["sum"]["low"] == 112
    assert reader.figure(figure, as_of=corrected_at - timedelta(microseconds=1))["value"]["low"] == 108
    history = reader.figure_history(figure)
    assert [(v["event"], v["value"]["low"], v["reason"]) for v in history["versions"]] == [
        ("stated", 108, None), ("corrected", 112, "SNHR update")]
    # Cited after it was stated, while it stood: the citation belongs to the first version (and the second).
    assert [c["quote"] for c in history["versions"][0]["citations"]] == ["killed at least 108 civilians"]
    assert history["versions"][1]["citations"] == history["versions"][0]["citations"]
    indexed = reader.figure_history(figure, citation_index=True)
    assert indexed["versions"][0]["citations"] == [0] and indexed["citations"] == history["versions"][0]["citations"]
    assert history["next_cursor"] is None
    first_page = reader.figure_history(figure, limit=1)
    assert [v["version"] for v in first_page["versions"]] == [1]
    second_page = reader.figure_history(figure, limit=1, cursor=first_page["next_cursor"])
    assert [v["version"] for v in second_page["versions"]] == [2] and second_page["next_cursor"] is None
    spread = reader.spread(figure)
    assert spread["current"]["value"]["low"] == 112
    assert [c["low"] for c in spread["claims"]] == [108]
    assert spread["range"] == {"sources": 1, "min_low": 108, "max_low": 108, "min_high": None, "max_high": None,
                               "approximate": False}


def test_rebuild_gives_the_same_digest_and_shows_progress(seeded, capsys):
    store, ledger, _, _ = seeded
    live = digest(store)
    result = rebuild(store, progress=True, ledger=ledger)
    assert result["digest"] == live["sha256"]
    assert result["position"] == live["position"] == ledger.recorder.max_notification_id()
    assert "rebuilding views" in capsys.readouterr().err


def test_ledger_rebuild_replays_the_live_views_with_progress(seeded, monkeypatch, capsys):
    from api.bootstrap import create_schema
    from api.cli import main

    store, ledger, _, _ = seeded
    create_schema(store)  # the audit's tables too: the command line refuses a store without them
    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    live = digest(store)
    assert main(["rebuild"]) == 0
    said = capsys.readouterr()
    assert "rebuilding views" in said.err
    assert f"to position {live['position']} in" in said.out
    assert live["sha256"] in said.out and digest(store)["sha256"] == live["sha256"]


@pytest.mark.postgres
def test_the_same_log_gives_the_same_digest_and_answers_on_sqlite_and_postgres():
    from tests.integration.projections.helpers import catch_up, copy_events, fresh_store, notifications

    with fresh_store("sqlite") as lite, fresh_store("postgres") as pg:
        a, b = open_ledger(lite), open_ledger(pg)
        ids = load_case(a)
        a.correct_figure("officer", ids["figures"]["snhr-report/0"], value={"qualifier": "at_least", "number": 112},
                         reason="SNHR update")
        copy_events(a, b, notifications(a))
        catch_up(lite, a, batch_size=7)
        catch_up(pg, b, batch_size=500)
        assert digest(lite)["sha256"] == digest(pg)["sha256"]
        with Reader(lite) as x, Reader(pg) as y:
            for metric in ("civilians_killed", "attacks_on_vital_facilities"):
                assert x.tally(metric, by="perpetrator") == y.tally(metric, by="perpetrator")
                assert x.tally_history(metric) == y.tally_history(metric)
            assert x.breakdown_checks() == y.breakdown_checks()
            assert x.figures(limit=500) == y.figures(limit=500)
            assert x.figure_history(ids["figures"]["snhr-report/0"]) == y.figure_history(ids["figures"]["snhr-report/0"])
        a.close()
        b.close()
