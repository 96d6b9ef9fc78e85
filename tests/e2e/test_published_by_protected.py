"""A protected source's report date stays withheld under ``published_by``: a reader who asks cut
after cut learns nothing of it, since a hidden source's words count from their filing for
anyone but an auditor (docs/model.md, "Three times"); once the source is unprotected, its words
count by their report's date again. On both stores, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import Api, assert_problem

REPORTED = "2019-05-10"  # the witness's report date, years before it was filed
BEFORE = "2019-05-05"  # after the public report, before the witness's
#: Cuts between the report date and the filing: a reader's answers must not move across them.
BETWEEN = (REPORTED, "2019-05-11", "2021-01-01")


def _world(api: Api) -> dict[str, str]:
    ledger, actor = api.ledger, "seed-officer"
    public = ledger.register_source(actor, name="SNHR", kind="monitoring_network", language="en")["source_id"]
    witness = ledger.register_source(actor, name="Witness cell", kind="witness", language="ar",
                                     protected=True)["source_id"]
    shared = ledger.record_incident(actor, title="Shelling", places=["Idlib"], valid_from="2019-04-26")["incident_id"]
    own = ledger.record_incident(actor, title="Strike", places=["Hama"], valid_from="2019-04-28")["incident_id"]
    stated = ledger.file_report(actor, source_id=public, title="SNHR report", language="en", published_on="2019-05-01",
                                figures=[{"incident_id": shared, "metric": "civilians_killed", "breakdown": {},
                                          "value": {"qualifier": "at_least", "number": 108}}])
    figure = stated["figures"][0]["figure_id"]
    witnessed = ledger.file_report(
        actor, source_id=witness, title="Field notes", language="ar", published_on=REPORTED,
        figures=[{"incident_id": own, "metric": "civilians_killed", "breakdown": {},
                  "value": {"qualifier": "exact", "number": 112}},
                 {"incident_id": shared, "metric": "civilians_killed", "breakdown": {},
                  "value": {"qualifier": "exact", "number": 130}, "adopt": True, "reason": "the later count"}])
    return {"witness": witness, "figure": figure, "own": witnessed["figures"][0]["figure_id"], "incident": own}


def _answers(api: Api, role: str, cut: str | None, w: dict[str, str]) -> dict[str, Any]:
    """What ``role`` is told under the cut, the cut's own echo left out."""
    cut_q = {} if cut is None else {"published_by": cut}
    paths = {
        "tally": ("/tallies/civilians_killed", {}),
        "tally by perpetrator": ("/tallies/civilians_killed", {"by": "perpetrator", "figure_ids": "true"}),
        "by source": ("/tallies/civilians_killed/by-source", {}),
        "figures": ("/figures", {"metric": "civilians_killed"}),
        "checks": ("/checks", {"metric": "civilians_killed"}),
        "figure": (f"/figures/{w['figure']}", {}),
        "spread": (f"/figures/{w['figure']}/spread", {}),
        "own figure": (f"/figures/{w['own']}", {}),
    }
    out: dict[str, Any] = {}
    for name, (path, query) in paths.items():
        answer = api.client.get(path, params={**query, **cut_q}, headers=api.headers(role))
        assert answer.status_code in (200, 404), (name, answer.text)
        body = answer.json() if answer.status_code == 200 else 404
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "published_by"}
        out[name] = body
    return out


def test_a_readers_cuts_do_not_tell_a_protected_reports_date(api: Api) -> None:
    w = _world(api)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    reader_before = _answers(api, "reader", BEFORE, w)
    auditor_before = _answers(api, "auditor", BEFORE, w)
    assert reader_before["own figure"]["state"] == "not_yet_recorded"  # a public figure, its words not out yet
    assert reader_before["figure"]["value"]["number"] == 108
    for cut in BETWEEN:
        assert _answers(api, "reader", cut, w) == reader_before, cut
    # The auditor's answers do move at the report date: the test could fail.
    auditor_between = _answers(api, "auditor", BETWEEN[0], w)
    assert auditor_between != auditor_before
    assert auditor_between["tally"]["sum"]["low"] == 130 + 112
    assert auditor_between["figure"]["value"]["number"] == 130
    # Past the filing the witness's words count for the reader too, as without a cut.
    reader_after = _answers(api, "reader", tomorrow, w)
    assert reader_after["tally"]["sum"]["low"] == 130 + 112
    assert reader_after == _answers(api, "reader", None, w)

    # Unprotected (the version it was decided on is needed), the reader follows the report date.
    where = f"/sources/{w['witness']}/protection"
    assert_problem(api.post(where, {"protected": False, "reason": "the threat has passed"}), 428)
    assert _answers(api, "reader", BETWEEN[0], w) == reader_before
    done = api.post(where, {"protected": False, "reason": "the threat has passed"}, If_Match='"1"')
    assert done.status_code == 200, done.text
    reader_between = _answers(api, "reader", BETWEEN[0], w)
    assert reader_between != reader_before
    assert reader_between["tally"] == auditor_between["tally"]
    assert reader_between["own figure"]["value"]["number"] == 112
    assert _answers(api, "reader", BEFORE, w)["tally"] == reader_before["tally"]
