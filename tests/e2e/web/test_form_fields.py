"""A form's field names as the officers' forms read them (forms.body_of): whatever names and
values a form is sent with, a refusal on the form's page naming what is wrong, never a 5xx, and
nothing recorded by a refused form."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.e2e.web.test_pages import HTML, sign_in

FORM = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}


def _post(api, path: str, csrf: str, fields: list[tuple[str, str]]):
    return api.client.post(path, content=urlencode([("csrf", csrf), *fields]), headers=FORM,
                           follow_redirects=False)


@pytest.mark.parametrize("path, fields, field", [
    ("/web/new/incident", [("title", "x"), ("title.y", "z"), ("valid_from", "2019-01-01")], "title"),
    ("/web/new/incident", [("title", "x"), ("places.a", "x"), ("places", "y"), ("valid_from", "2019-01-01")],
     "places"),
    ("/web/new/incident", [("title.y", "z"), ("title", "x"), ("valid_from", "2019-01-01")], "title"),
    ("/web/new/incident", [("title", "x"), ("places", "y"), ("places.a", "x"), ("valid_from", "2019-01-01")],
     "places"),
    ("/web/new/incident", [("title", "x"), ("valid_from", "2019-01-01"), ("valid_from[0].y", "z")], "valid_from[0]"),
    ("/web/new/source", [("name", "n"), ("kind", "other"), ("language", "en"), ("name[1]", "m")], "name[1]"),
])
def test_a_field_given_as_a_value_and_as_a_group_is_refused_naming_it(api, path, fields, field):
    csrf = sign_in(api, "officer")
    before = api.events()
    answer = _post(api, path, csrf, fields)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html")
    assert f"{field} is given both as a value and as a group of fields" in answer.text
    assert "<form" in answer.text  # the form again, with what was typed, as other refusals show it
    assert api.events() == before


_NAMES = ["title", "title.y", "places", "places.a", "valid_from", "valid_to", "name", "kind", "language", "reason",
          "value", "value.number", "value.qualifier", "figures", "figures[0].metric", "figures[0].value.low",
          "figures[0].breakdown[0].dimension", "evidence", "protected", "version", "request_key", "code"]


def test_no_form_field_gets_a_5xx_and_a_refused_form_records_nothing(api, world):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    csrf = sign_in(api, "officer")
    paths = ["/web/new/incident", "/web/new/source", "/web/new/report", f"/web/figures/{world.figure}/corrections",
             f"/web/incidents/{world.incident}/period-revisions", f"/web/sources/{world.spare_source}/protection",
             "/web/vocabulary"]
    words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    shaped = st.from_regex(r"[a-z_]{1,8}(\[[0-9]{1,3}\])?(\.[a-z_]{1,8}(\[[0-9]{1,3}\])?){0,2}", fullmatch=True)
    # Names on a few stems, so that one is often given both as a value and as a group of fields.
    stemmed = st.tuples(st.sampled_from(["title", "places", "figures", "value", "name", "breakdown"]),
                        st.sampled_from(["", ".y", "[0]", "[0].metric", ".number"])).map("".join)
    names = st.one_of(stemmed, st.sampled_from(_NAMES), shaped, words)

    @given(path=st.sampled_from(paths), fields=st.lists(st.tuples(names, st.one_of(st.just("x"), words)), max_size=8))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    def sent(path: str, fields: list[tuple[str, str]]) -> None:
        before = api.events()
        answer = _post(api, path, csrf, fields)
        assert answer.status_code < 500, (path, fields, answer.status_code, answer.text[:300])
        if answer.status_code != 303:  # refused: on a page, nothing recorded
            assert answer.headers["content-type"].startswith("text/html"), answer.headers
            assert api.events() == before, (path, fields)

    sent()


@pytest.mark.parametrize("name", ["a." * 3000 + "a", "figures[0]." + "a." * 3000 + "a", "value." + "b[1]." * 2000 + "c",
                                  "figures[0].breakdown[0].part.x", "value.number.x.y"])
def test_a_field_name_nested_deeper_than_any_form_is_refused_naming_it(api, world, name):
    # Read whole, a name nested thousands deep made a body past Python's recursion limit: a 500.
    csrf = sign_in(api, "officer")
    before = api.events()
    for path in ("/web/new/incident", "/web/new/report", f"/web/figures/{world.figure}/corrections",
                 "/web/vocabulary"):
        answer = _post(api, path, csrf, [("title", "x"), ("valid_from", "2019-01-01"), (name, "1")])
        assert answer.status_code == 422, (path, answer.status_code, answer.text[-300:])
        assert answer.headers["content-type"].startswith("text/html")
        if path != "/web/new/report" or name.count(".") > 4:  # a row's own field names are the row's to refuse
            assert "is not a field of this form" in answer.text, path
    assert api.events() == before
