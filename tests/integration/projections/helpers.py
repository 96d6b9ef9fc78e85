"""Shared pieces of the projection tests: fresh stores with views, a small world, command
histories for hypothesis, and every answer the reader gives, gathered for comparison."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.terms import VOCABULARY_ID
from ledger.errors import LedgerError, NotFound
from ledger.figure import figure_id
from ledger.store import Store
from projections.follower import Follower
from projections.reader import Reader
from api.bootstrap import create_tables
from projections.times import from_micros, micros
from projections.views import Views
from tests.conftest import CIPHER_KEY, make_store

METRICS = ("civilians_killed", "airstrikes")
DIMENSIONS = ("perpetrator", "victim_group")
SOURCE_NAMES = ("src-alpha", "src-beta", "src-gamma")  # gamma starts protected
BREAKDOWNS: tuple[tuple[str, dict[str, str]], ...] = (
    ("civilians_killed", {}),
    ("civilians_killed", {"perpetrator": "force-a"}),
    ("civilians_killed", {"perpetrator": "force-b"}),
    ("civilians_killed", {"victim_group": "children"}),
    ("civilians_killed", {"perpetrator": "force-a", "victim_group": "children"}),
    ("airstrikes", {}),
    ("airstrikes", {"perpetrator": "force-a"}),
)
N_INCIDENTS = 2
FIGURES = [(i, m, b) for i in range(N_INCIDENTS) for m, b in BREAKDOWNS]
GRADES = ("confirmed", "fair", "weak", "contested")
DAYS = ("2019-01-01", "2019-02-15", "2019-02-20", "2019-03-01", "2019-04-26", "2019-06-30")


@contextmanager
def fresh_store(kind: str, cipher_key: str | None = CIPHER_KEY) -> Iterator[Store]:
    """A new empty store of ``kind`` with the views created; removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        stores = make_store(kind, Path(tmp), cipher_key)
        store = next(stores)
        try:
            create_tables(store)
            yield store
        finally:
            stores.close()


def catch_up(store: Store, ledger: Ledger, *, name: str = "views", batch_size: int = 500) -> int:
    with Follower(store, Views(name), ledger=ledger, batch_size=batch_size) as follower:
        return follower.catch_up()


# ---- a small world, and histories of commands over it ------------------------------------------


