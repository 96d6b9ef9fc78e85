"""Running sums: however changes arrive (in batches, out of order), the stored rows are the one
canonical step function of their total."""

from __future__ import annotations

import itertools
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger.bootstrap import create_schema
from ledger.store import Store
from projections import running
from projections.db import OPEN, Db
from projections.schema import create_tables

_keys = itertools.count()


@pytest.fixture(scope="module")
def db():
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        create_schema(store)
        create_tables(store)
        handle = Db(store, "views")
        yield handle
        handle.close()


value = st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-1, 1), st.integers(-1, 1))
segment = st.builds(lambda a, length, v: (a, OPEN if length is None else a + length, v),
                    st.integers(1, 20), st.one_of(st.none(), st.integers(1, 8)), value)


def _canonical(segments):
    points = sorted({s for s, _, _ in segments} | {e for _, e, _ in segments if e < OPEN})
    rows = []
    for a, b in zip(points, [*points[1:], OPEN]):
        v = running.ZERO
        for s, e, d in segments:
            if s <= a < e:
                v = running._add(v, d)
        if rows and tuple(rows[-1][2:]) == v:
            rows[-1][1] = b
        else:
            rows.append([a, b, *v])
    while rows and tuple(rows[0][2:]) == running.ZERO:
        rows.pop(0)
    return [tuple(r) for r in rows]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(segment, min_size=1, max_size=10), st.randoms(use_true_random=False))
@example([(1, OPEN, (1, 0, 0, 1)), (1, 5, (-1, 0, 0, -1))], random.Random(0))  # a sum that starts at zero
def test_changes_in_any_grouping_and_order_give_the_canonical_rows(db, segments, rng):
    key = (f"m{next(_keys)}", "", "")
    order = list(segments)
    rng.shuffle(order)
    groups, i = [], 0
    while i < len(order):
        n = rng.randint(1, 3)
        groups.append([s for s in order[i:i + n] if s[2] != running.ZERO])
        i += n
    with db.transaction(commit=True) as c:
        for group in groups:
            if not group:
                continue
            deletes, inserts = [], []
            standing = running._standing_rows(db, c, {key: min(s[0] for s in group)})
            running._apply(key, group, standing.get(key, []), deletes, inserts)
            db.run_many(c, "DELETE FROM {tally_versions} WHERE metric = ? AND dimension = ? AND value = ?"
                           " AND recorded_from = ?", deletes)
            db.run_many(c, "INSERT INTO {tally_versions} (metric, dimension, value, recorded_from, recorded_to, low,"
                           " high_sum, unbounded, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
        rows = db.all(c, "SELECT recorded_from, recorded_to, low, high_sum, unbounded, figures FROM {tally_versions}"
                         " WHERE metric = ? ORDER BY recorded_from", (key[0],))
    assert rows == _canonical([s for s in segments if s[2] != running.ZERO])


parts = st.lists(st.tuples(st.sampled_from([("", 0), ("perpetrator", 1), ("victim_group", 1), ("place", 1)]),
                           st.sampled_from(["x", "y", "z"]), st.integers(0, 50),
                           st.one_of(st.none(), st.integers(0, 50)), st.sampled_from(["active", "retracted"])),
                 max_size=8)


@given(parts, st.lists(st.integers(0, 7), max_size=6))
@example([(("perpetrator", 1), "x", 5, None, "active"), (("victim_group", 1), "x", 2, None, "active"),
          (("victim_group", 1), "y", 3, None, "active")], [])  # a tie: the first dimension by name wins
def test_the_incremental_contribution_reads_as_the_plain_one(figures, removals):
    from projections.tallies import Part, incident_contribution

    state = running._Incident()
    live: dict[str, Part] = {}
    for (dims, depth), value, low, high, status in figures:
        fid = f"{dims}={value}" if depth else "total"  # one figure per breakdown, as in the ledger
        high = None if high is None else low + high
        state.put(fid, (fid, 1, 0, OPEN, dims, depth, value if depth else None, low, high, status))
        live.pop(fid, None)
        if status == "active":
            live[fid] = Part(fid, "i", dims, depth, value if depth else None, low, high)
    for n in removals:
        if n < len(figures):
            (dims, depth), value = figures[n][0], figures[n][1]
            fid = f"{dims}={value}" if depth else "total"
            state.put(fid, None)
            live.pop(fid, None)
    c = incident_contribution(live.values())
    expected = running.ZERO if c is None else (
        (c.low, 0, 1, len(c.figure_ids)) if c.high is None else (c.low, c.high, 0, len(c.figure_ids)))
    assert state.value() == expected
