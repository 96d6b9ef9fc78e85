"""The audit log: every event in order, with actor, time, subject and reason; filters and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.audit.leaf import parse_recorded_at
from ledger.citation import Citation
from ledger.figure import Figure
from ledger.incident import Incident
from projections.audit import AuditRequestError


def everything(trail, **filters) -> list[dict]:
    items, cursor = [], None
    while True:
        page = trail.log(cursor=cursor, limit=7, **filters)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def decoded(ledger) -> list:
    return [(n, ledger.mapper.to_domain_event(n)) for n in ledger.recorder.select_notifications(start=None, limit=10**6)]


def concerns(event, n, *, figure: str | None = None, incident: str | None = None, figures_of: dict, cited: dict) -> bool:
    """An independent model of which events concern a figure or an incident."""
    aggregate = str(n.originator_id)

    def about(figure_id: str | None) -> bool:
        return figure_id is not None and (figure_id == figure or (incident is not None
                                                                  and figures_of.get(figure_id) == incident))

    if isinstance(event, (Figure.Stated, Figure.Claimed, Figure.Corrected, Figure.Superseded, Figure.Retracted,
                          Figure.Regraded)):
        return about(aggregate)
    if isinstance(event, (Incident.Recorded, Incident.PeriodRevised)):
        return incident is not None and aggregate == incident
    if isinstance(event, (Citation.Cited, Citation.Withdrawn)):
        return about(cited.get(aggregate))
    return False


@pytest.fixture
def history(store, ledger, trail, seed_ids):
    figure = seed_ids["figures"]["snhr-report/0"]
    version = ledger.figure(figure).version
    ledger.correct_figure("officer-nour", figure, value={"qualifier": "exact", "number": 110},
                          reason="a second count of the names", expected_version=version)
    citation = ledger.cite("officer-nour", target_id=figure, source_id=seed_ids["sources"][next(iter(seed_ids["sources"]))],
                           quote="110 names")["citation_id"]
    ledger.withdraw_citation("officer-rami", citation, reason="wrong page")
    trail.catch_up()
    return figure


def test_every_event_is_listed_in_order_with_who_when_and_what(ledger, trail, history):
    items = everything(trail)
    events = decoded(ledger)
    assert [i["notification_id"] for i in items] == [n.id for n, _ in events]
    assert [i["position"] for i in items] == list(range(len(events)))
    for item, (n, event) in zip(items, events):
        assert item["actor"] == event.actor
        assert parse_recorded_at(item["recorded_at"]) == event.timestamp
        assert item["topic"] == n.topic and item["kind"] == n.topic.split(":")[1]
        assert item["aggregate_id"] == str(n.originator_id) and item["aggregate_version"] == n.originator_version
        assert item["reason"] == getattr(event, "reason", None)
        assert item["evidence"] == (list(getattr(event, "evidence", None) or []) or None)
    assert [i["kind"] for i in items[-3:]] == ["Figure.Corrected", "Citation.Cited", "Citation.Withdrawn"]
    assert items[-3]["reason"] == "a second count of the names" and items[-1]["reason"] == "wrong page"


def test_filters_by_figure_incident_and_actor_match_an_independent_model(ledger, trail, history, seed_ids):
    events = decoded(ledger)
    figures_of = {str(n.originator_id): e.incident_id for n, e in events if isinstance(e, Figure.Stated)}
    cited = {str(n.originator_id): e.target_id for n, e in events if isinstance(e, Citation.Cited)}
    figure = history
    incident = figures_of[figure]
    by_figure = everything(trail, figure_id=figure)
    assert [i["notification_id"] for i in by_figure] == [
        n.id for n, e in events if concerns(e, n, figure=figure, figures_of=figures_of, cited=cited)]
    assert {i["kind"] for i in by_figure} >= {"Figure.Stated", "Figure.Corrected", "Citation.Cited",
                                              "Citation.Withdrawn"}
    assert all(i["figure_id"] == figure and i["incident_id"] == incident for i in by_figure)
    by_incident = everything(trail, incident_id=incident)
    assert [i["notification_id"] for i in by_incident] == [
        n.id for n, e in events if concerns(e, n, incident=incident, figures_of=figures_of, cited=cited)]
    assert by_incident[0]["kind"] == "Incident.Recorded"
    assert [i["kind"] for i in everything(trail, actor="officer-nour")] == ["Figure.Corrected", "Citation.Cited"]
    assert everything(trail, actor="officer-nour", figure_id=figure, incident_id=incident)[0]["reason"]
    assert everything(trail, actor="nobody") == []


def test_time_ranges_and_pages(trail, history):
    items = everything(trail)
    times = [parse_recorded_at(i["recorded_at"]) for i in items]
    since, until = times[10], times[40]
    window = [i for i, t in zip(items, times) if since <= t < until]
    assert everything(trail, since=since, until=until) == window
    assert everything(trail, since=times[-1] + timedelta(microseconds=1)) == []
    page = trail.log(limit=500)
    assert page["items"] == items and page["next_cursor"] is None
    first = trail.log(limit=10)
    assert first["next_cursor"] == str(items[9]["position"])
    assert trail.log(cursor=first["next_cursor"], limit=5)["items"] == items[10:15]


def test_bad_requests_name_their_field(trail):
    from datetime import datetime

    for bad in [{"cursor": "x1"}, {"cursor": "-1"}, {"cursor": "9999999999999999999"}, {"limit": 0}, {"limit": 501}, {"since": datetime(2019, 5, 1)}]:
        with pytest.raises(AuditRequestError) as caught:
            trail.log(**bad)
        assert caught.value.field == next(iter(bad)), bad


def test_a_log_made_before_evidence_gains_the_column_and_keeps_each_judgements_evidence(store, ledger, seed_ids):
    from projections.audit import AuditTrail, install
    from projections.audit.tables import NAME
    from projections.db import Db

    db = Db(store, NAME, pool_size=1)
    try:
        with db.transaction(commit=True) as cursor:  # the log as the schema step made it before evidence
            cursor.execute(f"DROP TABLE {db.table('log')}")
            cursor.execute(f"CREATE TABLE {db.table('log')} (position BIGINT NOT NULL PRIMARY KEY,"
                           " notification_id BIGINT NOT NULL, recorded_at TEXT NOT NULL, actor TEXT, topic TEXT NOT NULL,"
                           " kind TEXT NOT NULL, aggregate_id TEXT NOT NULL, aggregate_version BIGINT NOT NULL,"
                           " figure_id TEXT, incident_id TEXT, reason TEXT)")
    finally:
        db.close()
    install(store)  # the schema step again, as an upgrade runs it
    figure = seed_ids["figures"]["snhr-report/0"]
    citation = seed_ids["citations"]["snhr-report/0"]
    ledger.grade_figure("officer-nour", figure, grade="fair", reason="one credible list", evidence=[citation],
                        expected_version=ledger.figure(figure).version)
    audit = AuditTrail(store, ledger=ledger)
    try:
        audit.catch_up()
        last = everything(audit, figure_id=figure)[-1]
    finally:
        audit.close()
    assert (last["kind"], last["reason"], last["evidence"]) == ("Figure.Regraded", "one credible list", [citation])
