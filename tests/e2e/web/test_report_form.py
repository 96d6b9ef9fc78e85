"""The report form in-process: several breakdown pairs a row, rows and pairs added without
JavaScript, every refusal on the row and pair it names, every qualifier and its words; and no
officer's form on the ledger as it stood (as of a time, under a publication cut)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from api.web.report_rows import WORDS
from ledger.value import APPROXIMATORS, VAGUE_ALIASES, VAGUE_TERMS, Qualifier
from tests.e2e.web.test_pages import HTML, sign_in


def report(csrf: str, source: str, key: str, **rows: str) -> dict[str, str]:
    return {"csrf": csrf, "request_key": key, "source_id": source, "title": "Weekly update", "language": "en",
            **{name.replace("__", "."): value for name, value in rows.items()}}


def row(i: int, incident: str, *pairs: tuple[str, str], **value: str) -> dict[str, str]:
    """Form fields of row ``i``: its breakdown pairs and its value (``qualifier`` etc.)."""
    fields = {f"figures[{i}].incident_id": incident, f"figures[{i}].metric": "civilians_killed",
              f"figures[{i}].population": ""}
    for j, (dimension, part) in enumerate(pairs):
        fields |= {f"figures[{i}].breakdown[{j}].dimension": dimension, f"figures[{i}].breakdown[{j}].part": part}
    return fields | {f"figures[{i}].value.{k}": v for k, v in value.items()}


def blank(i: int) -> dict[str, str]:
    """A row left as the page gives it: its selects on their first choice, the qualifier's "exactly"."""
    return {f"figures[{i}].incident_id": "", f"figures[{i}].metric": "", f"figures[{i}].population": "",
            f"figures[{i}].breakdown[0].dimension": "", f"figures[{i}].breakdown[0].part": "",
            f"figures[{i}].value.qualifier": "exact"}


def post(api, form: dict[str, str]):
    return api.client.post("/web/new/report", data=form, headers=HTML, follow_redirects=False)


def test_a_row_carries_several_breakdown_pairs_and_blank_rows_are_left_out(api, world):
    csrf = sign_in(api, "officer")
    form = report(csrf, world.public_source, "pairs-1",
                  **row(0, world.incident, ("perpetrator", "russian-forces"), ("victim_group", "children"),
                        qualifier="at_least", number="14", quote="including 14 children"),
                  **blank(1),
                  **row(2, world.incident, ("perpetrator", "russian-forces"), ("", ""),
                        qualifier="approximate", number="40", term="نحو", quote="نحو 40 مدنياً"))
    answer = post(api, form)
    assert answer.status_code == 303, answer.text[-3000:]
    report_id = answer.headers["location"].rsplit("/", 1)[1]
    page = api.client.get(answer.headers["location"], headers=HTML).text
    figures = [api.get(f"/figures/{i}").json() for i in dict.fromkeys(re.findall(r"/web/figures/([0-9a-f-]{36})", page))]
    filed = sorted(((f["breakdown"], c["value"]) for f in figures for c in f["claims"] if c["report_id"] == report_id),
                   key=lambda claim: claim[1]["number"])
    assert [breakdown for breakdown, _ in filed] == [{"perpetrator": "russian-forces", "victim_group": "children"},
                                                     {"perpetrator": "russian-forces"}]
    about = filed[1][1]
    assert (about["qualifier"], about["number"], about["term"], about["quote"]) == (
        "approximate", 40, "about", "نحو 40 مدنياً")  # read as "about", the words kept as written


def test_an_api_refusal_lands_on_the_row_and_pair_the_officer_typed(api, world):
    """The API numbers the statements it got (row 2 is its figures[1], the blank row 1 left out) and names
    the breakdown by its dimension; the form shows the words beside row 2's second pair."""
    csrf = sign_in(api, "officer")
    events = api.events()
    form = report(csrf, world.public_source, "pairs-2",
                  **row(0, world.incident, qualifier="exact", number="3"), **blank(1),
                  **row(2, world.incident, ("perpetrator", "russian-forces"), ("victim_group", "women,children"),
                        qualifier="exact", number="5"))
    answer = post(api, form)
    assert answer.status_code == 422
    assert re.search(r'id="err-figures-2-breakdown-1">[^<]*should match pattern', answer.text), answer.text[-4000:]
    assert 'aria-describedby="err-figures-2-breakdown-1"' in answer.text
    assert 'value="women,children"' in answer.text  # what was typed is kept
    assert api.events() == events