class World:
    """Three sources (the third protected), two incidents; figures addressed by index."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.sources = [
            ledger.register_source("setup", name=name, name_en=f"{name} (en)", kind="witness", language="ar",
                                   url=f"https://{name}.example.org", protected=(n == 2))["source_id"]
            for n, name in enumerate(SOURCE_NAMES)
        ]
        self.incidents = [
            ledger.record_incident("setup", title="I0", valid_from="2019-01-01", valid_to="2019-01-31",
                                   places=["Idlib"])["incident_id"],
            ledger.record_incident("setup", title="I1", valid_from="2019-03-01", places=["Hama", "Idlib"])["incident_id"],
        ]
        self.figure_ids = [str(figure_id(self.incidents[i], m, b)) for i, m, b in FIGURES]
        self.reports: dict[int, list[str]] = {n: [] for n in range(len(SOURCE_NAMES))}
        self.citations: list[str] = []
        self.quotes = 0

    def quote(self, source: int | None) -> str:
        self.quotes += 1
        who = "officer" if source is None else SOURCE_NAMES[source]
        return f"quote-by-{who}-{self.quotes}"

    def run(self, command: tuple) -> bool:
        """Carry out a command; False where the ledger refused it."""
        try:
            self._run(command)
        except LedgerError:
            return False
        return True

    def _run(self, command: tuple) -> None:
        ledger, kind = self.ledger, command[0]
        if kind == "file":
            _, source, items = command
            result = ledger.file_report("officer", source_id=self.sources[source], title="R", language="en",
                                        url=f"https://{SOURCE_NAMES[source]}.example.org/r", figures=[
                {"incident_id": self.incidents[FIGURES[f][0]], "metric": FIGURES[f][1], "breakdown": FIGURES[f][2],
                 "value": {**value, "quote": self.quote(source)}, "adopt": adopt,
                 **({"reason": "the later count"} if adopt else {})}
                for f, value, adopt in items])
            self.reports[source].append(result["report_id"])
        elif kind == "correct":
            _, f, value = command
            ledger.correct_figure("officer", self.figure_ids[f], value={**value, "quote": self.quote(None)},
                                  reason="checked", evidence=self.citations[-1:])
        elif kind == "supersede":
            _, f, source, value = command
            if not self.reports[source]:
                raise NotFound("report", "none")
            ledger.supersede_figure("officer", self.figure_ids[f], source_id=self.sources[source],
                                    report_id=self.reports[source][-1], value={**value, "quote": self.quote(source)},
                                    reason="later report")
        elif kind == "retract":
            ledger.retract_figure("officer", self.figure_ids[command[1]], reason="duplicate")
        elif kind == "grade":
            ledger.grade_figure("officer", self.figure_ids[command[1]], grade=command[2], reason="assessed")
        elif kind == "cite":
            _, f, source = command
            cited = ledger.cite("officer", target_id=self.figure_ids[f], source_id=self.sources[source],
                                url=f"https://{SOURCE_NAMES[source]}.example.org/c", quote=self.quote(source))
            self.citations.append(cited["citation_id"])
        elif kind == "withdraw":
            if not self.citations:
                raise NotFound("citation", "none")
            ledger.withdraw_citation("officer", self.citations[command[1] % len(self.citations)], reason="broken")
        elif kind == "revise":
            _, i, start, end = command
            ledger.revise_incident_period("officer", self.incidents[i], valid_from=start, valid_to=end,
                                          reason="new information")
        elif kind == "protect":
            _, source, protected = command
            ledger.change_source_protection("officer", self.sources[source], protected=protected, reason="risk")
        else:  # pragma: no cover
            raise ValueError(kind)


values = st.one_of(
    st.builds(lambda q, n: {"qualifier": q, "number": n}, st.sampled_from(["exact", "at_least", "more_than"]),
              st.integers(0, 300)),
    st.builds(lambda a, b: {"qualifier": "range", "low": min(a, b), "high": max(a, b)},
              st.integers(0, 300), st.integers(0, 300)),
    st.builds(lambda n: {"qualifier": "at_most", "number": n}, st.integers(0, 300)),
    st.just({"qualifier": "vague", "term": "dozens"}),
    st.builds(lambda t, n: {"qualifier": "approximate", "term": t, "number": n}, st.sampled_from(["about", "nearly"]),
              st.integers(1, 300)),
)
# Half the time one of the first incident's killed figures: histories then meet on the same
# figures (claims by several sources, supersessions, parts without a total) far more often.
figure_index = st.one_of(st.integers(0, 3), st.integers(0, len(FIGURES) - 1))
source_index = st.integers(0, len(SOURCE_NAMES) - 1)
period = st.tuples(st.sampled_from(DAYS), st.sampled_from((*DAYS, None))).filter(
    lambda p: p[1] is None or p[0] <= p[1])

command = st.one_of(
    st.tuples(st.just("file"), source_index,
              st.lists(st.tuples(figure_index, values, st.booleans()), min_size=1, max_size=4,
                       unique_by=lambda t: t[0])),
    st.tuples(st.just("correct"), figure_index, values),
    st.tuples(st.just("supersede"), figure_index, source_index, values),
    st.tuples(st.just("retract"), figure_index),
    st.tuples(st.just("grade"), figure_index, st.sampled_from(GRADES)),
    st.tuples(st.just("cite"), figure_index, source_index),
    st.tuples(st.just("withdraw"), st.integers(0, 20)),
    st.builds(lambda i, p: ("revise", i, *p), st.integers(0, N_INCIDENTS - 1), period),
    st.tuples(st.just("protect"), source_index, st.booleans()),
)
# Reports first: a history whose figures all fail to exist tests little.
histories = st.tuples(
    st.lists(st.tuples(st.just("file"), source_index,
                       st.lists(st.tuples(figure_index, values, st.booleans()), min_size=1, max_size=4,
                                unique_by=lambda t: t[0])), min_size=1, max_size=3),
    st.lists(command, max_size=10),
).map(lambda t: t[0] + t[1])


# ---- the log ---------------------------------------------------------------------------------


def notifications(ledger: Ledger) -> list[Any]:
    return list(ledger.recorder.select_notifications(start=0, limit=1_000_000, inclusive_of_start=False))


def copy_events(source: Ledger, target: Ledger, items: list[Any]) -> None:
    """Write stored events into another store as they are (same ids, versions, bytes); the vocabulary's
    built-in terms are left out, since every store's schema step recorded its own."""
    items = [n for n in items if n.originator_id != VOCABULARY_ID]
    if items:
        target.recorder.insert_events([
            StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version, topic=n.topic,
                        state=n.state) for n in items])


