"""Sealed columns: what a statement seals and opens, and what sealing refuses."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from projections.sealed_columns import SEALED
from projections.sealing import SealPlan, Sealer
from projections.views_schema import TABLES

KEY = base64.b64encode(os.urandom(16)).decode()


def test_sealing_is_deterministic_per_column_and_opens_only_in_its_own_column():
    sealer = Sealer(KEY)
    a, b = sealer.seal("name", "شاهد"), sealer.seal("name", "شاهد")
    assert a == b and "شاهد".encode() not in a
    assert sealer.open("name", a) == "شاهد"
    assert sealer.seal("url", "شاهد") != a
    with pytest.raises(InvalidTag):
        sealer.open("url", a)
    assert Sealer(base64.b64encode(os.urandom(16)).decode()).seal("name", "شاهد") != a
    assert sealer.seal("name", None) is None and sealer.open("name", None) is None


def test_a_plan_seals_the_parameters_bound_to_sealed_columns_only():
    insert = SealPlan.of("INSERT INTO {incident_places} (incident_id, place, place_key) VALUES (?, ?, ?)", SEALED)
    assert insert.params == ((1, "place"), (2, "place_key"))
    lookup = SealPlan.of("SELECT fv.figure_id FROM {figure_versions} fv WHERE fv.metric = ? AND fv.incident_id IN"
                     " (SELECT incident_id FROM {incident_places} WHERE place_key = ?) LIMIT ?", SEALED)
    assert lookup.params == ((1, "place_key"),)
    listed = SealPlan.of("SELECT citation_id FROM {citations} WHERE url IN (?, ?) AND cited_at <= ?", SEALED)
    assert listed.params == ((0, "url"), (1, "url"))
    update = SealPlan.of("UPDATE {citations} SET withdrawn = 1, withdrawn_at = ?, withdrawn_reason = ? WHERE citation_id = ?", SEALED)
    assert update.params == ((1, "withdrawn_reason"),)
    assert SealPlan.of("SELECT value FROM {tally_versions} WHERE value = ?", SEALED).params == ()
    assert SealPlan.of("SELECT key, value FROM {meta}", SEALED).names == frozenset()


def test_a_sealed_column_is_never_compared_for_order():
    with pytest.raises(ValueError, match="sealed column name"):
        SealPlan.of("SELECT source_id FROM {sources} WHERE name > ?", SEALED)


def test_every_sealed_column_is_text_in_the_schema_and_known_to_the_plans():
    declared = {t.name: {c for c, k in t.columns if k == "sealed"} for t in TABLES}
    known = SEALED
    for table, columns in declared.items():
        assert known.get(table, frozenset()) == columns
    assert known["log"] == {"reason"}
