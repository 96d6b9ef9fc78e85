"""Real revision timelines (ledger/seed/timelines/), filed through the API as an officer would,
read back as a reader: each version as its source said it, the spread between sources, the
investigation's supersession with its evidence, approximate counts flagged, tallies by source,
nothing before the first report, and histories a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from api.timelines import TIMELINES, Filed, load_timeline, timeline_data
from tests.conftest import make_store
from tests.e2e.conftest import Api, open_api


@dataclass
class Loaded:
    api: Api
    before: str  # a moment before anything was filed
    filed: dict[str, Filed]

    def history(self, ref: str, case: str, **query: str) -> dict:
        asked = "&".join(f"{k}={v}" for k, v in query.items())
        answer = self.api.get(f"/figures/{self.filed[case].figures[ref]}/history?{asked}", "reader")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def source(self, case: str, key: str) -> str:
        return self.filed[case].sources[key]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """All four timelines, loaded once per store for the module (the tests only read)."""
    tmp = tmp_path_factory.mktemp("timelines")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LEDGER_SIGNING_KEY", str(tmp / "signing-key.pem"))
        stores = make_store(request.param, tmp)
        try:
            with open_api(next(stores)) as api:
                before = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                filed = {name: load_timeline(api.client, api.keys["officer"], timeline_data(name)) for name in TIMELINES}
                yield Loaded(api, before, filed)
        finally:
            stores.close()


def _said(version: dict) -> tuple:
    said = version["said"]
    return (said["source"]["source_id"], said["value"]["qualifier"], said["value"]["number"], said["value"]["quote"],
            said["published_on"], said["adopted"])


def test_loading_a_timeline_twice_records_nothing_new(loaded: Loaded) -> None:
    events = loaded.api.events()
    again = load_timeline(loaded.api.client, loaded.api.keys["officer"], timeline_data("kabul-strike-2021"))
    assert loaded.api.events() == events
    assert again.figures == loaded.filed["kabul-strike-2021"].figures


def test_every_report_and_quoted_figure_is_filed_and_cited(loaded: Loaded) -> None:
    for name, filed in loaded.filed.items():
        data = timeline_data(name)
        assert set(filed.reports) == set(data["reports"]), name
        for key, report_id in filed.reports.items():
            report = loaded.api.get(f"/reports/{report_id}", "reader").json()
            stated = data["reports"][key]
            assert (report["title"], report["published_on"], report["url"]) == (
                stated["title"], stated["published_on"], stated["url"]), key
            cited = loaded.api.get(f"/reports/{report_id}/citations", "reader").json()
            assert [c["url"] for c in cited] == [stated["url"]], key
        for ref, figure_id in filed.figures.items():
            words = [c["quote"] for c in loaded.api.get(f"/figures/{figure_id}/citations", "reader").json()]
            report, n = ref.split("/")
            assert data["reports"][report]["figures"][int(n)]["value"]["quote"] in words, ref


def test_the_kabul_strike_history_shows_each_account_then_the_investigation_superseding_it(loaded: Loaded) -> None:
    case = "kabul-strike-2021"
    filed = loaded.filed[case]
    versions = loaded.history("nyt-family/0", case)["versions"]
    assert [v["event"] for v in versions] == ["stated", "claimed", "claimed", "superseded", "regraded"]
    stated, bbc, investigation, superseded, graded = versions
    assert _said(stated) == (loaded.source(case, "nyt"), "exact", 10, "survivors and neighbours said the strike had"
                             " killed 10 people, including seven children, an aid worker for an American charity"
                             " organisation and a contractor with the US military", "2021-08-31", True)
    assert stated["said"]["filed_by"] == "officer-1"
    assert _said(bbc)[:3] + _said(bbc)[4:] == (loaded.source(case, "bbc"), "exact", 10, "2021-08-31", False)
    # The investigation's report was filed as a claim first; the figure stayed at the family's ten.
    assert (investigation["said"]["value"]["qualifier"], investigation["value"]["qualifier"]) == ("at_most", "exact")
    assert superseded["said"]["source"]["source_id"] == loaded.source(case, "centcom-investigation")
    assert superseded["said"]["report_id"] == filed.reports["centcom-investigation"]
    assert (superseded["value"]["qualifier"], superseded["value"]["low"], superseded["value"]["high"]) == (
        "at_most", 0, 10)
    assert superseded["said"]["value"]["quote"].startswith("I am now convinced that as many as 10 civilians")
    assert superseded["reason"].startswith("CENTCOM's investigation, the finding of the party that struck")
    assert superseded["evidence"] == [filed.citations["centcom-investigation/0"], filed.citations["austin-statement"]]
    assert sorted(r["source_id"] for r in superseded["replaces"]) == sorted(
        [loaded.source(case, "nyt"), loaded.source(case, "bbc")])
    assert (graded["grade"], graded["reason"].split(" (")[0]) == (
        "confirmed", "The party that struck acknowledged the deaths after its investigation")


def test_the_kabul_children_spread_keeps_six_and_seven_beside_the_investigations_up_to_seven(loaded: Loaded) -> None:
    case = "kabul-strike-2021"
    spread = loaded.api.get(f"/figures/{loaded.filed[case].figures['nyt-family/1']}/spread", "reader").json()
    claims = {c["source"]["source_id"]: (c["qualifier"], c["low"], c["high"], c["superseded"]) for c in spread["claims"]}
    assert claims == {loaded.source(case, "nyt"): ("exact", 7, 7, True),
                      loaded.source(case, "bbc"): ("exact", 6, 6, True),
                      loaded.source(case, "centcom-investigation"): ("at_most", 0, 7, False)}
    assert (spread["range"]["sources"], spread["range"]["min_low"], spread["range"]["max_high"]) == (3, 0, 7)
    assert (spread["live_range"]["sources"], spread["live_range"]["max_high"]) == (1, 7)
    assert spread["current"]["grade"] == "contested"


def test_the_militarys_first_statements_are_reports_without_figures_and_keep_their_words(loaded: Loaded) -> None:
    filed = loaded.filed["kabul-strike-2021"]
    for key, words in (("centcom-statement", "which we know disrupted an imminent ISIS-K threat to the airport"),
                       ("milley-briefing", "at least one of those people that were killed was a ISIS facilitator")):
        report = loaded.api.get(f"/reports/{filed.reports[key]}", "reader").json()
        assert report["figure_ids"] == []
        [cited] = loaded.api.get(f"/reports/{filed.reports[key]}/citations", "reader").json()
        assert words in cited["quote"], key


def test_ohchrs_running_total_is_adopted_update_by_update_with_its_words_as_evidence(loaded: Loaded) -> None:
    case = "ukraine-ohchr-2022"
    filed = loaded.filed[case]
    versions = loaded.history("ohchr-2022-03-01/0", case)["versions"]
    assert [(v["event"], v["value"]["low"]) for v in versions] == [
        ("stated", 227), ("adopted", 249), ("adopted", 331), ("adopted", 474), ("adopted", 902), ("adopted", 1081),
        ("adopted", 1480), ("adopted", 8173)]
    assert all(v["value"]["qualifier"] == "at_least" and v["value"]["high"] is None for v in versions)
    dicarlo = versions[6]
    assert dicarlo["said"]["source"]["source_id"] == loaded.source(case, "un-dppa")
    assert dicarlo["reason"].startswith("The Under-Secretary-General gives the Security Council OHCHR's updated numbers")
    assert dicarlo["evidence"] == [filed.citations["dicarlo-2022-04-04/0"]]
    assert [v["said"]["published_on"] for v in versions] == [
        "2022-03-02", "2022-03-03", "2022-03-04", None, "2022-03-20", "2022-03-25", "2022-04-04", "2023-03-07"]


def test_a_figures_history_comes_a_page_at_a_time(loaded: Loaded) -> None:
    case = "ukraine-ohchr-2022"
    whole = loaded.history("ohchr-2022-03-01/0", case)
    assert whole["next_cursor"] is None and len(whole["versions"]) == 8
    pages, cursor = [], None
    while True:
        page = loaded.history("ohchr-2022-03-01/0", case, limit="3", **({"cursor": cursor} if cursor else {}))
        pages.append([v["version"] for v in page["versions"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [v for p in pages for v in p] == [v["version"] for v in whole["versions"]]


def test_a_tallys_history_comes_a_page_at_a_time_and_names_each_update(loaded: Loaded) -> None:
    def page(**query: str) -> dict:
        return loaded.api.client.get("/tallies/civilians_killed/history", params={"place": "Ukraine", **query},
                                     headers=loaded.api.headers("reader")).json()

    whole = page()["points"]
    assert [p["low"] for p in whole] == [227, 249, 331, 474, 902, 1081, 1480, 8173]
    points, cursor = [], None
    while True:
        answer = page(limit="3", **({"cursor": cursor} if cursor else {}))
        points += answer["points"]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert points == whole
    reports = loaded.filed["ukraine-ohchr-2022"].reports
    assert [m["report_id"] for p in whole for m in p["moved_by"]] == [reports[k] for k in (
        "ohchr-2022-03-01", "ohchr-2022-03-02", "ohchr-2022-03-03", "ohchr-2022-03-07", "ohchr-2022-03-19",
        "ohchr-2022-03-24", "dicarlo-2022-04-04", "ohchr-2023-03-05")]


def test_before_the_first_report_a_figure_is_not_yet_recorded(loaded: Loaded) -> None:
    figure_id = loaded.filed["kabul-strike-2021"].figures["nyt-family/0"]
    history = loaded.api.client.get(f"/figures/{figure_id}/history", params={"as_of": loaded.before},
                                    headers=loaded.api.headers("reader")).json()
    assert (history["state"], history["versions"]) == ("not_yet_recorded", [])
    spread = loaded.api.client.get(f"/figures/{figure_id}/spread", params={"as_of": loaded.before},
                                   headers=loaded.api.headers("reader")).json()
    assert (spread["state"], spread["current"], spread["claims"]) == ("not_yet_recorded", None, [])


def test_the_tally_by_source_sets_airwars_beside_the_coalition_and_flags_almost_1400_approximate(loaded: Loaded) -> None:
    case = "coalition-airwars-2014"
    answer = loaded.api.get("/tallies/civilians_killed/by-source?place=Syria", "reader").json()
    sums = {s["source"]["source_id"]: s for s in answer["sources"]}
    assert set(sums) == {loaded.source(case, "airwars"), loaded.source(case, "coalition")}
    airwars, coalition = sums[loaded.source(case, "airwars")], sums[loaded.source(case, "coalition")]
    assert (airwars["low"], airwars["high"], airwars["approximate"]) == (5961, None, False)
    # "almost 1,400": nearly N reads [N - N/10, N] (ledger/value.py).
    assert (coalition["low"], coalition["high"], coalition["approximate"], coalition["approximate_figures"]) == (
        1260, 1400, True, 1)
    tally = loaded.api.get("/tallies/civilians_killed?place=Syria", "reader").json()["sum"]
    assert (tally["low"], tally["high"], tally["approximate"]) == (5961, None, False)


def test_the_spread_between_airwars_and_the_coalition(loaded: Loaded) -> None:
    case = "coalition-airwars-2014"
    figure_id = loaded.filed[case].figures["airwars-2015-08/0"]
    spread = loaded.api.get(f"/figures/{figure_id}/spread", "reader").json()
    assert {c["source"]["source_id"]: (c["qualifier"], c["low"], c["high"]) for c in spread["claims"]} == {
        loaded.source(case, "airwars"): ("at_least", 5961, None),
        loaded.source(case, "coalition"): ("approximate", 1260, 1400)}
    assert (spread["range"]["min_low"], spread["range"]["max_low"], spread["range"]["max_high"]) == (1260, 5961, None)
    ranges = [(v["said"]["value"]["low"], v["said"]["value"]["high"]) for v in loaded.history(
        "airwars-2015-08/0", case)["versions"] if v["said"] and v["said"]["value"]["qualifier"] == "range"]
    assert ranges == [(459, 591), (1004, 1419)]


def test_gazas_tally_history_flags_the_point_where_about_35173_was_adopted(loaded: Loaded) -> None:
    points = loaded.api.get("/tallies/killed/history?place=Gaza%20Strip", "reader").json()["points"]
    assert [(p["low"], p["high"], p["approximate"]) for p in points] == [
        (21672, None, False), (34622, 34622, False), (35173 - 3518, 35173 + 3518, True), (41001, None, False)]
    assert [m["published_on"] for p in points for m in p["moved_by"]] == [
        "2023-12-30", "2024-05-08", "2024-05-14", "2024-09-18"]
    groups = loaded.api.get("/tallies/killed?place=Gaza%20Strip&by=victim_group", "reader").json()["groups"]
    children = next(g for g in groups if g["value"] == "children")
    assert (children["approximate"], children["low"], children["high"]) == (True, 14500 - 1450, 14500 + 1450)


def test_a_count_of_the_identified_dead_never_meets_the_whole_count(loaded: Loaded) -> None:
    """OCHA's 8 May 2024 children (7,797 identified) are no revision of 6 May's (some 14,500 of all the
    dead): filed on one figure they would read as the toll halved."""
    filed = loaded.filed["gaza-moh-2024"]
    children = loaded.api.get(f"/figures/{filed.figures['gmo-via-ocha-2024-05-06/0']}/spread", "reader").json()
    assert [c["value"]["number"] for c in children["claims"]] == [14500]


def test_the_identified_dead_are_a_figure_of_their_own(loaded: Loaded) -> None:
    filed = loaded.filed["gaza-moh-2024"]
    assert filed.populations and not filed.held_back
    total, identified = filed.figures["moh-via-ocha-2024-05-08/0"], filed.figures["moh-via-ocha-2024-05-08/1"]
    assert total != identified
    figure = loaded.api.get(f"/figures/{identified}", "reader").json()
    assert (figure["population"], figure["value"]["number"]) == ("identified", 34344)
    versions = loaded.history("moh-via-ocha-2024-05-08/1", "gaza-moh-2024")["versions"]
    assert [v["value"]["number"] for v in versions] == [24686, 34344]
    children = loaded.api.get(f"/figures/{filed.figures['moh-via-ocha-2024-05-08/2']}/spread", "reader").json()
    assert [c["value"]["number"] for c in children["claims"]] == [11355]
    unidentified = loaded.api.get(f"/figures/{filed.figures['moh-list-2024-09/1']}", "reader").json()
    assert (unidentified["population"], unidentified["value"]["number"]) == ("unidentified", 7613)
    # The whole count's tally is not swollen by its subsets.
    tally = loaded.api.get("/tallies/killed?place=Gaza%20Strip", "reader").json()["sum"]
    assert (tally["low"], tally["high"]) == (41001, None)


def test_the_ministrys_dead_are_everyone_killed_and_never_swell_a_civilian_tally(loaded: Loaded) -> None:
    """The Ministry counts civilians and fighters alike: its figures are `killed`, and a tally never mixes metrics."""
    data = timeline_data("gaza-moh-2024")
    metrics = {f["metric"] for report in data["reports"].values() for f in report["figures"]}
    assert metrics == {"killed", "civilians_injured"}
    civilians = loaded.api.get("/tallies/civilians_killed?place=Gaza%20Strip", "reader").json()["sum"]
    assert civilians["figures"] == 0 and civilians["low"] == 0
    killed = loaded.api.get("/vocabulary/killed", "reader").json()
    assert killed["kind"] == "metric" and killed["label_ar"] == "القتلى"
    assert loaded.api.get("/vocabulary/civilians_killed", "reader").json()["part_of"] == "killed"


def test_a_tally_as_published_by_a_date_counts_only_what_was_published_by_then(loaded: Loaded) -> None:
    def tally(place: str, published_by: str) -> dict:
        return loaded.api.client.get("/tallies/civilians_killed", params={"place": place, "published_by": published_by},
                                     headers=loaded.api.headers("reader")).json()["sum"]

    assert (tally("Ukraine", "2022-03-03")["low"]) == 249
    assert (tally("Ukraine", "2022-04-01")["low"]) == 1081
    # Before CENTCOM's investigation was published, the family's ten stood.
    kabul = tally("Kabul", "2021-09-16")
    assert (kabul["low"], kabul["high"]) == (10, 10)
    assert tally("Kabul", "2021-08-30")["figures"] == 0


def test_the_gaza_strip_is_a_place_of_the_vocabulary_with_its_p_code(loaded: Loaded) -> None:
    filed = loaded.filed["gaza-moh-2024"]
    assert filed.terms == ["place:Gaza Strip"]
    term = loaded.api.get("/vocabulary/place:Gaza%20Strip", "reader")
    assert term.status_code == 200, term.text
    read = term.json()
    assert (read["kind"], read["dimension"], read["label_ar"], read["p_code"], read["coordinates"]) == (
        "value", "place", "قطاع غزة", "PS02", [31.4167, 34.3333])
    # Filed with a request key: loading the timeline again defines nothing new.
    events = loaded.api.events()
    again = load_timeline(loaded.api.client, loaded.api.keys["officer"], timeline_data("gaza-moh-2024"))
    assert loaded.api.events() == events and again.terms == filed.terms


def _identified_checks(loaded: Loaded, published_by: str) -> dict[str, dict]:
    answer = loaded.api.client.get("/checks", params={"population": "identified", "published_by": published_by,
                                                      "incident_id": loaded.filed["gaza-moh-2024"].incidents["war"]},
                                   headers=loaded.api.headers("reader"))
    assert answer.status_code == 200, answer.text
    return {(c["check"], *c["total"]["breakdown"].values()): c for c in answer.json()}


def test_the_identified_dead_are_checked_against_the_whole_count_and_their_groups_against_them(loaded: Loaded) -> None:
    """As published by 8 May 2024: 24,686 identified of 34,622 reported (9,936 not identified), and the
    identified by victim group, 7,797 + 4,959 + 1,924 + 10,006, are all of the identified."""
    checks = _identified_checks(loaded, "2024-05-08")
    # The identified of each victim group against OCHA's 6 May groups of all the dead, too.
    assert set(checks) == {("subset",), ("parts",), ("subset", "children"), ("subset", "women")}
    women = checks[("subset", "women")]
    assert (women["total"]["approximate"], women["total"]["low"], women["parts"][0]["low"], women["status"]) == (
        True, 9500 - 950, 4959, "remainder")
    subset, parts = checks[("subset",)], checks[("parts",)]
    assert (subset["population"], subset["total"]["population"], subset["total"]["low"]) == (
        "identified", "counted", 34622)
    assert [(p["value"], p["low"]) for p in subset["parts"]] == [("identified", 24686)]
    assert (subset["status"], subset["remainder"]) == ("remainder", {"low": 34622 - 24686, "high": 34622 - 24686})
    assert not subset["total"]["approximate"]
    assert (parts["dimension"], parts["total"]["population"], parts["total"]["low"]) == (
        "victim_group", "identified", 24686)
    assert [(p["value"], p["low"]) for p in parts["parts"]] == [
        ("children", 7797), ("elderly", 1924), ("men", 10006), ("women", 4959)]
    assert (parts["status"], parts["parts_low"], parts["remainder"]) == ("complete", 24686, {"low": 0, "high": 0})
    # On 14 May the Ministry's total was "about 35,173": the remainder is then the ledger's reading, and says so.
    later = _identified_checks(loaded, "2024-05-14")[("subset",)]
    assert (later["total"]["approximate"], later["status"], later["remainder"]) == (
        True, "remainder", {"low": 31655 - 24686, "high": 38691 - 24686})
