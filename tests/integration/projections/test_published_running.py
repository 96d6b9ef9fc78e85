"""The running tallies over publication time (projections/published_running.py): the steps and
deltas kept batch by batch (batches of any size, and a copy of the log whose independent events
come in another order) equal those a rebuild makes, and the history in publication order read
off them equals the replay of every version (projections/tally_history_cut.py, the oracle), for
an auditor and for a reader, under any cut; and the property has teeth: with a late word applied
to its own step alone, or a reader's steps placing a protected word by its date, it fails."""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from projections import published_running
from projections.db import Db
from projections.follower import Follower
from projections.reader import Reader
from projections.rebuild import rebuild
from projections.tally_history_reads import TallyHistoryReads
from projections.views import Views
from tests.integration.projections.helpers import DAYS, METRICS, copy_events, fresh_store, notifications
from tests.integration.projections.test_properties import _interleave, _reports_named
from tests.integration.projections.test_publication_cut import (
    KINDS, LATE_WORD, PROTECTED_WORD, SETTINGS, DatedWorld, histories,
)

EXAMPLES = {"sqlite": 25, "postgres": 6}
#: A word, then a word of an older report on the same figure (a late archive word), then one
#: older still that sets the value, then a correction: the late words move steps after them.
LATE_WORDS = [("file_on", 0, "2019-04-26", [(0, {"qualifier": "exact", "number": 10}, False)]),
              ("file_on", 1, "2019-06-30", [(0, {"qualifier": "exact", "number": 12}, True)]),
              ("file_on", 1, "2019-02-15", [(0, {"qualifier": "exact", "number": 7}, True)]),
              ("file_on", 0, "2019-01-01", [(0, {"qualifier": "exact", "number": 5}, True)]),
              ("correct", 0, {"qualifier": "exact", "number": 9})]


@contextmanager
def replayed() -> Iterator[None]:
    """Reads that replay every version, whatever is kept: the oracle."""
    kept = TallyHistoryReads._reads_as_now
    TallyHistoryReads._reads_as_now = lambda self, c, metric, t: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        TallyHistoryReads._reads_as_now = kept  # type: ignore[method-assign]


def _rows(store: Any, name: str) -> dict[str, list[tuple[Any, ...]]]:
    db = Db(store, name, pool_size=1)
    try:
        with db.snapshot() as c:
            return {t: sorted(db.all(c, f"SELECT * FROM {{{t}}}"), key=repr) for t in ("published_steps",
                                                                                       "published_tallies")}
    finally:
        db.close()


def _histories(reader: Reader, cuts: list[Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for metric in METRICS:
        for sees in (False, True):
            for cut in cuts:
                out[(metric, sees, cut)] = reader.tally_history(metric, order="published", published_by=cut,
                                                                include_protected=sees)
                out[(metric, sees, cut, "paged")] = reader.tally_history(
                    metric, order="published", published_by=cut, include_protected=sees, limit=1)
                out[(metric, sees, cut, "latest")] = reader.tally_history_cut_latest(
                    metric, points=3, told=2, orders=("published",), published_by=cut, include_protected=sees)
    return out


def _check(kind: str, history: list[tuple], batches: list[int], seed: int) -> None:
    with fresh_store(kind) as store, fresh_store(kind) as shuffled:
        app = open_ledger(store)
        world = DatedWorld(app)
        follower = Follower(store, Views(), ledger=app, batch_size=batches[0], replay_from=None)
        for i, command in enumerate(history):
            world.run(command)
            if batches[i % len(batches)] % 3:  # now and then several commands in one catch-up
                follower.batch_size = batches[i % len(batches)]
                follower.catch_up()
        follower.catch_up()
        follower.close()
        rebuild(store, progress=False, name="rebuilt", ledger=app, batch_size=7)
        # The same events, those of different aggregates in another order, in other batches.
        other = open_ledger(shuffled)
        log = notifications(app)
        copy_events(app, other, _interleave(log, random.Random(seed), _reports_named(app, log)))
        with Follower(shuffled, Views(), ledger=other, batch_size=batches[-1], replay_from=None) as f:
            f.catch_up()
        live_rows = _rows(store, "views")
        assert live_rows == _rows(store, "rebuilt")
        assert live_rows == _rows(shuffled, "views")
        cuts = [None, "2018-12-31", *random.Random(seed).sample(DAYS, 2)]
        with Reader(store) as live, Reader(store, name="rebuilt") as again, Reader(shuffled) as copy:
            kept = _histories(live, cuts)
            with replayed():
                oracle = _histories(live, cuts)
            assert kept == oracle
            assert kept == _histories(again, cuts)
            assert kept == _histories(copy, cuts)
        app.close()
        other.close()


batch_sizes = st.lists(st.integers(1, 12), min_size=1, max_size=4)


@pytest.mark.parametrize("kind", KINDS)
def test_kept_publication_steps_equal_the_rebuild_and_the_replay(kind: str) -> None:
    @settings(max_examples=EXAMPLES[kind], **SETTINGS)
    @given(history=histories, batches=batch_sizes, seed=st.integers(0, 2**32 - 1))
    @example(history=LATE_WORD, batches=[1], seed=0)
    @example(history=LATE_WORDS, batches=[1, 2], seed=1)
    @example(history=PROTECTED_WORD, batches=[1], seed=2)
    @example(history=PROTECTED_WORD + [("protect", 2, False)], batches=[5], seed=3)
    def run(history: list[tuple], batches: list[int], seed: int) -> None:
        _check(kind, history, batches, seed)

    run()


def test_the_property_fails_when_a_late_word_moves_only_its_own_step(monkeypatch: pytest.MonkeyPatch) -> None:
    applied = published_running.applied

    def own_step_only(steps: list[Any], word: Any, p: int) -> list[Any]:
        later = [s for s in steps if s.at > p]
        return [s for s in applied([s for s in steps if s.at <= p], word, p)] + later

    monkeypatch.setattr(published_running, "applied", own_step_only)
    with pytest.raises(AssertionError):
        _check("sqlite", LATE_WORDS, [1], 0)


def test_the_property_fails_when_a_readers_steps_place_protected_words_by_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(published_running, "_placed", lambda word, hidden: word)
    with pytest.raises(AssertionError):
        _check("sqlite", PROTECTED_WORD, [1], 0)
