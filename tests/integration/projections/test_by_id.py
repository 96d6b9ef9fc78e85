"""Records read by id from the views are the write model's records, at every version.

The write model (the aggregates, replayed) is the oracle: for random histories of commands,
each figure at each of its versions, and each source, incident, report and citation, read
from the views with ``include_protected`` equals what its events say. Without it, a
protected source's records are not found (as an unknown id) and its claims carry numbers only.
As of a time before anything was recorded, every record is "nothing yet", except a protected
source's records to a non-auditor, which stay unknown ids.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import HealthCheck, given, settings

from api.bootstrap import open_ledger
from ledger.citation import Citation
from ledger.errors import NotFound
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.report import Report
from ledger.source import Source
from ledger.value import Count
from projections.reader import Reader
from tests.integration.projections.helpers import World, catch_up, fresh_store, histories

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
EXAMPLES = {"sqlite": 6, "postgres": 3}
BEFORE_ANYTHING = datetime(1971, 1, 1, tzinfo=timezone.utc)


def _count(value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "text": Count.from_dict(value).describe()}


def _figure(figure: Figure) -> dict[str, Any]:
    claims = [{"source_id": s, "report_id": c["report_id"], "protected": False, "value": _count(c["value"]),
               "version": c["version"], "recorded_at": c["recorded_at"], "superseded": c["superseded"]}
              for s, c in sorted(figure.claims.items(), key=lambda item: item[1]["version"])]
    return {"figure_id": str(figure.id), "incident_id": figure.incident_id, "metric": figure.metric,
            "breakdown": figure.breakdown, "admin_codes": {}, "population": figure.population, "value": _count(figure.current), "status": figure.status,
            "grade": figure.grade, "claims": claims, "version": figure.version,
            "created_at": figure.created_on.isoformat(), "modified_at": figure.modified_on.isoformat(),
            "state": "recorded"}


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """Times as ISO text, as the write model keeps a claim's."""
    out = {k: v.isoformat() if hasattr(v, "isoformat") and not isinstance(v, str) else v for k, v in record.items()}
    if "claims" in out:
        out["claims"] = [_comparable(c) for c in out["claims"]]
    return out


def _record(aggregate: Aggregate, kind: str) -> dict[str, Any]:
    fields = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return {**fields, f"{kind}_id": str(aggregate.id), "version": aggregate.version, "created_at": aggregate.created_on.isoformat(),
            "modified_at": aggregate.modified_on.isoformat(), "state": "recorded"}


def _nothing_yet(read: Any, kind: str, record_id: str, *, hidden: bool = False, **protected: bool) -> None:
    """As of a time before anything was recorded: nothing yet (to a non-auditor, an unknown id if ``hidden``)."""
    said = read(record_id, as_of=BEFORE_ANYTHING, **protected)
    assert said.pop("as_of").startswith("1971-01-01T00:00:00"), said
    assert said == {f"{kind}_id": record_id, "state": "not_yet_recorded", "published_by": None, "version": 0}
    if protected:
        if hidden:
            with pytest.raises(NotFound):
                read(record_id, as_of=BEFORE_ANYTHING)
        else:
            _nothing_yet(read, kind, record_id)


def _check(kind: str, history: list[tuple]) -> None:
    with fresh_store(kind) as store:
        ledger = open_ledger(store)
        world = World(ledger)
        for command in history:
            world.run(command)
        catch_up(store, ledger)
        with Reader(store) as reader:
            for fid in world.figure_ids:
                try:
                    latest = ledger.load(Figure, fid)
                except NotFound:
                    with pytest.raises(NotFound):
                        reader.figure_record(fid, include_protected=True)
                    continue
                for version in range(1, latest.version + 1):
                    expected = _figure(ledger.load(Figure, fid, version))
                    got = _comparable(reader.figure_record(fid, version=version, include_protected=True))
                    assert got == expected, (fid, version)
                _check_redacted_figure(ledger, reader, latest)
                _nothing_yet(reader.figure_record, "figure", fid, include_protected=True)
            for sid in world.sources:
                source = ledger.load(Source, sid)
                got = _comparable(reader.source_record(sid, include_protected=True))
                expected = _record(source, "source")
                assert got == {k: v for k, v in expected.items() if k in got}
                assert set(got) == set(reader.source_record(sid, include_protected=True))
                assert {"name", "url", "protected", "version", "created_at", "modified_at"} <= set(got) <= set(expected)
                if source.protected:
                    with pytest.raises(NotFound):
                        reader.source_record(sid)
                _nothing_yet(reader.source_record, "source", sid, hidden=source.protected, include_protected=True)
            for iid in world.incidents:
                got = _comparable(reader.incident_record(iid))
                assert got == {k: v for k, v in _record(ledger.load(Incident, iid), "incident").items() if k in got}
                _nothing_yet(reader.incident_record, "incident", iid)
            for source_index, reports in world.reports.items():
                for rid in reports:
                    report = ledger.load(Report, rid)
                    got = _comparable(reader.report_record(rid, include_protected=True))
                    assert got == {k: v for k, v in _record(report, "report").items() if k in got}
                    hidden = ledger.load(Source, report.source_id).protected
                    if hidden:
                        with pytest.raises(NotFound):
                            reader.report_record(rid)
                    _nothing_yet(reader.report_record, "report", rid, hidden=hidden, include_protected=True)
            for cid in world.citations:
                citation = ledger.load(Citation, cid)
                got = _comparable(reader.citation_record(cid, include_protected=True))
                # Who withdrew it and why are the withdrawal event's (the write model keeps the flag alone).
                last = list(ledger.repository.event_store.get(citation.id))[-1]
                withdrawn = (last.actor, last.reason) if citation.withdrawn else (None, None)
                assert (got.pop("withdrawn_by"), got.pop("withdrawn_reason")) == withdrawn, cid
                assert got == {k: v for k, v in _record(citation, "citation").items() if k in got}
                assert reader.hides_record(cid) == ledger.load(Source, citation.source_id).protected
                _nothing_yet(reader.citation_record, "citation", cid,
                             hidden=ledger.load(Source, citation.source_id).protected, include_protected=True)
            # A record the views do not hold is of another kind, unless they were behind the log.
            assert reader.hides_record(str(uuid4()), current=False)
            assert not reader.hides_record(str(uuid4()), current=True)
            assert not reader.hides_record(str(uuid4()), include_protected=True)


def _check_redacted_figure(ledger: Any, reader: Reader, figure: Figure) -> None:
    """Without include_protected: the numbers stay, who said them and their words go."""
    got = reader.figure_record(str(figure.id))
    for claim in got["claims"]:
        source_id = claim["source_id"]
        if claim["protected"]:
            assert source_id is None and claim["report_id"] is None
            assert claim["value"]["quote"] is None and claim["value"]["quote_en"] is None
        else:
            assert not ledger.load(Source, source_id).protected
    hidden = [c for s, c in figure.claims.items() if ledger.load(Source, s).protected]
    assert sum(c["protected"] for c in got["claims"]) == len(hidden)
    if any(c["value"] == figure.current for c in hidden):
        assert got["value"]["quote"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_records_by_id_are_the_write_models(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], **SETTINGS)
    @given(history=histories)
    def run(history: list[tuple]) -> None:
        _check(kind, history)

    run()
