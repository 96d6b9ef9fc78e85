"""Row shapes (projections/named_rows.py): a SELECT list's columns become the row's field names."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.tally import Part
from projections.named_rows import columns_of, mutable_shape, shape


def test_a_shape_names_its_fields_after_the_columns_of_its_select_list():
    row_type = shape("Row", "fv.figure_id, MIN(value) AS least, COALESCE(a, b) AS either,\n  iv.valid_to")
    assert row_type._fields == ("figure_id", "least", "either", "valid_to")
    assert row_type.columns == "fv.figure_id, MIN(value) AS least, COALESCE(a, b) AS either, iv.valid_to"
    row = row_type._make(("f1", 3, None, "2019-05-01"))
    assert (row.figure_id, row.least, row.either, row.valid_to) == ("f1", 3, None, "2019-05-01")
    assert row == ("f1", 3, None, "2019-05-01")  # still the tuple the store gave


def test_an_expression_without_a_name_is_refused():
    with pytest.raises(ValueError, match="needs a name"):
        shape("Row", "figure_id, MIN(value)")


def test_columns_of_a_row_type_follow_its_fields_in_order():
    assert columns_of(Part, "fv").split(", ") == [f"fv.{name}" for name in Part._fields]

    @dataclasses.dataclass
    class Change:
        at: int
        figure_id: str
        event: str

    assert columns_of(Change, "fv", at="fv.recorded_from", event="fv.kind") == (
        "fv.recorded_from AS at, fv.figure_id, fv.kind AS event")
    with pytest.raises(ValueError, match="no field"):
        columns_of(Change, "fv", when="fv.recorded_from")


def test_a_mutable_row_is_a_list_read_and_set_by_name():
    row_type = mutable_shape("Row", ("figure_id", "recorded_from", "recorded_to"))
    row = row_type(("f1", 10, 99))
    row.recorded_to = 20
    assert row == ["f1", 10, 20] and isinstance(row, list)
    assert (row.figure_id, row.recorded_from, row.recorded_to) == ("f1", 10, 20)
    with pytest.raises(AttributeError):
        row.unknown = 1  # no other names: a misspelt column fails instead of being kept aside
