"""Property tests: any sequence of commands, valid or not, against an independent model.

- the ledger's figures agree with a model computed from the commands alone (claims,
  current value, status, grade);
- replaying the stored events in a fresh application gives the same state;
- no stored event is ever changed or lost: every snapshot of the log is a prefix of the next;
- a refused command stores nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from api.bootstrap import open_ledger
from uuid import uuid4

from ledger.errors import LedgerError, NotFound
from ledger.figure import figure_id
from ledger.value import Count
from tests.conftest import make_store

SOURCES = ["s0", "s1", "s2"]
FIGURES = [("civilians_killed", {}), ("civilians_killed", {"perpetrator": "russian-forces"}), ("airstrikes", {})]
GRADES = ["confirmed", "fair", "weak", "contested", "discounted"]

values = st.one_of(
    st.builds(lambda q, n: {"qualifier": q, "number": n}, st.sampled_from(["exact", "at_least", "more_than"]),
              st.integers(0, 500)),
    st.builds(lambda a, b: {"qualifier": "range", "low": min(a, b), "high": max(a, b)},
              st.integers(0, 500), st.integers(0, 500)),
    st.just({"qualifier": "vague", "term": "hundreds"}),
)
figure_index = st.integers(0, len(FIGURES) - 1)
commands = st.lists(
    st.one_of(
        st.tuples(st.just("file"), st.sampled_from(SOURCES),
                  st.lists(st.tuples(figure_index, values, st.booleans()), min_size=1, max_size=3,
                           unique_by=lambda t: t[0])),
        st.tuples(st.just("correct"), figure_index, values),
        st.tuples(st.just("supersede"), figure_index, st.sampled_from(SOURCES), values),
        st.tuples(st.just("retract"), figure_index),
        st.tuples(st.just("grade"), figure_index, st.sampled_from(GRADES)),
    ),
    min_size=1,
    max_size=12,
)


class Model:
    """What the figures must say, computed without the ledger."""

    def __init__(self) -> None:
        self.figures: dict[int, dict] = {}

    def apply(self, command: tuple, reports: dict[str, str]) -> bool:
        """Apply a command; False where the ledger must refuse it."""
        kind = command[0]
        if kind == "file":
            _, source, items = command
            for index, value, adopt in items:
                f = self.figures.get(index)
                if f is None:
                    self.figures[index] = {"current": value, "status": "active", "grade": "unassessed",
                                           "claims": {source: (value, False)}}
                else:
                    f["claims"][source] = (value, False)
                    if adopt:
                        f["current"] = value
            return True
        f = self.figures.get(command[1])
        if f is None:
            return False
        if kind == "correct":
            if f["current"] == command[2] and f["status"] == "active":
                return False
            f["current"], f["status"] = command[2], "active"
        elif kind == "supersede":
            _, _, source, value = command
            if source not in reports:
                return False
            for s, (v, _) in list(f["claims"].items()):
                if s != source and not f["claims"][s][1]:
                    f["claims"][s] = (v, True)
            f["claims"][source] = (value, False)
            f["current"], f["status"] = value, "active"
        elif kind == "retract":
            if f["status"] == "retracted":
                return False
            f["status"] = "retracted"
        elif kind == "grade":
            if f["grade"] == command[2]:
                return False
            f["grade"] = command[2]
        return True


def normal(value: dict) -> dict:
    return Count.parse(value).as_dict()


def raw_log(app) -> list[tuple]:
    return [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in app.recorder.select_notifications(start=1, limit=100_000)]


def run(kind: str, sequence: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stores = make_store(kind, Path(tmp))
        store = next(stores)
        try:
            check(store, sequence)
        finally:
            stores.close()


def check(store, sequence: list[tuple]) -> None:
    app = open_ledger(store)
    sources = {s: app.register_source("p", name=s, kind="witness", language="ar")["source_id"] for s in SOURCES}
    incident = app.record_incident("p", title="I", valid_from="2019-04-26")["incident_id"]
    ids = [str(figure_id(incident, m, b)) for m, b in FIGURES]
    model, reports = Model(), {}
    log = raw_log(app)
    for command in sequence:
        before = len(log)
        expected_ok = model.apply(command, reports) if command[0] != "file" else None
        try:
            if command[0] == "file":
                _, source, items = command
                result = app.file_report("p", source_id=sources[source], title="R", language="en", figures=[
                    {"incident_id": incident, "metric": FIGURES[i][0], "breakdown": FIGURES[i][1], "value": v,
                     "adopt": a, **({"reason": "later count"} if a else {})} for i, v, a in items])
                reports[source] = result["report_id"]
                model.apply(command, reports)
                ok = True
            elif command[0] == "correct":
                app.correct_figure("p", ids[command[1]], value=command[2], reason="r")
                ok = True
            elif command[0] == "supersede":
                _, i, source, value = command
                # A source that filed nothing has no report to supersede with: the ledger must refuse.
                app.supersede_figure("p", ids[i], source_id=sources[source],
                                     report_id=reports.get(source, str(uuid4())), value=value, reason="r")
                ok = True
            elif command[0] == "retract":
                app.retract_figure("p", ids[command[1]], reason="r")
                ok = True
            else:
                app.grade_figure("p", ids[command[1]], grade=command[2], reason="r")
                ok = True
        except LedgerError:
            ok = False
        if command[0] != "file":
            assert ok == expected_ok, command
        new_log = raw_log(app)
        assert new_log[:before] == log, "a stored event changed or vanished"
        assert (len(new_log) > before) == ok, "a refused command stored something, or an accepted one nothing"
        log = new_log

    fresh = open_ledger(store)  # no cache: every figure is replayed from the store
    for index, expected in model.figures.items():
        for reader in (app, fresh):
            figure = reader.figure(ids[index])
            assert figure.current == normal(expected["current"])
            assert (figure.status, figure.grade) == (expected["status"], expected["grade"])
            claims = {s: (c["value"], c["superseded"]) for s, c in figure.claims.items()}
            assert claims == {sources[s]: (normal(v), sup) for s, (v, sup) in expected["claims"].items()}
    for index in set(range(len(FIGURES))) - set(model.figures):
        with pytest.raises(NotFound):
            fresh.figure(ids[index])
    app.close()
    fresh.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_sqlite_ledger_agrees_with_the_model_and_never_changes_history(sequence):
    run("sqlite", sequence)


@pytest.mark.postgres
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_postgres_ledger_agrees_with_the_model_and_never_changes_history(sequence):
    run("postgres", sequence)
