"""``published_by`` (the sources' publication cut-off) on every route family, on both stores,
over the real Kabul timeline: the family's ten stood until CENTCOM's investigation was
published on 17 September 2021, and before 31 August no source had given a count."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import assert_problem
from tests.e2e.test_timelines import Loaded, loaded  # noqa: F401 - the module's fixture, loaded once per store

KABUL = "kabul-strike-2021"
BEFORE_ANY = "2021-08-30"  # CENTCOM's statement (29 August) gave no count
FAMILY_ONLY = "2021-09-16"  # the press accounts of the family's words, not yet the investigation
AFTER_ALL = "2021-12-31"


def _get(loaded: Loaded, path: str, **query: str):
    return loaded.api.client.get(path, params=query, headers=loaded.api.headers("reader"))


def _ok(loaded: Loaded, path: str, **query: str):
    answer = _get(loaded, path, **query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _figure(loaded: Loaded) -> str:
    return loaded.filed[KABUL].figures["nyt-family/0"]


def test_the_figure_by_id_is_the_family_count_until_the_investigation_was_published(loaded: Loaded) -> None:
    fid = _figure(loaded)
    before = _ok(loaded, f"/figures/{fid}", published_by=BEFORE_ANY)  # what the sources had said by then: nothing
    assert (before["state"], before["version"], before["value"]) == ("not_yet_recorded", 0, None)
    family = _ok(loaded, f"/figures/{fid}", published_by=FAMILY_ONLY)
    now = _ok(loaded, f"/figures/{fid}")
    assert family["value"]["number"] == 10
    assert family["version"] < now["version"]
    investigation = loaded.source(KABUL, "centcom-investigation")
    assert investigation not in {c["source_id"] for c in family["claims"]}
    assert _ok(loaded, f"/figures/{fid}", published_by=AFTER_ALL)["value"] == now["value"]


def test_figures_list_spread_and_report_figures_follow_the_cut(loaded: Loaded) -> None:
    fid = _figure(loaded)
    kabul = loaded.filed[KABUL].incidents
    incident = next(iter(kabul.values()))
    assert _ok(loaded, "/figures", incident_id=incident, published_by=BEFORE_ANY)["items"] == []
    listed = {f["figure_id"]: f for f in _ok(loaded, "/figures", incident_id=incident, published_by=FAMILY_ONLY)["items"]}
    assert listed[fid]["value"]["number"] == 10
    spread = _ok(loaded, f"/figures/{fid}/spread", published_by=FAMILY_ONLY)
    assert spread["published_by"].startswith("2021-09-16T23:59:59")
    everyone = _ok(loaded, f"/figures/{fid}/spread")
    assert 0 < len(spread["claims"]) < len(everyone["claims"])
    assert not any(c["superseded"] for c in spread["claims"])  # the supersession came with the investigation
    report = loaded.filed[KABUL].reports["centcom-investigation"]
    assert _ok(loaded, f"/reports/{report}", published_by=FAMILY_ONLY)["state"] == "not_yet_recorded"
    assert _ok(loaded, f"/reports/{report}", published_by=AFTER_ALL)["report_id"] == report
    family_report = loaded.filed[KABUL].reports["nyt-family"]
    stated = _ok(loaded, f"/reports/{family_report}/figures", published_by=FAMILY_ONLY)
    assert {f["figure_id"]: f["value"]["number"] for f in stated}[fid] == 10


def test_tallies_by_source_and_checks_take_the_cut(loaded: Loaded) -> None:
    investigation = loaded.source(KABUL, "centcom-investigation")
    by_source = _ok(loaded, "/tallies/civilians_killed/by-source", place="Kabul", published_by=FAMILY_ONLY)
    named = {s["source"]["source_id"] for s in by_source["sources"] if s["source"] != "protected"}
    assert named and investigation not in named
    assert investigation in {s["source"]["source_id"] for s in _ok(
        loaded, "/tallies/civilians_killed/by-source", place="Kabul")["sources"] if s["source"] != "protected"}
    assert _ok(loaded, "/tallies/civilians_killed/by-source", place="Kabul", published_by=BEFORE_ANY)["sources"] == []
    checks = _ok(loaded, "/checks", published_by=BEFORE_ANY, metric="civilians_killed")
    assert len(checks) < len(_ok(loaded, "/checks", metric="civilians_killed"))
    # Combined with as_of: before anything was filed, nothing, whatever the cut.
    assert _ok(loaded, "/tallies/civilians_killed", as_of=loaded.before, published_by=AFTER_ALL)["sum"]["figures"] == 0


def test_the_figure_history_reads_in_publication_order_and_under_the_cut(loaded: Loaded) -> None:
    fid = _figure(loaded)
    full = loaded.history("nyt-family/0", KABUL)
    cut = loaded.history("nyt-family/0", KABUL, published_by=FAMILY_ONLY)
    assert 0 < len(cut["versions"]) < len(full["versions"])
    assert all(v["published_at"] <= "2021-09-16T23:59:59.999999Z" for v in cut["versions"])
    ordered = loaded.history("nyt-family/0", KABUL, order="published")
    placed = [v["published_at"] for v in ordered["versions"]]
    assert placed == sorted(placed) and len(placed) == len(full["versions"])
    # A page at a time, in that order, to the last.
    pages, cursor = [], None
    while True:
        page = _ok(loaded, f"/figures/{fid}/history", order="published", limit="1", **({"cursor": cursor} if cursor else {}))
        pages += page["versions"]
        if not (cursor := page["next_cursor"]):
            break
    assert [v["version"] for v in pages] == [v["version"] for v in ordered["versions"]]
    # A cursor of the recording-order listing is not one of this listing's.
    recorded = _ok(loaded, f"/figures/{fid}/history", limit="1")
    assert_problem(_get(loaded, f"/figures/{fid}/history", order="published", cursor=recorded["next_cursor"]), 422,
                   field="cursor")


def test_each_version_under_the_cut_shows_the_figure_as_the_cut_has_it(loaded: Loaded) -> None:
    # Each version's value is the figure by id under the same cut as of that version's recording;
    # the last is the family's ten, not the investigation's "as many as 10", unpublished by then.
    # (The timeline was filed in publication order, so here that is also the ledger's value after
    # each version; test_publication_cut.py's property has the words filed out of order.)
    fid = _figure(loaded)
    investigation = loaded.source(KABUL, "centcom-investigation")
    now = _ok(loaded, f"/figures/{fid}")
    for order in ("recorded", "published"):
        cut = loaded.history("nyt-family/0", KABUL, published_by=FAMILY_ONLY, order=order)
        for v in cut["versions"]:
            then = _ok(loaded, f"/figures/{fid}", published_by=FAMILY_ONLY, as_of=v["recorded_at"])
            assert _reading(v) == _reading(then), v
            assert (v["value_source"] or {}).get("source_id") != investigation
        last = max(cut["versions"], key=lambda v: v["version"])
        assert _reading(last) == _reading(_ok(loaded, f"/figures/{fid}", published_by=FAMILY_ONLY))
        assert last["value"]["number"] == 10 and _reading(last) != _reading(now)


def _reading(figure: dict) -> tuple:
    value = figure["value"]
    return value["qualifier"], value.get("number"), value.get("low"), value.get("high"), figure["status"], figure["grade"]


def test_the_tally_export_states_the_cut(loaded: Loaded) -> None:
    answer = _get(loaded, "/tallies/civilians_killed", place="Kabul", published_by=FAMILY_ONLY, format="csv")
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert "published_by" in text and FAMILY_ONLY in text
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")]
    assert rows, text


@pytest.mark.parametrize("path", ["/tallies/civilians_killed", "/tallies/civilians_killed/by-source", "/checks",
                                  "/figures", "/figures/{fid}", "/figures/{fid}/spread", "/figures/{fid}/history",
                                  "/reports/{report}"])
@pytest.mark.parametrize("bad", ["yesterday", "2021-13-01", "2021-09-16T10:00:00", "16/09/2021"])
def test_a_bad_published_by_is_a_problem_naming_it(loaded: Loaded, path: str, bad: str) -> None:
    filled = path.format(fid=_figure(loaded), report=loaded.filed[KABUL].reports["nyt-family"])
    events = loaded.api.events()
    assert_problem(_get(loaded, filled, published_by=bad), 422, field="published_by")
    assert loaded.api.events() == events


def test_the_tally_history_under_the_cut_and_in_publication_order(loaded: Loaded) -> None:
    path = "/tallies/civilians_killed/history"
    cut = _ok(loaded, path, place="Kabul", published_by=FAMILY_ONLY)
    assert cut["points"] and cut["points"][-1]["low"] == 10 and cut["points"][-1]["high"] == 10
    ordered = _ok(loaded, path, place="Kabul", order="published")
    placed = [p["published_at"] for p in ordered["points"]]
    assert placed == sorted(placed) and placed[0].startswith("2021-08-31")  # the first count, the family's
    assert ordered["points"][-1]["low"] == _ok(loaded, "/tallies/civilians_killed", place="Kabul")["sum"]["low"]
    # Each point is the tally cut at its instant.
    for point in ordered["points"]:
        at = _ok(loaded, "/tallies/civilians_killed", place="Kabul", published_by=point["published_at"])["sum"]
        assert (at["low"], at["high"]) == (point["low"], point["high"]), point
    # A window in valid time as uncut: the strike (29 August 2021) in it, or not.
    for query in ({"published_by": FAMILY_ONLY}, {"order": "published"}):
        windowed = _ok(loaded, path, place="Kabul", valid_from="2021-08-01", valid_to="2021-08-31", **query)
        assert [p["low"] for p in windowed["points"]] == [p["low"] for p in _ok(loaded, path, place="Kabul", **query)[
            "points"]]
        assert windowed["valid_from"] == "2021-08-01"
        assert _ok(loaded, path, place="Kabul", valid_from="2021-09-01", **query)["points"] == []
    exported = _get(loaded, path, place="Kabul", order="published", format="csv")
    assert exported.status_code == 200 and "published_at" in exported.text


def test_the_reports_list_holds_only_the_reports_published_by_the_cut(loaded: Loaded) -> None:
    """The reports list takes the cut as the report by id does: its day by the cut's, or undated
    and filed by then; its CSV export holds the same reports."""
    kabul = loaded.filed[KABUL].reports

    def listed(**query: str) -> set[str]:
        ids, cursor = set(), None
        while True:
            page = _ok(loaded, "/reports", limit="200", **query, **({"cursor": cursor} if cursor else {}))
            ids |= {r["report_id"] for r in page["items"]}
            if not (cursor := page["next_cursor"]):
                return ids

    everything = listed()
    assert set(kabul.values()) <= everything
    assert not set(kabul.values()) & listed(published_by="2021-08-28")
    family = listed(published_by="2021-08-31")
    assert {kabul["centcom-statement"], kabul["nyt-family"], kabul["bbc-family"]} <= family
    assert not {kabul["milley-briefing"], kabul["centcom-investigation"], kabul["austin-statement"]} & family
    assert set(kabul.values()) <= listed(published_by=AFTER_ALL)
    # The seed's undated reports count from their filing: in at any cut after it, out before it.
    undated = {r["report_id"] for r in _ok(loaded, "/reports", limit="200")["items"] if r.get("published_on") is None}
    assert undated <= listed(published_by="2100-01-01") and not undated & listed(published_by=AFTER_ALL)
    exported = _get(loaded, "/reports", published_by="2021-08-31", format="csv")
    assert exported.status_code == 200
    assert {r["report_id"] for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))} == family
    assert _get(loaded, "/reports", published_by="soon").status_code == 422
    # An empty cut is no date (the schema says a date): refused, not read as "no cut".
    report = loaded.filed[KABUL].reports["nyt-family"]
    for path in ("/reports", f"/reports/{report}/figures", "/tallies/civilians_killed"):
        assert_problem(_get(loaded, path, published_by=""), 422, field="published_by")


def test_the_dashboards_total_under_a_cut_is_the_folded_tallys(loaded, api, world):
    """As of now the dashboard's total under a publication cut is read off the kept deltas
    (published_running.py), not folded from every figure: the same as the tally folds it, for
    readers and auditors, at cuts before, between and after the words (the timelines, and a world
    with a protected source's words)."""
    for app in (loaded.api.client.app, api.client.app):
        app.state.follower.catch_up()
        reader = app.state.reader
        for cut in ("2000-01-01", "2019-05-01", "2019-06-15", "2022-03-01", "2023-11-01", "2024-05-10", "2100-01-01"):
            for sees in (False, True):
                for metric in ("civilians_killed", "killed", "airstrikes", "displaced"):
                    kept = reader.tally_splits(metric, published_by=cut, include_protected=sees)
                    folded = reader.tally(metric, published_by=cut, include_protected=sees)["sum"]
                    assert kept["splits_kept"] is False and kept["splits"] == {}
                    assert kept["sum"] == {k: v for k, v in folded.items() if k != "figure_ids"}, (cut, sees, metric)
