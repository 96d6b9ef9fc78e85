"""A count by month of valid time in one read says, month by month, what the windowed tally
with that month as its window says: random histories, random incident periods (open-ended
ones too), now and as of a time before the periods were last revised."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from ledger.errors import InvalidInput
from projections.follower import Follower
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.views import Views
from projections.views_digest import digest
from tests.integration.projections.helpers import METRICS, N_INCIDENTS, World, at, catch_up, fresh_store, histories, timestamps

days = st.dates(date(2018, 10, 1), date(2020, 3, 31))
periods = st.tuples(days, st.one_of(st.none(), days)).map(
    lambda p: (p[0], p[1]) if p[1] is None or p[0] <= p[1] else (p[1], p[0]))
spans = st.tuples(days, days).map(sorted)


def _windowed(reader: Reader, metric: str, month: dict, **kw) -> dict:
    total = reader.tally(metric, valid_from=month["valid_from"], valid_to=month["valid_to"], **kw)["sum"]
    return {k: v for k, v in total.items() if k != "figure_ids"}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=histories, revised=st.lists(periods, min_size=N_INCIDENTS, max_size=N_INCIDENTS), span=spans,
       live=st.sampled_from([None, 1, 3]))
def test_every_month_is_the_windowed_tally_of_that_month(history, revised, span, live) -> None:
    """``live``: the views followed command by command in batches of that size (the running
    months kept up event by event, then equal to a rebuild's), or None: one catch-up at the end."""
    with fresh_store("sqlite") as store:
        app = open_ledger(store)
        world = World(app)
        follower = Follower(store, Views(), ledger=app, batch_size=live) if live else None
        for command in history:
            world.run(command)
            if follower:
                follower.catch_up()
        before = timestamps(app)[-1]
        for incident, (start, end) in zip(world.incidents, revised):
            app.revise_incident_period("officer", incident, valid_from=start.isoformat(),
                                       valid_to=None if end is None else end.isoformat(), reason="new information")
            if follower:
                follower.catch_up()
        if follower:
            follower.close()
            rebuilt = rebuild(store, progress=False, name="rebuilt", ledger=app)
            assert digest(store)["sha256"] == rebuilt["digest"]
        else:
            catch_up(store, app)
        with Reader(store) as reader:
            for metric in METRICS:
                for as_of in (None, at(before)):
                    months = reader.tally_months(metric, valid_from=span[0], valid_to=span[1], as_of=as_of)
                    first, last = span[0].replace(day=1), span[1]
                    assert months[0]["valid_from"] == first.isoformat()
                    assert months[-1]["valid_to"] == last.replace(day=calendar.monthrange(last.year, last.month)[1]).isoformat()
                    assert len(months) == (last.year - first.year) * 12 + last.month - first.month + 1
                    # The figures read afresh (the path a cut takes; one past every publication is
                    # no cut) work the months out apart from the running steps: the same, within too.
                    afresh = reader.tally_months(metric, valid_from=span[0], valid_to=span[1], as_of=as_of,
                                                 published_by="9998-12-31")
                    for month, fresh in zip(months, afresh):
                        expected = _windowed(reader, metric, month, as_of=as_of)
                        assert {k: v for k, v in month.items() if k in expected} == expected, month["month"]
                        assert month["within_month"] == fresh["within_month"], month["month"]
                        within = month["within_month"]
                        assert within["low"] <= month["low"] and within["figures"] <= month["figures"], month


def test_a_month_holds_for_certain_only_the_incidents_dated_within_it() -> None:
    """A year-long incident's whole count is in each month it overlaps; ``within_month`` is what a
    month holds for certain: the incidents whose period lies in it alone."""
    with fresh_store("sqlite") as store:
        app = open_ledger(store)
        source = app.register_source("officer", name="Monitor", kind="monitoring_network", language="en")["source_id"]
        for title, start, end, killed in (("Shelling in May", "2019-05-03", "2019-05-04", 12),
                                          ("The year's war", "2019-01-01", "2019-12-31", 1000),
                                          ("Raid across months", "2019-05-30", "2019-06-02", 5)):
            incident = app.record_incident("officer", title=title, valid_from=start, valid_to=end)["incident_id"]
            app.file_report("officer", source_id=source, title=title, language="en", published_on="2020-01-10", figures=[
                {"incident_id": incident, "metric": "civilians_killed",
                 "value": {"qualifier": "exact", "number": killed, "quote": f"{killed} killed"}}])
        catch_up(store, app)
        with Reader(store) as reader:
            months = {m["month"]: m for m in reader.tally_months(
                "civilians_killed", valid_from=date(2019, 4, 1), valid_to=date(2019, 7, 1))}
            assert [months[m]["low"] for m in ("2019-04", "2019-05", "2019-06", "2019-07")] == [1000, 1017, 1005, 1000]
            within = [months[m]["within_month"] for m in ("2019-04", "2019-05", "2019-06", "2019-07")]
            assert [(w["low"], w["kind"]) for w in within] == [(0, "no_data"), (12, "exact"), (0, "no_data"),
                                                               (0, "no_data")]


def test_an_ongoing_incident_covers_the_months_up_to_the_moment_read() -> None:
    """An incident with no end is still going on: the span a chart shows by default reaches the
    month of ``as_of`` (today without one), not the incident's first day."""
    from datetime import datetime, timezone

    with fresh_store("sqlite") as store:
        app = open_ledger(store)
        app.record_incident("officer", title="The siege", valid_from="2019-05-03")
        app.record_incident("officer", title="A raid", valid_from="2018-02-01", valid_to="2018-02-02")
        catch_up(store, app)
        with Reader(store) as reader:
            today = datetime.now(timezone.utc).date().isoformat()
            assert reader.incidents_span() == ("2018-02-01", today)
            later = datetime.now(timezone.utc)
            assert reader.incidents_span(as_of=later) == ("2018-02-01", later.date().isoformat())


def test_a_count_by_month_needs_both_ends_in_order() -> None:
    with fresh_store("sqlite") as store, Reader(store) as reader:
        with pytest.raises(InvalidInput):
            reader.tally_months("civilians_killed", valid_from=date(2019, 5, 1), valid_to=date(2019, 1, 1))
        with pytest.raises(InvalidInput):
            reader.tally_months("civilians_killed", valid_from=None, valid_to=date(2019, 1, 1))  # type: ignore[arg-type]


def test_the_month_steps_are_kept_under_a_dimension_no_split_has() -> None:
    """The steps share tally_versions with the splits: a split by ``valid_month`` would read them as groups."""
    from ledger.vocabulary import DIMENSIONS
    from projections.running_months import MONTH_STEPS, month_after

    assert MONTH_STEPS not in DIMENSIONS
    assert [month_after(d) for d in ("2019-11-30", "2019-12-01", "2020-02-29")] == ["2019-12", "2020-01", "2020-03"]
