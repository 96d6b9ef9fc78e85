"""One source card: the read side's (projections/redaction.py) and the API's response model of it list the same fields."""

from __future__ import annotations

from dataclasses import fields

from pydantic import TypeAdapter, ValidationError
import pytest

from api.query_models import SourceCardOut, SourceRef
from projections.redaction import SourceCard, Sources

ID = "6f1c1f5e-3a1e-4a53-9c36-2a5d7d1b8c01"


def test_the_response_model_lists_the_cards_fields():
    assert list(SourceCardOut.model_fields) == [f.name for f in fields(SourceCard)]


@pytest.mark.parametrize("include_protected", [False, True])
@pytest.mark.parametrize("known,protected", [(True, False), (True, True), (False, False)])
def test_every_reference_the_redaction_rule_gives_is_one_the_api_describes(include_protected, known, protected):
    cards = [SourceCard(ID, "شاهد", "Witness", "witness", protected)] if known else []
    ref = Sources(cards, include_protected).ref(ID)
    shown = TypeAdapter(SourceRef).validate_python(ref)
    if ref == "protected":
        assert shown == "protected" and (protected or not known) and not include_protected
    else:
        assert shown.model_dump(mode="json", exclude_unset=True) == ref


def test_a_card_without_its_id_is_refused():
    with pytest.raises(ValidationError):
        TypeAdapter(SourceRef).validate_python({"name": "x"})
