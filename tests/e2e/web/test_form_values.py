"""Every officer's form, the sign-in form and the upload, sent with any values in their own fields: never a
5xx; a refusal is the form's page and records nothing; what is taken reads back as a page, and the
same form sent again (its request key) records nothing more. test_form_fields.py does the same for
the fields' names."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Api, World
from tests.e2e.web.test_pages import HTML, sign_in

FORM = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}
EXAMPLES = 60

#: Values a person can type or a client can send in any field: empty, blank, too long, control
#: characters, digits of other scripts, numbers past every bound, dates that are no day or outside
#: the years a read takes, ids of nothing, flags, the words of another field.
ODD = ["", " ", "x" * 5000, "a\x00b", "a\x1bb", "a\rb", "\u202e", "١٢", "۱۲", "1٢", "9" * 30, "-1", "1e400", "nan",
       "inf", "0", "2019-02-30", "0001-01-01", "9999-12-31", "+2019-01-01", "2019-1-1", "19-01-01",
       "2019-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000", "{00000000-0000-0000-0000-000000000000}",
       "on", "off", "true", "null", "exact", "at_least", "range", "vague", "hundreds", "civilians_killed",
       "victim_group", "children", "place", "fair", "ar", "en", "zz-ZZ", "witness", "metric", "value",
       "https://a.org/x", "javascript:alert(1)", "//evil.example", "/\t/evil.example", '"1"', "W/\"1\"", "*"]


def values() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ODD), st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
                     st.integers(-10, 10**20).map(str))


def _forms(world: World) -> dict[str, tuple[str, Callable[[Api], list[tuple[str, str]]]]]:
    """Each form's path and its fields as its page sends them (a version read when the form is made)."""
    figure = world.figure

    def version(api: Api) -> str:
        return str(api.ledger.figure(figure).version)

    count = [("value.qualifier", "at_least"), ("value.number", "110"), ("value.low", ""), ("value.high", ""),
             ("value.term", ""), ("value.quote", "q")]
    return {
        "source": ("/web/new/source", lambda a: [("name", "n"), ("name_en", "n"), ("kind", "other"),
                                                 ("url", "https://a.org/x"), ("language", "en"), ("protected", "")]),
        "incident": ("/web/new/incident", lambda a: [("title", "t"), ("title_en", ""), ("places", "Idlib"),
                                                     ("places", ""), ("valid_from", "2019-01-01"),
                                                     ("valid_to", ""), ("description", "")]),
        "report": ("/web/new/report", lambda a: [
            ("source_id", world.public_source), ("title", "t"), ("language", "en"), ("published_on", "2019-05-01"),
            ("url", ""), ("reference", ""), ("figures[0].incident_id", world.incident),
            ("figures[0].metric", "civilians_injured"), ("figures[0].breakdown[0].dimension", "victim_group"),
            ("figures[0].breakdown[0].part", "children"), ("figures[0].population", ""),
            ("figures[0].value.qualifier", "range"), ("figures[0].value.low", "3"), ("figures[0].value.high", "5"),
            ("figures[0].value.term", ""), ("figures[0].value.quote", "")]),
        "citation": ("/web/new/citation", lambda a: [("target_id", figure), ("source_id", world.public_source),
                                                     ("url", "https://a.org/c"), ("quote", "q"), ("page", "3"),
                                                     ("accessed_on", "")]),
        "correct": (f"/web/figures/{figure}/corrections",
                    lambda a: [("version", version(a)), *count, ("reason", "r"), ("evidence", world.public_citation)]),
        "supersede": (f"/web/figures/{figure}/supersessions",
                      lambda a: [("version", version(a)), ("source_id", world.public_source),
                                 ("report_id", world.public_report), *count, ("reason", "r")]),
        "retract": (f"/web/figures/{figure}/retractions", lambda a: [("version", version(a)), ("reason", "r")]),
        "grade": (f"/web/figures/{figure}/grades",
                  lambda a: [("version", version(a)), ("grade", "fair"), ("reason", "r"),
                             ("evidence", world.public_citation)]),
        "cite": ("/web/new/citation", lambda a: [("target_id", world.public_report), ("source_id", world.spare_source),
                                                 ("quote", "q")]),
        "withdraw": (f"/web/citations/{world.public_citation}/withdrawals",
                     lambda a: [("version", "1"), ("reason", "r")]),
        "protect": (f"/web/sources/{world.spare_source}/protection",
                    lambda a: [("protected", "on"), ("reason", "r"), ("version", "1")]),
        "protect by id": ("/web/sources/protection", lambda a: [("source_id", world.spare_source),
                                                                ("protected", ""), ("reason", "r"),
                                                                ("version", "2")]),
        "period": (f"/web/incidents/{world.incident}/period-revisions",
                   lambda a: [("version", "1"), ("valid_from", "2019-04-20"), ("valid_to", ""), ("reason", "r")]),
        "define": ("/web/vocabulary", lambda a: [("kind", "value"), ("dimension", "place"), ("code", "Kafr"),
                                                 ("definition", "a town"), ("label_en", "Kafr"), ("label_ar", ""),
                                                 ("p_code", "SY0704"), ("latitude", "35.6"), ("longitude", "36.6"),
                                                 ("closed", ""), ("part_of", ""), ("reason", "r")]),
        "revise": ("/web/vocabulary/revisions", lambda a: [("term", "displaced"), ("version", "1"),
                                                           ("definition", "d"), ("label_en", "l"), ("reason", "r")]),
    }


