"""Whose a receipt is: a request's key its caller's, a content key (an import's) the ledger's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.receipt import ContentKey, receipt_id

actors = st.text(min_size=1, max_size=40)
keys = st.text(min_size=1, max_size=80)


@given(actors, actors, keys)
def test_a_content_key_names_one_receipt_whoever_sends_it(one, other, key):
    assert receipt_id(one, ContentKey(key)) == receipt_id(other, ContentKey(key))


@given(actors, actors, keys)
def test_a_requests_key_is_its_callers_and_never_a_content_keys(one, other, key):
    assert (receipt_id(one, key) == receipt_id(other, key)) == (one == other)
    assert receipt_id(one, key) != receipt_id(one, ContentKey(key))
