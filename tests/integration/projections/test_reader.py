"""The reader's answers in hand-made situations: protected sources, citations and periods as of T,
pagination, and the arguments it refuses."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from api.bootstrap import create_tables, open_ledger
from ledger.errors import InvalidInput, NotFound
from projections.follower import Follower
from projections.reader import Reader
from projections.views import Views

SECRET = "zq-hidden-7"


def _follow(store, ledger):
    with Follower(store, Views(), ledger=ledger) as follower:
        follower.catch_up()


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@pytest.fixture
def world(store):
    create_tables(store)
    ledger = open_ledger(store)
    public = ledger.register_source("officer", name="Public network", kind="monitoring_network", language="en",
                                    url="https://public.example.org")["source_id"]
    hidden = ledger.register_source("officer", name=f"Witness {SECRET}", name_en=f"W {SECRET}", kind="witness",
                                    language="ar", url=f"https://{SECRET}.example.org", protected=True)["source_id"]
    later = ledger.register_source("officer", name=f"Local council {SECRET}-b", kind="official_body",
                                   language="ar")["source_id"]
    incident = ledger.record_incident("officer", title="Shelling", valid_from="2019-05-01", valid_to="2019-05-03",
                                      places=["Idlib"])["incident_id"]
    total = {"incident_id": incident, "metric": "civilians_killed"}
    by_a = {**total, "breakdown": {"perpetrator": "force-a"}}
    filed = ledger.file_report("officer", source_id=hidden, title=f"Testimony {SECRET}", language="ar",
                               url=f"https://{SECRET}.example.org/t", figures=[
        {**total, "value": {"qualifier": "exact", "number": 12, "quote": f"{SECRET} saw twelve"}},
        {**by_a, "value": {"qualifier": "at_least", "number": 7, "quote": f"{SECRET} seven by A"}}])
    hidden_report = filed["report_id"]
    figure, part = [f["figure_id"] for f in filed["figures"]]
    public_report = ledger.file_report("officer", source_id=public, title="Monthly report", language="en", figures=[
        {**total, "value": {"qualifier": "range", "low": 10, "high": 15, "quote": "between 10 and 15"}}])["report_id"]
    council_report = ledger.file_report("officer", source_id=later, title=f"Council {SECRET}-b", language="ar",
                                        figures=[{**total, "value": {"qualifier": "at_least", "number": 14}}])["report_id"]
    ledger.cite("officer", target_id=figure, source_id=hidden, url=f"https://{SECRET}.example.org/c",
                quote=f"{SECRET} quoted")
    public_citation = ledger.cite("officer", target_id=figure, source_id=public, url="https://public.example.org/c",
                                  quote="as published")["citation_id"]
    ledger.supersede_figure("officer", figure, source_id=later, report_id=council_report,
                            value={"qualifier": "at_least", "number": 14}, reason="council count", replaces=[hidden])
    # The council asks for protection after the fact: it must vanish from every answer at once.
    ledger.change_source_protection("officer", later, protected=True, reason="threats")
    _follow(store, ledger)
    yield {"store": store, "ledger": ledger, "public": public, "hidden": hidden, "later": later,
           "incident": incident, "figure": figure, "part": part, "hidden_report": hidden_report,
           "public_report": public_report, "council_report": council_report, "public_citation": public_citation}
    ledger.close()


def _everything(reader: Reader, w: dict, include_protected: bool) -> str:
    kw = {"include_protected": include_protected}
    out = [
        reader.figure(w["figure"], **kw), reader.figure(w["part"], **kw), reader.spread(w["figure"], **kw),
        reader.figure_history(w["figure"], **kw), reader.figure_history(w["part"], **kw),
        reader.figures(**kw), reader.citations(w["figure"], **kw), reader.sources(**kw), reader.reports(**kw),
        reader.tally_by_source("civilians_killed", **kw), reader.tally("civilians_killed", by="perpetrator", **kw),
        reader.breakdown_checks(**kw), reader.tally_history("civilians_killed", **kw), reader.incidents(**kw),
        reader.report(w["public_report"], **kw),
    ]
    return json.dumps(out, ensure_ascii=False)


def test_protected_sources_never_appear_without_include_protected(world):
    with Reader(world["store"]) as reader:
        text = _everything(reader, world, include_protected=False)
        for secret in (SECRET, world["hidden"], world["later"], world["hidden_report"], world["council_report"]):
            assert secret not in text
        assert world["public"] in text and "between 10 and 15" in text
        for ident in (world["hidden"], world["later"]):
            with pytest.raises(NotFound):
                reader.source(ident)
        for ident in (world["hidden_report"], world["council_report"]):
            with pytest.raises(NotFound):
                reader.report(ident)
        assert reader.reports(source_id=world["hidden"])["items"] == []
        # What stays: the numbers, and that a protected source said them.
        spread = reader.spread(world["figure"])
        assert [(c["source"], c["low"], c["superseded"], c["report_id"]) for c in spread["claims"]] == [
            ("protected", 12, True, None), ({**spread["claims"][1]["source"]}, 10, False, world["public_report"]),
            ("protected", 14, False, None)]
        assert spread["current"]["value_source"] == "protected" and spread["current"]["value"]["quote"] is None
        assert spread["range"] == {"sources": 3, "min_low": 10, "max_low": 14, "min_high": 12, "max_high": None,
                                   "approximate": False}
        assert spread["live_range"]["min_low"] == 10
        cites = reader.citations(world["figure"])
        assert {k: v for k, v in cites[0].items() if v is not None} == {
            "source": "protected", "withdrawn": False, "cited_at": cites[0]["cited_at"]}
        assert cites[1]["citation_id"] == world["public_citation"]
        by_source = reader.tally_by_source("civilians_killed")["sources"]
        assert [(s["source"] if s["source"] == "protected" else s["source"]["source_id"], s["low"])
                for s in by_source] == [(world["public"], 10), ("protected", 14), ("protected", 12)]
        history = reader.figure_history(world["figure"])["versions"]
        assert [(v["event"], v["source"] if isinstance(v["source"], str) else "public") for v in history] == [
            ("stated", "protected"), ("claimed", "public"), ("claimed", "protected"), ("superseded", "protected")]
        assert history[-1]["replaces"] == ["protected"]

        # With the right, everything is there.
        text = _everything(reader, world, include_protected=True)
        for secret in (SECRET, world["hidden"], world["later"], world["hidden_report"], world["council_report"]):
            assert secret in text
        assert reader.source(world["hidden"], include_protected=True)["protected"] is True


def test_citations_and_periods_as_of(world):
    store, ledger = world["store"], world["ledger"]
    with Reader(store) as reader:
        cited = reader.citations(world["figure"])[1]
        ledger.withdraw_citation("officer", world["public_citation"], reason="link dead")
        ledger.revise_incident_period("officer", world["incident"], valid_from="2019-06-01", valid_to=None,
                                      reason="dates were wrong")
        _follow(store, ledger)
        now = reader.citations(world["figure"])[1]
        assert now["withdrawn"] and now["withdrawn_reason"] == "link dead"
        withdrawn_at = _when(now["withdrawn_at"])
        before = reader.citations(world["figure"], as_of=withdrawn_at - timedelta(microseconds=1))[1]
        assert before == cited
        assert reader.citations(world["figure"], as_of=withdrawn_at)[1]["withdrawn"]
        assert len(reader.citations(world["figure"], include_withdrawn=False)) == 1

        incident = reader.incident(world["incident"])
        assert (incident["valid_from"], incident["valid_to"], incident["period_reason"]) == (
            "2019-06-01", None, "dates were wrong")
        revised_at = _when(incident["period_recorded_at"])
        old = reader.incident(world["incident"], as_of=revised_at - timedelta(microseconds=1))
        assert (old["valid_from"], old["valid_to"]) == ("2019-05-01", "2019-05-03")
        # A May window found the incident before the revision, and no longer does.
        may = {"valid_from": "2019-05-02", "valid_to": "2019-05-31"}
        assert reader.tally("civilians_killed", **may)["sum"]["kind"] == "no_data"
        assert reader.tally("civilians_killed", as_of=revised_at - timedelta(microseconds=1), **may)["sum"]["low"] == 14
        assert reader.tally("civilians_killed", valid_from="2030-01-01")["sum"]["low"] == 14  # open-ended now
        points = reader.tally_history("civilians_killed", **may)["points"]
        assert [p["low"] for p in points][-2:] == [14, 0] and points[-1]["kind"] == "no_data"
        assert points[-1]["moved_by"][0]["event"] == "period_revised"
        history = reader.figure_history(world["figure"], citation_index=True)
        live = [[history["citations"][n].get("citation_id") for n in v["citations"]] for v in history["versions"]]
        assert world["public_citation"] in live[-1]  # it stood while the last value did, until withdrawn
        (cited,) = [c for c in history["citations"] if c.get("citation_id") == world["public_citation"]]
        assert cited["withdrawn"] and cited["withdrawn_reason"] == "link dead"
        # An export's form: each version's number of live citations, nothing else changed; as of
        # before the withdrawal, the withdrawn one is counted where it was live.
        withdrawn_at = _when(cited["withdrawn_at"])
        for at in (None, withdrawn_at - timedelta(microseconds=1), withdrawn_at):
            listed = reader.figure_history(world["figure"], citation_index=True, as_of=at)
            counted = reader.figure_history(world["figure"], citation_counts=True, as_of=at)
            assert "citations" not in counted
            assert [v.pop("citations") for v in counted["versions"]] == [
                len(v.pop("citations")) for v in listed["versions"]]
            assert counted["versions"] == listed["versions"]


def test_pages_and_cursors(world):
    with Reader(world["store"]) as reader:
        everything = reader.figures(limit=500)["items"]
        first = reader.figures(limit=1)
        second = reader.figures(limit=1, cursor=first["next_cursor"])
        assert [f["figure_id"] for f in first["items"] + second["items"]] == [f["figure_id"] for f in everything]
        assert second["next_cursor"] is None
        assert reader.figures(breakdown={})["items"][0]["figure_id"] == world["figure"]
        assert reader.figures(dimension="perpetrator")["items"][0]["figure_id"] == world["part"]
        with pytest.raises(InvalidInput):
            reader.figures(cursor=reader.sources(limit=1, include_protected=True)["next_cursor"])
        with pytest.raises(InvalidInput):
            reader.figures(cursor="not a cursor")
        with pytest.raises(InvalidInput):
            reader.figures(limit=0)
        with pytest.raises(InvalidInput):
            reader.tally("civilians_killed", as_of=datetime(2020, 1, 1))  # naive
        with pytest.raises(InvalidInput):
            reader.tally("not_a_metric")
        with pytest.raises(InvalidInput):
            reader.tally("civilians_killed", by="colour")
        with pytest.raises(InvalidInput):
            reader.tally("civilians_killed", valid_from="2019-06-01", valid_to="2019-05-01")
        with pytest.raises(NotFound):
            reader.figure(world["figure"], as_of=datetime(2000, 1, 1, tzinfo=timezone.utc))
        with pytest.raises(NotFound):
            reader.incident("00000000-0000-0000-0000-000000000000")


def test_breakdown_inconsistency_is_flagged(world):
    store, ledger = world["store"], world["ledger"]
    # The total now reads "at most 5", while its part says at least 7: the parts exceed the total.
    ledger.correct_figure("officer", world["figure"], value={"qualifier": "at_most", "number": 5}, reason="recount")
    _follow(store, ledger)
    with Reader(store) as reader:
        (check,) = reader.breakdown_checks(metric="civilians_killed")
        assert (check["status"], check["excess"], check["remainder"]) == ("inconsistent", 2, None)
        ledger.retract_figure("officer", world["figure"], reason="unreliable")
        _follow(store, ledger)
        assert reader.breakdown_checks(metric="civilians_killed") == []
        # No total any more: the part stands in for it, as a lower bound, and the answer says so.
        tally = reader.tally("civilians_killed", figure_ids=True)
        assert (tally["sum"]["low"], tally["sum"]["high"], tally["sum"]["kind"]) == (7, None, "lower_bound")
        assert tally["from_parts"] == [{"incident_id": world["incident"], "dimension": "perpetrator", "low": 7,
                                        "high": None, "figure_ids": [world["part"]]}]
        assert reader.tally("civilians_killed", figure_ids=False)["sum"]["low"] == 7
        assert "figure_ids" not in reader.tally("civilians_killed")["sum"]  # the lists are asked for


def test_a_clock_that_went_backwards_keeps_one_figure_at_a_time(world):
    """A later event of a figure stamped earlier than the one before it (another server's clock):
    the later version stands from the earlier one's start, and the earlier one never stood."""
    store, ledger = world["store"], world["ledger"]
    from ledger.figure import Figure
    from ledger.value import Count

    figure = ledger.load(Figure, world["part"])
    figure.correct("officer", value=Count.of("exact", 9), reason="recount", evidence=[])
    (event,) = figure.pending_events
    first = ledger.load(Figure, world["part"], version=1)
    object.__setattr__(event, "timestamp", first.created_on - timedelta(seconds=5))
    ledger.save(figure)
    _follow(store, ledger)
    with Reader(store) as reader:
        history = reader.figure_history(world["part"])["versions"]
        assert [v["event"] for v in history] == ["stated", "corrected"]
        assert history[0]["recorded_to"] == _iso(first.created_on)  # ended the instant it began
        # As of the stated time the correction already stands; before it, nothing.
        at = first.created_on
        assert reader.figure(world["part"], as_of=at)["value"]["low"] == 9
        with pytest.raises(NotFound):
            reader.figure(world["part"], as_of=at - timedelta(microseconds=1))
        fast = reader.tally("civilians_killed", by="perpetrator", as_of=at, figure_ids=False)
        assert fast["groups"][0]["low"] == 9
        assert reader.tally("civilians_killed", by="perpetrator", as_of=at, figure_ids=True)["groups"][0]["low"] == 9


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_name_search_never_matches_reveals_or_reads_a_protected_name_for_a_reader(world):
    """Both witnesses' names hold SECRET: a reader's search finds nothing, an auditor's both; and
    (SQLite, where the pattern function can be watched) no protected name is ever matched for a reader."""
    from projections import search

    reader = Reader(world["store"])
    hidden = {world["hidden"], world["later"]}
    for words in (SECRET, "witness"):
        assert search.sources(reader, words, limit=50, include_protected=False)["items"] == []
    found = search.sources(reader, SECRET, limit=50, include_protected=True)["items"]
    assert {s["source_id"] for s in found} == hidden
    if search.sealed(reader) or reader.db.kind != "sqlite":
        return
    matched: list[str] = []

    def like(pattern, text, escape=None):  # SQLite's LIKE, watched: what text it was asked to match
        matched.append(text)
        return pattern.strip("%").replace("!", "") in (text or "")

    with reader.db.snapshot() as c:
        c.sqlite_cursor.connection.create_function("like", 3, like)
    try:
        assert reader.sources(named="network")["items"][0]["source_id"] == world["public"]
        assert matched and not [t for t in matched if SECRET in (t or "")]  # protected names never matched
        assert {s["source_id"] for s in reader.sources(named=SECRET, include_protected=True)["items"]} == hidden
    finally:
        with reader.db.snapshot() as c:
            c.sqlite_cursor.connection.create_function("like", 3, None)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_names_sealed_at_rest_are_never_matched_by_a_sql_pattern(kind, tmp_path):
    """AES-SIV bytes are no text: LIKE over them would match stray bytes (SQLite) or fail (PostgreSQL).
    The plan refuses it, as it refuses ranges; the pickers match the opened names (projections.search)."""
    import base64
    import os

    from projections import search
    from tests.conftest import make_store

    stores = make_store(kind, tmp_path, base64.b64encode(os.urandom(32)).decode())
    store = next(stores)
    try:
        create_tables(store)
        ledger = open_ledger(store)
        try:
            for name, protected in (("Alpha network", False), (f"Witness {SECRET}", True)):
                ledger.register_source("officer", name=name, kind="witness", language="en", protected=protected)
            _follow(store, ledger)
        finally:
            ledger.close()
        reader = Reader(store)
        for ask in (lambda: reader.sources(named="a"), lambda: reader.incidents(titled="a")):
            with pytest.raises(ValueError, match="sealed column"):
                ask()
        assert [s["name"] for s in search.sources(reader, "ALPHA", limit=5, include_protected=False)["items"]] \
            == ["Alpha network"]
        assert search.sources(reader, SECRET, limit=5, include_protected=False)["items"] == []
        assert len(search.sources(reader, SECRET, limit=5, include_protected=True)["items"]) == 1
    finally:
        stores.close()


def _walked(read, **kw) -> int:
    """How many items every page of a listing holds together (a page of one at a time)."""
    count, cursor = 0, None
    while True:
        page = read(limit=1, cursor=cursor, **kw)
        count += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return count


def test_counts_and_the_latest_grading_tell_a_reader_nothing_of_protected_sources(world):
    store, ledger, figure = world["store"], world["ledger"], world["figure"]
    before = datetime.now(timezone.utc)
    with Reader(store) as reader:
        hidden_citation = reader.citations(figure, include_protected=True)[0]["citation_id"]
    ledger.grade_figure("officer", figure, grade="contested", reason="the witness and the network disagree",
                        evidence=[hidden_citation, world["public_citation"]])
    _follow(store, ledger)
    with Reader(store) as reader:
        for sees in (False, True):  # the count is every page's length together, for each caller
            counts = reader.record_counts(include_protected=sees)
            assert counts == {"incidents": _walked(reader.incidents, include_protected=sees),
                              "sources": _walked(reader.sources, include_protected=sees)}
        assert reader.record_counts() == {"incidents": 1, "sources": 1}  # both protected ones left out
        assert reader.record_counts(include_protected=True) == {"incidents": 1, "sources": 3}
        assert reader.record_counts(as_of=datetime(2000, 1, 1, tzinfo=timezone.utc)) == {"incidents": 0, "sources": 0}

        graded = reader.latest_grading(figure)
        assert (graded["grade"], graded["reason"], graded["actor"]) == (
            "contested", "the witness and the network disagree", "officer")
        assert graded["evidence"] == ["protected", world["public_citation"]]
        assert reader.latest_grading(figure, include_protected=True)["evidence"] == [
            hidden_citation, world["public_citation"]]
        assert reader.latest_grading(figure, as_of=before) is None and reader.latest_grading(world["part"]) is None


def test_an_exports_counts_read_when_each_citation_was_live_and_nothing_it_says(world, monkeypatch):
    """The figure-history export counts each version's live citations: it reads their spans alone
    (the hottest figure's thousands of rows, their words opened under a cipher, were read to be
    counted), and shows a judgement's evidence as the listed form does."""
    store, ledger, figure = world["store"], world["ledger"], world["figure"]
    with Reader(store) as reader:
        hidden_citation = reader.citations(figure, include_protected=True)[0]["citation_id"]
    ledger.grade_figure("officer", figure, grade="contested", reason="they disagree",
                        evidence=[hidden_citation, world["public_citation"]])
    _follow(store, ledger)
    with Reader(store) as reader:
        read, statements = reader.db.read_at_once, []

        def spied(*reads):
            statements.append(" ".join(text for text, _, _ in reads))
            return read(*reads)

        monkeypatch.setattr(reader.db, "read_at_once", spied)
        for sees in (False, True):
            counted = reader.figure_history(figure, citation_counts=True, include_protected=sees)
            listed = reader.figure_history(figure, citation_index=True, include_protected=sees)
            assert [v.pop("citations") for v in counted["versions"]] == [
                len(v.pop("citations")) for v in listed["versions"]]
            assert counted["versions"] == listed["versions"]
            assert counted["versions"][-1]["evidence"] == [
                hidden_citation if sees else "protected", world["public_citation"]]
    counting, listing = statements[0], statements[1]
    assert "quote" in listing and "url" in listing
    assert not any(word in counting for word in ("quote", "url", "sha256", "cited_by", "withdrawn_reason"))
