"""The vocabulary's web page: terms with their labels in the chosen language; officers define and revise
terms through forms (CSRF, request key, the API's words next to the field), readers only read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

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
    assert refused.status_code == 422 and 'id="err-d-reason"' in refused.text  # the error beside its field
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


class _Fields(HTMLParser):
    """Every id on a page; each form's labels (their ``for``), fields (id, name, aria-describedby) and errors."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.form: str | None = None
        self.labels: list[tuple[str | None, str]] = []
        self.fields: dict[str, tuple[str | None, str, str]] = {}
        self.errors: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "form":
            self.form = a.get("id")
        elif tag == "label" and "for" in a:
            self.labels.append((self.form, a["for"]))
        elif tag in ("input", "select", "textarea") and "id" in a:
            self.fields[a["id"]] = (self.form, a.get("name", ""), a.get("aria-describedby", ""))
        elif tag == "p" and a.get("class") == "error":
            self.errors.append((self.form, a["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None


def _fields(text: str) -> _Fields:
    found = _Fields()
    found.feed(text)
    return found


def _check_the_forms(text: str, refused: dict[str, str] | None = None) -> None:
    """Ids unique, each label for a field of its own form, and each refusal (form id: field name) beside
    that form's field, which names it as its description."""
    found = _fields(text)
    assert len(found.ids) == len(set(found.ids)), sorted(i for i in found.ids if found.ids.count(i) > 1)
    for form, target in found.labels:
        assert target in found.fields and found.fields[target][0] == form, (form, target)
    for form, name in (refused or {}).items():
        errors = [e for f, e in found.errors if f == form]
        described = [fid for fid, (f, n, d) in found.fields.items() if f == form and n == name and d in errors]
        assert errors and described, (form, name, errors)
        assert not [e for f, e in found.errors if f != form]  # the other form shows no refusal


def test_the_define_and_revise_forms_each_have_their_own_ids_and_their_refusals_beside_their_fields(api):
    """Both forms on one page (a term's Revise link followed): no id twice, every label names its own form's
    field, and a refusal of either form is shown beside the field the API named, in that form alone."""
    csrf = sign_in(api, "officer")
    for lang in ("en", "ar"):
        opened = api.client.get("/web/vocabulary", params={"term": "displaced"},
                                headers={**HTML, "Accept-Language": lang}).text
        assert 'id="define-term"' in opened and 'id="revise-term"' in opened
        _check_the_forms(opened)
    opened = api.client.get("/web/vocabulary", params={"term": "displaced"}, headers=HTML).text
    before = count_events(api.ledger)
    no_reason = api.client.post("/web/vocabulary", headers=HTML, data={
        "csrf": csrf, "request_key": _key(opened, "define-term"), "kind": "metric", "code": "medics_killed",
        "definition": "medical workers killed", "label_en": "medics killed"})
    assert no_reason.status_code == 422
    revise_refused = api.client.post("/web/vocabulary/revisions", headers=HTML, data={
        "csrf": csrf, "request_key": _key(opened, "revise-term"), "term": "displaced",
        "version": _hidden(opened, "version"), "label_en": "Internally displaced"})
    assert revise_refused.status_code == 422 and count_events(api.ledger) == before
    _check_the_forms(no_reason.text, {"define-term": "reason"})
    _check_the_forms(revise_refused.text, {"revise-term": "reason"})
    no_place = api.client.post("/web/vocabulary", headers=HTML, data={
        "csrf": csrf, "request_key": _key(opened, "define-term"), "kind": "value", "dimension": "place",
        "code": "Kafr Nabl", "definition": "a town", "label_en": "Kafr Nabl", "latitude": "north", "reason": "r"})
    not_a_place = api.client.post("/web/vocabulary/revisions", headers=HTML, data={
        "csrf": csrf, "request_key": _key(opened, "revise-term"), "term": "displaced",
        "version": _hidden(opened, "version"), "latitude": "35.6", "longitude": "36.6", "reason": "r"})
    assert (no_place.status_code, not_a_place.status_code) == (422, 422) and count_events(api.ledger) == before
    _check_the_forms(no_place.text, {"define-term": "latitude"})  # the API's `coordinates`: beside the first of the two
    _check_the_forms(not_a_place.text, {"revise-term": "latitude"})


def _terms(text: str) -> dict[str, tuple[str, str]]:
    """The page's terms: each one's label and version as listed."""
    rows = re.findall(r'<tr data-term="([^"]+)">.*?<td dir="auto" class="label">([^<]*)</td>.*?'
                      r'<td>(\d+)</td><td dir="auto">', text, re.S)
    return {term: (label, version) for term, label, version in rows}


def _before(moment: str) -> str:
    at = datetime.fromisoformat(moment) - timedelta(microseconds=1)
    return at.isoformat()


def test_the_vocabulary_as_of_a_time_is_the_terms_defined_by_then_each_at_its_version_then(api):
    """``GET /vocabulary?as_of=`` and the page: a term defined later is absent, a term revised later is at
    its earlier version and label, to the microsecond of its events; a banner says when, an officer gets
    no form; a bad as_of is the 422 naming it; a publication cut leaves the terms as recorded."""
    api.ledger.define_term("officer-1", kind="metric", code="medics_killed", definition="medical workers killed",
                           label_en="medics killed", reason="the monitors count them apart")
    api.ledger.revise_term("officer-2", "medics_killed", reason="WHO's word", label_en="health workers killed",
                           expected_version=1)
    now = api.get("/vocabulary/medics_killed", "reader").json()
    defined, revised = now["defined_at"], now["revised_at"]
    assert (now["version"], now["history"][1]["at"]) == (2, revised)
    listed = lambda **q: {t["term"]: t for t in api.client.get(  # noqa: E731
        "/vocabulary", params=q, headers=api.headers("reader")).json()["terms"]}
    assert "medics_killed" not in listed(as_of=_before(defined)) and "killed" in listed(as_of=_before(defined))
    for at, version, label in ((defined, 1, "medics killed"), (_before(revised), 1, "medics killed"),
                               (revised, 2, "health workers killed")):
        term = listed(as_of=at)["medics_killed"]
        assert (term["version"], term["label_en"], term["defined_by"]) == (version, label, "officer-1"), at
        assert (term["revised_by"], term["revised_at"]) == ((None, None) if version == 1 else ("officer-2", revised))
    assert listed(as_of=revised) == listed()
    assert listed(as_of="2019-05-01T10:00:00Z") == {}  # before the ledger recorded any term
    bad = api.client.get("/vocabulary", params={"as_of": "yesterday"}, headers=api.headers("reader"))
    assert bad.status_code == 422 and "as_of" in bad.json()["errors"][0]["field"]

    sign_in(api, "officer")
    page = lambda **q: api.client.get("/web/vocabulary", params=q, headers=HTML)  # noqa: E731
    present = page().text
    assert _terms(present)["medics_killed"] == ("health workers killed", "2") and 'class="banner"' not in present
    earlier = page(as_of=_before(revised)).text
    assert _terms(earlier)["medics_killed"] == ("medics killed", "1")
    assert 'class="banner"' in earlier and 'id="define-term"' not in earlier and 'id="past-view"' in earlier
    assert "medics_killed" not in _terms(page(as_of=_before(defined)).text)
    assert 'id="no-terms"' in page(as_of="2019-05-01T10:00:00Z").text
    cut = page(published_by="2019-01-01").text
    assert _terms(cut) == _terms(present) and 'id="vocabulary-uncut"' in cut and 'class="banner"' not in cut
    assert 'id="vocabulary-uncut"' not in present and 'id="vocabulary-uncut"' not in earlier
    wrong = page(as_of="yesterday")
    assert wrong.status_code == 422 and "as_of" in wrong.text
