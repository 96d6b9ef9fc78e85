"""The vocabulary's web page: terms with their labels in the chosen language; officers define and revise
terms through forms (CSRF, request key, the API's words next to the field), readers only read."""

from __future__ import annotations

from tests.e2e.conftest import count_events
from tests.e2e.web.test_pages import HTML, sign_in


def _key(text: str, form: str) -> str:
    import re

    section = text[text.index(f'id="{form}"'):]
    return re.search(r'name="request_key" value="([^"]+)"', section).group(1)


def test_a_reader_sees_the_terms_and_no_forms(api):
    sign_in(api, "reader")
    page = api.client.get("/web/vocabulary", headers=HTML)
    assert page.status_code == 200
    assert 'data-term="killed"' in page.text and 'data-term="civilians_killed"' in page.text
    assert 'id="define-term"' not in page.text
    arabic = api.client.get("/web/vocabulary", headers={**HTML, "Accept-Language": "ar"})
    assert "القتلى: الجميع، مدنيين كانوا أم لا" in arabic.text  # the built-in's label from the catalogue
    assert "المفردات" in arabic.text


def test_an_officer_defines_and_revises_a_term_through_the_forms(api):
    csrf = sign_in(api, "officer")
    page = api.client.get("/web/vocabulary", headers=HTML)
    key = _key(page.text, "define-term")
    before = count_events(api.ledger)
    refused = api.client.post("/web/vocabulary", headers=HTML, data={
        "csrf": csrf, "request_key": key, "kind": "value", "dimension": "place", "code": "معرة النعمان",
        "definition": "a town in Idlib", "label_en": "Maarat al-Numan", "p_code": "SY070400",
        "latitude": "35.6433", "longitude": "36.6717"})
    assert refused.status_code == 422 and 'id="err-reason"' in refused.text  # the error beside its field
    assert count_events(api.ledger) == before
    fields = {"csrf": csrf, "request_key": key, "kind": "value", "dimension": "place", "code": "معرة النعمان",
              "definition": "a town in Idlib", "label_en": "Maarat al-Numan", "label_ar": "معرة النعمان",
              "p_code": "SY070400", "latitude": "35.6433", "longitude": "36.6717", "reason": "named by SNHR"}
    done = api.client.post("/web/vocabulary", headers=HTML, data=fields, follow_redirects=False)
    assert done.status_code == 303, done.text
    again = api.client.post("/web/vocabulary", headers=HTML, data=fields, follow_redirects=False)
    assert again.status_code == 303 and count_events(api.ledger) == before + 2  # the term and its receipt; a second click records nothing
    term = api.get("/vocabulary/place:معرة النعمان", "reader").json()
    assert (term["p_code"], term["coordinates"], term["label_ar"]) == ("SY070400", [35.6433, 36.6717], "معرة النعمان")
    listed = api.client.get("/web/vocabulary", headers={**HTML, "Accept-Language": "ar"}).text
    assert "SY070400" in listed
    revise_key = _key(api.client.get("/web/vocabulary", params={"term": "displaced"}, headers=HTML).text,
                      "revise-term")
    stale = api.client.post("/web/vocabulary/revisions", headers=HTML, data={
        "csrf": csrf, "request_key": revise_key, "term": "displaced", "version": "7", "label_ar": "النازحون داخلياً",
        "reason": "OCHA's word"})
    assert stale.status_code == 412
    revised = api.client.post("/web/vocabulary/revisions", headers=HTML, data={
        "csrf": csrf, "request_key": revise_key, "term": "displaced", "version": "1", "label_ar": "النازحون داخلياً",
        "reason": "OCHA's word"}, follow_redirects=False)
    assert revised.status_code == 303, revised.text
    assert api.get("/vocabulary/displaced", "reader").json()["label_ar"] == "النازحون داخلياً"


def test_a_form_without_the_csrf_token_records_nothing(api):
    sign_in(api, "officer")
    before = count_events(api.ledger)
    answer = api.client.post("/web/vocabulary", headers=HTML, data={"kind": "metric", "code": "x", "reason": "r"})
    assert answer.status_code == 403 and count_events(api.ledger) == before


def _hidden(text: str, name: str) -> str:
    import re

    section = text[text.index('id="revise-term"'):]
    return re.search(rf'type="hidden" name="{name}" value="([^"]*)"', section).group(1)


def test_the_revision_form_carries_the_version_read_and_a_conflict_shows_the_other_change(api):
    """The officer follows a term's Revise link: the form carries the term and its version (nothing to type);
    a colleague revises it meanwhile, so the form is refused with that change shown, and sent again, it records."""
    csrf = sign_in(api, "officer")
    listed = api.client.get("/web/vocabulary", headers=HTML).text
    assert 'id="revise-term"' not in listed and 'id="revise-help"' in listed  # no version to type by hand
    assert '/web/vocabulary?term=displaced#revise"' in listed
    opened = api.client.get("/web/vocabulary", params={"term": "displaced"}, headers=HTML).text
    version = int(_hidden(opened, "version"))
    assert _hidden(opened, "term") == "displaced" and version == api.get("/vocabulary/displaced").json()["version"]
    api.ledger.revise_term("officer-2", "displaced", reason="UNHCR's wording", label_en="Internally displaced",
                           expected_version=version)
    form = {"csrf": csrf, "request_key": _key(opened, "revise-term"), "term": "displaced",
            "version": _hidden(opened, "version"), "label_ar": "النازحون داخلياً", "reason": "OCHA's word"}
    events = count_events(api.ledger)
    stale = api.client.post("/web/vocabulary/revisions", headers=HTML, data=form)
    assert stale.status_code == 412 and count_events(api.ledger) == events
    conflict = stale.text[stale.text.index('id="conflict"'):stale.text.index('id="revise-term"')]
    assert "UNHCR&#39;s wording" in conflict and "Internally displaced" in conflict and "officer-2" in conflict
    assert _hidden(stale.text, "version") == str(version + 1)  # deciding again is on the version shown
    assert 'value="النازحون داخلياً"' in stale.text  # what the officer typed is kept
    again = api.client.post("/web/vocabulary/revisions", headers=HTML, follow_redirects=False, data={
        **form, "request_key": _key(stale.text, "revise-term"), "version": _hidden(stale.text, "version")})
    assert again.status_code == 303, again.text[-2000:]
    term = api.get("/vocabulary/displaced").json()
    assert (term["label_en"], term["label_ar"], term["version"]) == ("Internally displaced", "النازحون داخلياً",
                                                                    version + 2)