def timestamps(ledger: Ledger) -> list[int]:
    """The recording time of every event, in log order (microseconds)."""
    return [micros(ledger.mapper.to_domain_event(n).timestamp) for n in notifications(ledger)]


# ---- every answer ------------------------------------------------------------------------------


def answers(reader: Reader, *, as_of: datetime | None = None, include_protected: bool = True,
            figure_ids: list[str] | None = None, check_fast_path: bool = True) -> dict[str, Any]:
    """Everything the reader says (as of T), keyed by question: two readers agree if this is equal."""
    out: dict[str, Any] = {}
    kw = {"as_of": as_of, "include_protected": include_protected}
    for metric in METRICS:
        for by in (None, *DIMENSIONS):
            out[f"tally {metric} {by}"] = reader.tally(metric, by=by, figure_ids=True, **kw)
            if check_fast_path:
                out[f"fast {metric} {by}"] = reader.tally(metric, by=by, figure_ids=False, **kw)
            for window in ((None, "2019-02-01"), ("2019-02-20", None), ("2019-01-15", "2019-03-15")):
                out[f"tally {metric} {by} {window}"] = reader.tally(metric, by=by, valid_from=window[0],
                                                                    valid_to=window[1], figure_ids=True, **kw)
            out[f"tally {metric} {by} hama"] = reader.tally(metric, by=by, place="hama", figure_ids=True, **kw)
            out[f"history {metric} {by}"] = reader.tally_history(metric, by=by, **{k: v for k, v in kw.items()})
            out[f"history {metric} {by} window"] = reader.tally_history(metric, by=by, valid_from="2019-02-20", **kw)
        for breakdown in ({}, {"perpetrator": "force-a"}):
            out[f"by source {metric} {breakdown}"] = reader.tally_by_source(metric, breakdown=breakdown, **kw)
    out["checks"] = reader.breakdown_checks(**kw)
    # A page of incidents' checks at a time, concatenated, is the whole answer taken incident by incident.
    out["checks paged"] = all_pages(lambda cursor: reader.breakdown_checks_page(cursor=cursor, limit=1, **kw))
    assert out["checks paged"] == by_incident(out["checks"])
    out["figures"] = all_pages(lambda cursor: reader.figures(cursor=cursor, limit=3, **kw))
    out["retracted"] = all_pages(lambda cursor: reader.figures(status="retracted", cursor=cursor, **kw))
    out["incidents"] = all_pages(lambda cursor: reader.incidents(cursor=cursor, limit=1, **kw))
    out["sources"] = all_pages(lambda cursor: reader.sources(cursor=cursor, limit=2, **kw))
    out["reports"] = all_pages(lambda cursor: reader.reports(cursor=cursor, limit=2, **kw))
    for fid in figure_ids or []:
        for name, call in (("figure", reader.figure), ("spread", reader.spread), ("history", reader.figure_history)):
            try:
                out[f"{name} {fid}"] = call(fid, **kw)
            except NotFound:
                out[f"{name} {fid}"] = "not found"
        out[f"citations {fid}"] = reader.citations(fid, **kw)
    return out


def by_incident(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checks as their pages give them: incident by incident, each incident's in the whole answer's order."""
    return sorted(checks, key=lambda c: c["incident_id"])


def all_pages(page: Any) -> list[Any]:
    items, cursor = [], None
    while True:
        result = page(cursor)
        items += result["items"]
        cursor = result["next_cursor"]
        if cursor is None:
            return items


def at(t: int) -> datetime:
    return from_micros(t)