def test_a_pair_missing_its_half_or_a_dimension_twice_is_refused_beside_that_pair(api, world):
    csrf = sign_in(api, "officer")
    events = api.events()
    form = report(csrf, world.public_source, "pairs-3",
                  **row(0, world.incident, ("perpetrator", "russian-forces"), ("victim_group", ""),
                        qualifier="exact", number="3"),
                  **row(1, world.incident, ("", "children"), qualifier="exact", number="4"),
                  **row(2, world.incident, ("perpetrator", "syrian-regime"), ("perpetrator", "russian-forces"),
                        qualifier="exact", number="5"))
    answer = post(api, form)
    assert answer.status_code == 422
    for field, words in (("figures-0-breakdown-1-part", "needs its part"),
                         ("figures-1-breakdown-0-dimension", "needs the dimension"),
                         ("figures-2-breakdown-1-dimension", "already breaks down by")):
        assert re.search(f'id="err-{field}">[^<]*{words}', answer.text), (field, answer.text[-4000:])
    assert api.events() == events


def test_the_add_buttons_show_the_form_again_with_what_was_typed_and_record_nothing(api, world):
    csrf = sign_in(api, "officer")
    events = api.events()
    typed = report(csrf, world.public_source, "pairs-4",
                   **row(0, world.incident, ("perpetrator", "russian-forces"), qualifier="at_least", number="37"),
                   **blank(1), **blank(2))
    more_pairs = post(api, {**typed, "add": "0"})
    assert more_pairs.status_code == 200
    assert 'name="figures[0].breakdown[1].dimension"' in more_pairs.text
    assert 'name="figures[1].breakdown[1].dimension"' not in more_pairs.text
    assert 'value="russian-forces"' in more_pairs.text and 'value="37"' in more_pairs.text
    assert 'name="request_key" value="pairs-4"' in more_pairs.text  # still the form's own key
    more_rows = post(api, {**typed, "add": "row"})
    assert 'name="figures[3].metric"' in more_rows.text and 'name="figures[4].metric"' not in more_rows.text
    assert api.events() == events
    filed = post(api, {**typed, "figures[0].breakdown[1].dimension": "victim_group",
                       "figures[0].breakdown[1].part": "children"})
    assert filed.status_code == 303, filed.text[-3000:]


def test_every_qualifier_and_every_word_of_the_api_is_offered(api):
    sign_in(api, "officer")
    form = api.client.get("/web/new/report?rows=1", headers=HTML).text
    select = re.search(r'name="figures\[0\]\.value\.qualifier"[^>]*>(.*?)</select>', form, re.S).group(1)
    assert re.findall(r'value="([a-z_]+)"', select) == [q.value for q in Qualifier]
    assert 'list="count-words"' in form
    offered = re.findall(r'<option value="([^"]+)"></option>', re.search(
        r'<datalist id="count-words">(.*?)</datalist>', form, re.S).group(1))
    assert set(offered) == {*VAGUE_TERMS, *VAGUE_ALIASES, *APPROXIMATORS} == {*WORDS["vague"], *WORDS["approximate"]}


def test_no_officer_form_on_the_ledger_as_it_stood(api, world):
    sign_in(api, "officer")
    moment = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    now = {f"/web/figures/{world.figure}": 'id="form-correct"',
           f"/web/citations/{world.public_citation}": "/withdrawals",
           f"/web/incidents/{world.incident}": 'id="form-period"',
           f"/web/sources/{world.public_source}": 'id="form-protect"',
           "/web/new/report": 'id="report-form"', "/web/new/source": 'action="/web/new/source" class="card"',
           "/web/imports": "data-upload"}
    for path, form in now.items():
        assert form in api.client.get(path, headers=HTML).text, path
        for past in ({"as_of": moment}, {"published_by": "2030-01-01"}):
            answer = api.client.get(path, params=past, headers=HTML)
            assert answer.status_code == 200, (path, past, re.findall(r"<main.*?</main>", answer.text, re.S))
            assert form not in answer.text and 'id="past-view"' in answer.text, (path, past)
            assert f'<a href="{path}">' in answer.text  # the way back to the present
            assert ("as it stood then" if "as_of" in past else "had published by then") in answer.text
