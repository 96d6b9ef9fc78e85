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

from api.bootstrap import create_schema, create_tables
from ledger.store import Store
from ledger.tally import ZERO
from projections import running
from projections.db import OPEN, Db

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
        v = ZERO
        for s, e, d in segments:
            if s <= a < e:
                v = v + d
        if rows and tuple(rows[-1][2:]) == v:
            rows[-1][1] = b
        else:
            rows.append([a, b, *v])
    while rows and tuple(rows[0][2:]) == ZERO:
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
        groups.append([s for s in order[i:i + n] if s[2] != ZERO])
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
    assert rows == _canonical([s for s in segments if s[2] != ZERO])
