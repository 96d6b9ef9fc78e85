"""An officer on an Arabic or a Persian keyboard types a count, a range's bounds and a version in the
digits it gives (٣٠, ۳۰): every number field of the forms reads them as the ledger's numbers; a number
mixing digit sets, or any other character, is refused naming its field and records nothing."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from api.models import CorrectionIn
from api.web.forms import Refused, as_model, body_of
from ledger.value import DIGIT_SETS
from tests.e2e.web.test_pages import HTML, sign_in
from tests.e2e.web.test_report_form import post, report, row


def _written(number: int, digits: str) -> str:
    return "".join(digits[int(d)] for d in str(number))


def _correction(number: str) -> CorrectionIn:
    return as_model(CorrectionIn, body_of([("value.qualifier", "at_least"), ("value.number", number),
                                          ("reason", "update")]))


@given(st.integers(0, 10**9), st.sampled_from(DIGIT_SETS))
def test_a_number_in_any_of_the_three_digit_sets_reads_as_the_same_number(number, digits):
    assert _correction(_written(number, digits)).value.number == number  # type: ignore[attr-defined]


@given(st.integers(10, 10**9), st.data())
def test_a_number_mixing_digit_sets_or_with_another_character_is_refused_naming_its_field(number, data):
    first, second = data.draw(st.lists(st.sampled_from(DIGIT_SETS), min_size=2, max_size=2, unique=True))
    text = _written(number, first)
    at = data.draw(st.integers(0, len(text) - 1))
    mixed = text[:at] + _written(int(text[at].translate(str.maketrans(first, DIGIT_SETS[0]))), second) + text[at + 1:]
    other = data.draw(st.sampled_from(["x", " ", ",", "٫", "-", "+", "१", "²", "."]))  # Devanagari one, superscript two
    for typed in (mixed, text[:1] + other + text[1:]):  # within: a form strips the ends
        try:
            _correction(typed)
        except Refused as refused:
            assert refused.problem.extensions["errors"][0]["field"] == "value.number"
        else:
            raise AssertionError(f"{typed!r} was read as a number")


def test_a_report_form_takes_arabic_indic_and_persian_digits(api, world):
    csrf = sign_in(api, "officer")
    form = report(csrf, world.public_source, "digits-1",
                  **row(0, world.incident, qualifier="at_least", number="٣٠"),
                  **row(1, world.incident, ("victim_group", "children"), qualifier="range", low="۱۰", high="۱۴"))
    answer = post(api, form)
    assert answer.status_code == 303, answer.text[-3000:]
    report_id = answer.headers["location"].rsplit("/", 1)[1]
    page = api.client.get(answer.headers["location"], headers=HTML).text
    figures = [api.get(f"/figures/{i}").json() for i in dict.fromkeys(re.findall(r"/web/figures/([0-9a-f-]{36})", page))]
    filed = sorted((c["value"]["low"], c["value"]["high"]) for f in figures for c in f["claims"]
                   if c["report_id"] == report_id)
    assert filed == [(10, 14), (30, None)]


def test_a_correction_takes_its_number_and_version_in_arabic_indic_digits(api, world):
    csrf = sign_in(api, "officer")
    version = api.ledger.figure(world.figure).version
    form = {"csrf": csrf, "request_key": "digits-2", "version": _written(version, DIGIT_SETS[1]),
            "value.qualifier": "at_least", "value.number": "١١٠", "reason": "update"}
    answer = api.client.post(f"/web/figures/{world.figure}/corrections", data=form, headers=HTML,
                             follow_redirects=False)
    assert answer.status_code == 303, answer.text[-3000:]
    assert api.ledger.figure(world.figure).version == version + 1
    assert api.get(f"/figures/{world.figure}").json()["value"]["low"] == 110


def test_a_mixed_number_on_the_form_is_refused_beside_its_field(api, world):
    csrf = sign_in(api, "officer")
    events = api.events()
    answer = api.client.post(f"/web/figures/{world.figure}/corrections", headers=HTML,
                             data={"csrf": csrf, "version": "1", "value.qualifier": "at_least",
                                   "value.number": "1٠", "reason": "x"})
    assert answer.status_code == 422
    assert re.search(r'id="err-c-value-number">[^<]*integer', answer.text, re.IGNORECASE), answer.text[-3000:]
    assert 'value="1٠"' in answer.text
    assert api.events() == events
