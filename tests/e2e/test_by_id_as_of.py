"""Records by id as of a recording time: the version the views held then, its ETag; a time (or a
publication cut) before the record existed answering what the ledger said then, nothing yet; and
a protected record answering a non-auditor exactly as an unknown id, as of every time."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

from tests.e2e.conftest import Api, World, assert_problem

BEFORE_ANYTHING = "1999-01-01T00:00:00Z"
BEFORE_ANY_WORD = "2000-01-01"  # a publication cut before every report of the world (none is dated)


def _now() -> str:
    moment = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)  # what comes next is recorded strictly after the moment
    return moment


def _as_unknown(api: Api, path: str, ident: str, role: str) -> None:
    """``path`` (naming ``ident``) answers byte for byte what the same path naming an unknown id answers."""
    unknown = str(uuid.uuid4())
    seen, never = api.get(path, role), api.get(path.replace(ident, unknown), role)
    assert seen.status_code == never.status_code == 404, (seen.text, never.text)
    assert seen.content == never.content.replace(unknown.encode(), ident.encode()), (seen.text, never.text)
    assert "etag" not in seen.headers


def _nothing_yet(api: Api, path: str, ident: str, role: str, **asked: str) -> dict:
    """``path`` (naming ``ident``) answers that the ledger had not recorded it yet: the id, the
    times ``asked`` echoed (each as the start of its ISO text), version 0 as the ETag, which
    gives 304, and every other field null."""
    answer = api.get(path, role)
    assert answer.status_code == 200 and answer.headers["etag"] == '"0"', (path, answer.status_code, answer.text)
    body = answer.json()
    said = {k: v for k, v in body.items() if v is not None and k not in asked}
    assert said == {f"{path.split('/')[1][:-1]}_id": ident, "state": "not_yet_recorded", "version": 0}, body
    for name, start in asked.items():
        assert body[name].startswith(start), (name, body)
    assert api.get(path, role, If_None_Match='"0"').status_code == 304
    return body


def _public(world: World) -> tuple[tuple[str, str], ...]:
    return (("figures", world.figure), ("sources", world.public_source), ("incidents", world.incident),
            ("reports", world.public_report), ("citations", world.public_citation))


def test_a_figure_as_of_a_time_is_the_version_live_then(api: Api, world: World) -> None:
    path = f"/figures/{world.figure}"
    moment = _now()
    api.post(f"{path}/corrections", {"value": {"qualifier": "range", "low": 110, "high": 115},
                                     "reason": "hospital lists"}, If_Match='"2"')
    then, now = api.get(f"{path}?as_of={moment}", "reader"), api.get(path, "reader")
    assert then.status_code == 200 and then.headers["etag"] == '"2"' and now.headers["etag"] == '"3"'
    assert then.json()["value"]["low"] == 108 and now.json()["value"]["low"] == 110
    assert then.json() == api.get(f"{path}?version=2", "reader").json()  # the same record, two ways to ask
    assert api.get(f"{path}?as_of={moment}", "reader", If_None_Match='"2"').status_code == 304
    assert api.get(f"{path}?as_of={_now()}", "reader").json() == now.json()
    # The protected source's claim keeps its number and loses who said it, as of any time.
    claims = then.json()["claims"]
    assert any(c["protected"] and c["source_id"] is None for c in claims)
    assert world.protected_source not in then.text


def test_as_of_before_a_record_existed_answers_nothing_yet(api: Api, world: World) -> None:
    for kind, ident in _public(world):
        path = f"/{kind}/{ident}"
        now = api.get(path, "reader").json()
        then = _nothing_yet(api, f"{path}?as_of={BEFORE_ANYTHING}", ident, "reader", as_of=BEFORE_ANYTHING)
        assert then["as_of"] == BEFORE_ANYTHING
        # The record's own fields are all there, null: a client reads the same names either way.
        assert set(then) - {"as_of", "published_by"} == set(now) and now["state"] == "recorded", kind
        assert api.get(f"{path}?as_of={_now()}", "reader").json()["state"] == "recorded", path
        # The record, once recorded, is not the ETag "0" any more.
        assert api.get(path, "reader", If_None_Match='"0"').status_code == 200
        # An id never recorded is still the 404 it was, as of any time.
        for query in ("", f"?as_of={BEFORE_ANYTHING}"):
            assert_problem(api.get(f"/{kind}/{uuid.uuid4()}{query}", "reader"), 404)


def test_a_cut_before_a_records_words_were_published_answers_nothing_yet(api: Api, world: World) -> None:
    for kind, ident in (("figures", world.figure), ("reports", world.public_report)):
        path = f"/{kind}/{ident}"
        cut = _nothing_yet(api, f"{path}?published_by={BEFORE_ANY_WORD}", ident, "reader",
                           published_by=BEFORE_ANY_WORD)
        assert cut["as_of"] is None
        _nothing_yet(api, f"{path}?published_by={BEFORE_ANY_WORD}&as_of={_now()}", ident, "reader",
                     published_by=BEFORE_ANY_WORD, as_of=str(datetime.now(timezone.utc).year))
        assert api.get(f"{path}?published_by=2100-01-01", "reader").json()["state"] == "recorded"
        assert_problem(api.get(f"/{kind}/{uuid.uuid4()}?published_by={BEFORE_ANY_WORD}", "reader"), 404)
    # A figure its protected source alone stated is public (its claims lose who said them):
    # before its words it is nothing yet, to a reader as to an auditor, and says no more.
    path = f"/figures/{world.protected_figure}?as_of={BEFORE_ANYTHING}"
    told = {role: _nothing_yet(api, path, world.protected_figure, role, as_of=BEFORE_ANYTHING)
            for role in ("reader", "auditor")}
    assert told["reader"] == told["auditor"]


def test_version_0_is_no_version_the_ledger_recorded(api: Api, world: World) -> None:
    """Nothing yet is asked for by a time (as_of, published_by), never as a version: 0 stays refused."""
    assert_problem(api.get(f"/figures/{world.figure}?version=0", "reader"), 422, field="version")


def test_a_protected_record_as_of_any_time_answers_a_reader_as_an_unknown_id(api: Api, world: World) -> None:
    moment = _now()
    for kind, ident in (("sources", world.protected_source), ("reports", world.protected_report),
                        ("citations", world.protected_citation), ("citations", world.protected_report_citation)):
        # Not even "not yet": that would tell the id exists, and since when.
        for role in ("reader", "officer"):
            for at in (moment, BEFORE_ANYTHING):
                _as_unknown(api, f"/{kind}/{ident}?as_of={at}", ident, role)
        assert api.get(f"/{kind}/{ident}?as_of={moment}", "auditor").json()["state"] == "recorded"
        # An auditor may know it: before it existed it is nothing yet, as a public record is.
        _nothing_yet(api, f"/{kind}/{ident}?as_of={BEFORE_ANYTHING}", ident, "auditor", as_of=BEFORE_ANYTHING)
    # Nor does a publication cut before its words tell a reader the protected report exists.
    report = world.protected_report
    for cut in (BEFORE_ANY_WORD, "2100-01-01"):
        _as_unknown(api, f"/reports/{report}?published_by={cut}", report, "reader")
    _nothing_yet(api, f"/reports/{report}?published_by={BEFORE_ANY_WORD}", report, "auditor",
                 published_by=BEFORE_ANY_WORD)
    # A public citation of the protected report keeps hiding its target as of a time.
    cited = api.get(f"/citations/{world.public_citation_of_protected_report}?as_of={moment}", "reader").json()
    assert cited["target_id"] is None


def test_an_incident_and_a_citation_as_of_before_they_changed(api: Api, world: World) -> None:
    moment = _now()
    api.post(f"/incidents/{world.incident}/period-revisions",
             {"valid_from": "2019-04-20", "valid_to": "2019-06-01", "reason": "later sources"}, If_Match='"1"')
    api.post(f"/citations/{world.public_citation}/withdrawals", {"reason": "archive does not match"})
    incident = api.get(f"/incidents/{world.incident}?as_of={moment}", "reader")
    assert incident.headers["etag"] == '"1"'
    assert (incident.json()["valid_from"], incident.json()["valid_to"]) == ("2019-04-26", None)
    assert api.get(f"/incidents/{world.incident}", "reader").headers["etag"] == '"2"'
    citation = api.get(f"/citations/{world.public_citation}?as_of={moment}", "reader")
    assert citation.json()["withdrawn"] is False and citation.headers["etag"] == '"1"'
    assert citation.json()["modified_at"] == citation.json()["created_at"]
    now = api.get(f"/citations/{world.public_citation}", "reader")
    assert now.json()["withdrawn"] is True and now.headers["etag"] == '"2"'


def test_a_source_as_of_before_its_protection_changed_is_its_version_then(api: Api, world: World) -> None:
    path = f"/sources/{world.spare_source}"
    before = api.get(f"{path}?as_of={_now()}", "reader")
    assert before.headers["etag"] == '"1"' and before.json()["protected"] is False
    _nothing_yet(api, f"{path}?as_of={BEFORE_ANYTHING}", world.spare_source, "reader", as_of=BEFORE_ANYTHING)
    moment = _now()
    assert api.post(f"{path}/protection", {"protected": True, "reason": "threats"}).status_code == 200
    protected_at = _now()
    # Unprotecting needs the version it was decided on (a 428 without it).
    assert api.post(f"{path}/protection", {"protected": False, "reason": "safe again"},
                    If_Match='"2"').status_code == 200
    # Public again: as of each time, the version live then, as the ledger said it.
    then = api.get(f"{path}?as_of={moment}", "reader")
    assert then.status_code == 200 and then.headers["etag"] == '"1"', then.text
    assert then.json() == before.json()
    assert api.get(f"{path}?as_of={moment}", "reader", If_None_Match='"1"').status_code == 304
    during = api.get(f"{path}?as_of={protected_at}", "auditor")
    assert during.headers["etag"] == '"2"' and during.json()["protected"] is True
    assert during.json()["modified_at"] > during.json()["created_at"]
    # It is public now, so a reader sees it as of any time, also while it was protected.
    assert api.get(f"{path}?as_of={protected_at}", "reader").json() == during.json()
    assert api.get(path, "reader").headers["etag"] == '"3"'
    # Protected again: hidden from readers as of every time, also those when it was public and
    # before it was registered (where it was "not yet" to them while it was public).
    assert api.post(f"{path}/protection", {"protected": True, "reason": "threats again"}).status_code == 200
    for at in (BEFORE_ANYTHING, moment, protected_at, _now()):
        _as_unknown(api, f"{path}?as_of={at}", world.spare_source, "reader")
    _nothing_yet(api, f"{path}?as_of={BEFORE_ANYTHING}", world.spare_source, "auditor", as_of=BEFORE_ANYTHING)
    assert api.get(f"{path}?as_of={moment}", "auditor").json() == before.json()
    assert api.get(f"{path}?as_of={_now()}", "auditor").headers["etag"] == '"4"'


def test_bad_as_of_and_as_of_with_version_are_refused(api: Api, world: World) -> None:
    for kind, ident in (("figures", world.figure), ("sources", world.public_source), ("incidents", world.incident),
                        ("reports", world.public_report), ("citations", world.public_citation)):
        for bad in ("yesterday", "2019-05-1", "2019-02-30", "1969-12-31T00:00:00Z", "2019-05-01T10:00:00"):  # a date alone is taken
            assert_problem(api.get(f"/{kind}/{ident}?as_of={bad}", "reader"), 422, field="as_of")
    both = assert_problem(api.get(f"/figures/{world.figure}?version=1&as_of={_now()}", "reader"), 422,
                          field="version, as_of")
    assert "version" in both["detail"] and "as_of" in both["detail"], both


def test_a_bare_date_is_the_end_of_that_day_in_utc(api: Api, world: World) -> None:
    """as_of=YYYY-MM-DD answers as as_of=YYYY-MM-DDT23:59:59.999999Z: today's records are in it,
    yesterday's date is before them all (a start-of-day reading would find nothing today)."""
    from datetime import timedelta

    today = datetime.now(timezone.utc).date()
    for day, state in ((today, "recorded"), (today - timedelta(days=1), "not_yet_recorded")):
        for kind, ident in _public(world):
            bare = api.get(f"/{kind}/{ident}?as_of={day}", "reader")
            full = api.get(f"/{kind}/{ident}?as_of={day}T23:59:59.999999Z", "reader")
            assert bare.status_code == full.status_code == 200, (bare.text, full.text)
            assert bare.json() == full.json() and bare.headers["etag"] == full.headers["etag"], kind
            assert bare.json()["state"] == state, (kind, day)
        tally, tally_full = (api.get(f"/tallies/civilians_killed?as_of={at}", "reader") for at in
                             (day, f"{day}T23:59:59.999999Z"))
        assert tally.status_code == 200 and tally.json() == tally_full.json()
    for bad in ("2019-05-1", "2019-02-30", "2019-05-01T10:00", "1969-12-31", "9999-01-01"):
        assert_problem(api.get(f"/figures/{world.figure}?as_of={bad}", "reader"), 422, field="as_of")
