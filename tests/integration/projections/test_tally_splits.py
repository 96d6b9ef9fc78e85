"""A metric's every split at once, from the running tallies in one statement, says what adding
up the figures by each dimension says, now and as of any time, on both stores, over random histories."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from api.bootstrap import open_ledger
from ledger.vocabulary import DIMENSIONS
from projections.reader import Reader
from tests.integration.projections.helpers import METRICS, World, at, catch_up, fresh_store, histories, timestamps

def _stripped(value):
    """An answer without its lists of figure ids (the running tallies hold sums, not ids)."""
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items() if k != "figure_ids"}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(history=histories)
def test_every_split_at_once_is_each_tally_by_a_dimension(kind, history) -> None:
    with fresh_store(kind) as store:
        app = open_ledger(store)
        world = World(app)
        for command in history:
            world.run(command)
        catch_up(store, app)
        moments = timestamps(app)
        with Reader(store) as reader:
            for metric in METRICS:
                for as_of in (None, at(moments[len(moments) // 2])):
                    every = reader.tally_splits(metric, as_of=as_of)
                    for dimension in DIMENSIONS:
                        one = _stripped(reader.tally(metric, by=dimension, as_of=as_of, figure_ids=True))
                        assert one["sum"] == every["sum"]
                        if one["groups"]:
                            assert every["splits"][dimension] == {"groups": one["groups"],
                                                                  "groups_sum": one["groups_sum"]}
                        else:
                            assert dimension not in every["splits"]
                    assert reader.tally_splits(metric, dimensions=["perpetrator"], as_of=as_of)["splits"] == {
                        k: v for k, v in every["splits"].items() if k == "perpetrator"}
