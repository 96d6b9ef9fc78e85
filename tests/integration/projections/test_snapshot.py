"""A read snapshot (projections/db.py): every statement in it sees one committed state, and a
failed statement leaves its pooled connection fit for the next reader. On PostgreSQL the
snapshot runs in pipeline mode (BEGIN goes out with the first read)."""

from __future__ import annotations

import pytest

from ledger.store import Store
from projections.db import Db

_ROW = ("INSERT INTO {tally_versions} (metric, dimension, value, recorded_from, recorded_to, low, high_sum,"
        " unbounded, figures, approximate) VALUES (?, '', '', ?, ?, 1, 1, 0, 1, 0)")
_COUNT = "SELECT COUNT(*) FROM {tally_versions} WHERE metric = ?"


def _write(db: Db, start: int) -> None:
    with db.transaction(commit=True) as c:
        db.run(c, _ROW, ("snapshot_test", start, start + 1))


def test_a_snapshot_does_not_see_a_commit_made_while_it_reads(store: Store) -> None:
    reader, writer = Db(store, "views", pool_size=1), Db(store, "views", pool_size=1)
    try:
        _write(writer, 1)
        with reader.snapshot() as c:
            assert reader.value(c, _COUNT, ("snapshot_test",)) == 1
            _write(writer, 2)
            assert reader.value(c, _COUNT, ("snapshot_test",)) == 1
        with reader.snapshot() as c:
            assert reader.value(c, _COUNT, ("snapshot_test",)) == 2
    finally:
        reader.close()
        writer.close()


@pytest.mark.parametrize("bad", ["SELECT no_such_column FROM {tally_versions}", "SELECT * FROM no_such_table"])
def test_a_failed_statement_raises_its_own_error_and_leaves_the_connection_usable(store: Store, bad: str) -> None:
    db = Db(store, "views", pool_size=1)  # one connection: the next snapshot gets the same one
    try:
        _write(db, 1)
        with pytest.raises(Exception) as raised:
            with db.snapshot() as c:
                assert db.value(c, _COUNT, ("snapshot_test",)) == 1
                db.all(c, bad)
        assert "no_such" in str(raised.value), raised.value
        with pytest.raises(KeyError):
            with db.snapshot() as c:
                raise KeyError("the caller's own")
        with db.snapshot() as c:
            assert db.value(c, _COUNT, ("snapshot_test",)) == 1
        _write(db, 2)  # and writes still commit on it
        with db.snapshot() as c:
            assert db.value(c, _COUNT, ("snapshot_test",)) == 2
    finally:
        db.close()