FORMS = ["source", "incident", "report", "citation", "correct", "supersede", "retract", "grade", "cite", "withdraw",
         "protect", "protect by id", "period", "define", "revise"]


def _post(api: Api, path: str, csrf: str, fields: list[tuple[str, str]]):
    return api.client.post(path, content=urlencode([("csrf", csrf), *fields]), headers=FORM, follow_redirects=False)


@pytest.mark.parametrize("form", FORMS)
def test_any_value_in_a_forms_fields_is_taken_or_refused_on_its_page(shared: tuple[Api, World], form: str) -> None:
    api, world = shared
    path, fields_of = _forms(world)[form]
    csrf = sign_in(api, "officer")
    base = fields_of(api)
    changes = st.lists(st.tuples(st.integers(0, len(base) - 1), values()), min_size=1, max_size=4)

    # The form's request key too (its Idempotency-Key): of any length and characters, or the same for two forms.
    # (None at all is a request without one, as the API's: every form a page shows has one, test_form_keys.py.)
    @given(changes=changes, key=st.one_of(st.uuids().map(str), st.uuids().map(str), values().filter(str.strip)))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def sent(changes: list[tuple[int, str]], key: str) -> None:
        fields = fields_of(api)
        for i, value in changes:
            fields[i] = (fields[i][0], value)
        fields.append(("request_key", key))
        before = api.events()
        answer = _post(api, path, csrf, fields)
        assert answer.status_code < 500, (form, fields, answer.status_code, answer.text[-500:])
        if answer.status_code != 303:
            assert answer.status_code in (400, 403, 404, 409, 412, 422, 428), (form, fields, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html"), answer.headers
            assert api.events() == before, (form, fields)
            return
        there = answer.headers["location"]
        assert there.startswith("/web/"), there
        shown = api.client.get(there, headers=HTML, follow_redirects=False)
        assert shown.status_code == 200, (form, fields, there, shown.status_code, shown.text[-500:])
        recorded = api.events()
        again = _post(api, path, csrf, fields)  # the same form sent again: its request key's first answer
        assert again.status_code == 303 and api.events() == recorded, (form, fields, again.status_code)

    sent()


@given(key=values(), next_=values())
@settings(max_examples=EXAMPLES * 3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def _signing_in(api: Api, key: str, next_: str) -> None:
    api.client.cookies.clear()
    page = api.client.get("/web/sign-in", headers=HTML)
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    answer = _post(api, "/web/sign-in", csrf, [("key", key), ("next", next_)])
    assert answer.status_code in (303, 401), (key, next_, answer.status_code, answer.text[-300:])
    if answer.status_code == 303:  # never to another host, whatever a browser makes of the path
        there = urlparse(answer.headers["location"].replace("\\", "/").replace("\t", "").replace("\n", ""))
        assert not there.netloc and not there.scheme, answer.headers["location"]


def test_the_sign_in_form_takes_any_key_and_next(shared: tuple[Api, World]) -> None:
    api, _ = shared
    _signing_in(api)
    # A known key with a next that a browser would read as another host.
    for next_ in ("//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "/%2F/evil.example"):
        api.client.cookies.clear()
        page = api.client.get("/web/sign-in", headers=HTML)
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        answer = _post(api, "/web/sign-in", csrf, [("key", api.keys["reader"]), ("next", next_)])
        assert answer.status_code == 303
        location = answer.headers["location"]
        there = urlparse(location.replace("\\", "/").replace("\t", ""))
        assert not there.netloc and not there.scheme and not location.startswith("//"), location


@given(data=st.one_of(st.binary(max_size=300), st.sampled_from([
    b"", b"\xff\xfe\x00", b"PK\x03\x04garbage", b"metric,number\n" + b"x," * 5000,
    b"source_id,incident_id,metric,qualifier,number\n00000000-0000-0000-0000-000000000000,x,civilians_killed,exact,"
    + b"9" * 40 + b"\n"])),
    name=st.sampled_from(["a.csv", "a.xlsx", "a.hxl", "a", "../../a.csv", "a\x00.csv", ""]),
    language=values(), published_on=values())
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def _uploading(api: Api, csrf: str, data: bytes, name: str, language: str, published_on: str) -> None:
    before = api.events()
    answer = api.client.post("/web/imports", headers=HTML, files={"file": (name, data, "text/csv")},
                             data={"csrf": csrf, "language": language, "published_on": published_on, "check": "on"})
    assert answer.status_code in (200, 422), (name, data[:80], answer.status_code, answer.text[-300:])
    assert answer.headers["content-type"].startswith("text/html")
    assert api.events() == before  # "check" only: nothing filed


def test_the_upload_takes_any_file_and_fields(shared: tuple[Api, World]) -> None:
    api, _ = shared
    _uploading(api, sign_in(api, "officer"))

