"""A figure's and a tally's history say what each source said, in which report and when it was
published, whoever's value the figure stood at after it; a protected source stays unnamed."""

from __future__ import annotations

from tests.e2e.conftest import MARK, Api, World


def _council(api: Api, world: World, value: dict, **extra) -> str:
    filed = api.post("/reports", {
        "source_id": world.spare_source, "title": "Council list", "language": "ar", "published_on": "2019-06-01",
        "figures": [{"incident_id": world.incident, "metric": "civilians_killed", "value": value, **extra}]})
    assert filed.status_code == 201, filed.text
    return filed.json()["report_id"]


def test_each_version_shows_what_its_source_said_not_the_figures_value(api: Api, world: World) -> None:
    report = _council(api, world, {"qualifier": "approximate", "number": 130, "term": "about",
                                   "quote": "نحو 130 مدنياً"})
    versions = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"]
    stated, protected, claimed = versions[0], versions[1], versions[-1]
    assert (stated["event"], stated["said"]["value"]["low"], stated["said"]["adopted"]) == ("stated", 108, True)
    assert stated["said"]["source"]["source_id"] == world.public_source
    assert stated["said"]["report_id"] == world.public_report
    # The council's word as it said it, though the figure still stands at the public source's 108.
    assert claimed["event"] == "claimed" and claimed["value"]["low"] == 108
    said = claimed["said"]
    assert (said["value"]["qualifier"], said["value"]["number"], said["value"]["term"], said["value"]["quote"]) == (
        "approximate", 130, "about", "نحو 130 مدنياً")
    assert (said["source"]["source_id"], said["report_id"], said["published_on"], said["filed_by"],
            said["adopted"]) == (world.spare_source, report, "2019-06-01", claimed["actor"], False)
    assert claimed["actor"]
    # The protected source's claim: its numbers, never its name, words or report.
    assert protected["said"]["source"] == "protected" and protected["said"]["value"]["low"] == 112
    assert (protected["said"]["report_id"], protected["said"]["published_on"],
            protected["said"]["value"]["quote"]) == (None, None, None)
    text = api.get(f"/figures/{world.figure}/history", "reader").text
    assert MARK not in text and world.protected_source not in text and world.protected_report not in text
    audited = api.get(f"/figures/{world.figure}/history", "auditor").json()["versions"][1]["said"]
    assert (audited["source"]["source_id"], audited["report_id"], audited["value"]["quote"]) == (
        world.protected_source, world.protected_report, f"{MARK} counted 112")


def test_an_adoption_shows_its_word_adopted_and_a_correction_shows_none(api: Api, world: World) -> None:
    _council(api, world, {"qualifier": "exact", "number": 121}, adopt=True, reason="the council names every victim",
             evidence=[world.public_citation])
    version = api.get(f"/figures/{world.figure}", "officer").json()["version"]
    corrected = api.post(f"/figures/{world.figure}/corrections", {
        "value": {"qualifier": "exact", "number": 122}, "reason": "one more name", "evidence": [world.public_citation]},
        If_Match=f'"{version}"')
    assert corrected.status_code in (200, 201), corrected.text
    versions = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"]
    adopted, correction = versions[-2], versions[-1]
    assert (adopted["event"], adopted["said"]["adopted"], adopted["said"]["value"]["number"],
            adopted["reason"], adopted["evidence"]) == (
        "adopted", True, 121, "the council names every victim", [world.public_citation])
    assert (correction["event"], correction["said"], correction["reason"]) == ("corrected", None, "one more name")


def test_a_tallys_history_names_whose_claim_moved_it(api: Api, world: World) -> None:
    report = _council(api, world, {"qualifier": "exact", "number": 121}, adopt=True, reason="names every victim")
    for path in ("/tallies/civilians_killed/history", "/tallies/civilians_killed/history?valid_from=2019-01-01"):
        points = api.get(path, "reader").json()["points"]
        last = points[-1]["moved_by"]
        assert [(m["figure_id"], m["source"]["source_id"], m["report_id"], m["published_on"]) for m in last] == [
            (world.figure, world.spare_source, report, "2019-06-01")], path
        assert [m["report_id"] for p in points for m in p["moved_by"]] == [world.public_report, report]
        # The injured were stated by the protected source alone: its claim moved them, unnamed.
        injured = path.replace("civilians_killed", "civilians_injured")
        answer = api.get(injured, "reader")
        assert MARK not in answer.text and world.protected_source not in answer.text
        assert world.protected_report not in answer.text
        assert [(m["figure_id"], m["source"], m["report_id"], m["published_on"])
                for p in answer.json()["points"] for m in p["moved_by"]] == [
            (world.protected_figure, "protected", None, None)], injured
        audited = [m for p in api.get(injured, "auditor").json()["points"] for m in p["moved_by"]]
        assert [(m["source"]["source_id"], m["report_id"]) for m in audited] == [
            (world.protected_source, world.protected_report)]


def test_protecting_a_source_later_hides_its_word_in_both_histories_at_once(api: Api, world: World) -> None:
    report = _council(api, world, {"qualifier": "exact", "number": 121, "quote": "121 named victims"}, adopt=True,
                      reason="names every victim")
    changed = api.post(f"/sources/{world.spare_source}/protection", {"protected": True, "reason": "threats"})
    assert changed.status_code in (200, 201), changed.text
    figure = api.get(f"/figures/{world.figure}/history", "reader")
    tally = api.get("/tallies/civilians_killed/history", "reader")
    for answer in (figure, tally):
        assert world.spare_source not in answer.text and report not in answer.text
        assert "2019-06-01" not in answer.text and "121 named victims" not in answer.text
    said = figure.json()["versions"][-1]["said"]
    assert (said["source"], said["report_id"], said["published_on"], said["value"]["number"]) == (
        "protected", None, None, 121)
    moved = tally.json()["points"][-1]["moved_by"]
    assert [(m["source"], m["report_id"], m["published_on"]) for m in moved] == [("protected", None, None)]
    audited = api.get(f"/figures/{world.figure}/history", "auditor").json()["versions"][-1]["said"]
    assert (audited["report_id"], audited["published_on"]) == (report, "2019-06-01")


def test_a_supersession_shows_the_superseding_word_adopted(api: Api, world: World) -> None:
    version = api.ledger.figure(world.figure).version
    response = api.post(f"/figures/{world.figure}/supersessions", {
        "source_id": world.public_source, "report_id": world.public_report,
        "value": {"qualifier": "exact", "number": 115, "quote": "115 in the final list"},
        "reason": "the investigation's final list"}, If_Match=f'"{version}"')
    assert response.status_code == 200, response.text
    last = api.get(f"/figures/{world.figure}/history", "reader").json()["versions"][-1]
    assert last["event"] == "superseded" and last["value"]["number"] == 115
    assert (last["said"]["source"]["source_id"], last["said"]["report_id"], last["said"]["adopted"],
            last["said"]["value"]["quote"]) == (world.public_source, world.public_report, True,
                                                "115 in the final list")
    assert last["replaces"] == ["protected"]
