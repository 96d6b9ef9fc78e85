"""The officers' paths a reviewer walked in a browser (issue 13), in-process on both stores: a
protected source filed and cited from by its id, the citation form's evidence hash (the server's
path: a posted file hashed as it streams, kept nowhere), the citation page naming what it backs,
the forms refused to auditors as the API refuses them, and the smaller things (pickers by name, a
POST without a session, the favicon, an incident with no figures, plurals, "an officer key")."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.guard import MAX_UPLOAD
from tests.conftest import make_store
from tests.e2e.conftest import MARK, open_api
from tests.e2e.web.test_pages import HTML, sign_in

RECORDED_ID = re.compile(r'id="recorded-id">([0-9a-f-]{36})<')


def register_protected(api, csrf: str, name: str, key: str):
    return api.client.post("/web/new/source", headers=HTML, follow_redirects=False, data={
        "csrf": csrf, "request_key": key, "name": name, "kind": "witness", "language": "ar", "protected": "on"})


def test_a_protected_source_registered_on_the_web_is_shown_once_by_id_then_filed_and_cited_from(
        api, world, caplog):
    name = f"Cell of the river {MARK}"
    csrf = sign_in(api, "officer")
    with caplog.at_level(logging.DEBUG):
        answer = register_protected(api, csrf, name, "protected-1")
        assert answer.status_code == 200 and "location" not in answer.headers
        assert name in answer.text  # the registering officer's own answer, and only it
        assert not any(name in value or MARK in value for value in answer.headers.values())
        source = RECORDED_ID.search(answer.text).group(1)
        assert api.get(f"/sources/{source}", role="auditor").json()["protected"] is True
        assert f'href="/web/new/report?source_id={source}"' in answer.text
        assert f'href="/web/new/citation?source_id={source}"' in answer.text
        assert api.client.get(f"/web/sources/{source}", headers=HTML).status_code == 404  # policy kept

        form = api.client.get(f"/web/new/report?source_id={source}", headers=HTML)
        assert form.status_code == 200 and f'name="source_id_pasted" value="{source}"' in form.text
        assert MARK not in form.text  # prefilled by id, never listed by name
        filed = api.client.post("/web/new/report", headers=HTML, follow_redirects=False, data={
            "csrf": csrf, "request_key": "protected-2", "source_id": world.public_source,
            "source_id_pasted": source, "title": "Notes", "language": "ar",
            "figures[0].incident_id": world.incident, "figures[0].metric": "civilians_killed",
            "figures[0].value.qualifier": "exact", "figures[0].value.number": "7"})
        assert filed.status_code == 200 and MARK not in filed.text and "location" not in filed.headers
        report = RECORDED_ID.search(filed.text).group(1)
        assert api.get(f"/reports/{report}", role="auditor").json()["source_id"] == source

        cited = api.client.post("/web/new/citation", headers=HTML, follow_redirects=False, data={
            "csrf": csrf, "request_key": "protected-3", "target_id": world.figure, "source_id": world.public_source,
            "source_id_pasted": source, "quote": "the passage"})
        assert cited.status_code == 200 and MARK not in cited.text
        citation = RECORDED_ID.search(cited.text).group(1)
        assert api.get(f"/citations/{citation}", role="auditor").json()["source_id"] == source
    assert not [r for r in caplog.records if MARK in r.getMessage()]  # no log line names it

    again = register_protected(api, csrf, name, "protected-1")  # the same form sent again: nothing twice
    assert RECORDED_ID.search(again.text).group(1) == source

    sign_in(api, "reader")  # nothing a reader's session sees changes
    for path in (f"/web/sources/{source}", f"/web/reports/{report}", f"/web/citations/{citation}"):
        assert api.client.get(path, headers=HTML).status_code == 404, path
    assert api.client.get(f"/web/new/report?source_id={source}", headers=HTML).status_code == 403


def test_a_pasted_id_naming_no_source_gets_the_apis_refusal_beside_the_field(api, world):
    csrf = sign_in(api, "officer")
    events = api.events()
    answer = api.client.post("/web/new/citation", headers=HTML, data={
        "csrf": csrf, "request_key": "unknown-1", "target_id": world.figure, "source_id": world.public_source,
        "source_id_pasted": "00000000-0000-4000-8000-000000000000", "quote": "q"})
    assert answer.status_code == 422
    assert re.search(r'id="err-source_id">[^<]*no source with this id', answer.text)
    assert 'value="00000000-0000-4000-8000-000000000000"' in answer.text  # kept as typed
    assert api.events() == events


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def plain(request, tmp_path):
    """An app on a store without encryption at rest: what it holds can be searched for the file's bytes."""
    stores = make_store(request.param, tmp_path, cipher_key=None)
    store = next(stores)
    try:
        with open_api(store) as api:
            yield api, store
    finally:
        stores.close()


def stored_bytes(store) -> bytes:
    """Everything the store holds: the SQLite files, or every row of every table of the PostgreSQL schema."""
    if store.kind == "sqlite":
        path = Path(store.sqlite_path)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with store.connect_postgres() as conn:
        tables = [t for (t,) in conn.execute("SELECT table_name FROM information_schema.tables"
                                             " WHERE table_schema = %s", (store.postgres_schema,))]
        return b"\n".join(str(row).encode() + b"".join(c for c in row if isinstance(c, (bytes, memoryview)))
                          for t in tables for row in conn.execute(f'SELECT * FROM "{store.postgres_schema}"."{t}"'))


def test_a_file_posted_without_javascript_is_hashed_and_kept_nowhere(plain):
    api, store = plain
    from tests.e2e.conftest import build_world
    world = build_world(api.ledger)
    csrf = sign_in(api, "officer")
    marker = b"kept-nowhere-" + os.urandom(8).hex().encode()
    document = os.urandom(300_000) + marker + b"\r\n--not-the-boundary\r\n" + marker
    answer = api.client.post("/web/new/citation", headers=HTML, follow_redirects=False,
                             data={"csrf": csrf, "request_key": "file-1", "target_id": world.figure,
                                   "source_id": world.public_source, "quote": "the passage"},
                             files={"document": ("archived.pdf", document, "application/pdf")})
    assert answer.status_code == 303, answer.text[-2000:]
    citation = answer.headers["location"].rsplit("/", 1)[1]
    assert api.get(f"/citations/{citation}").json()["sha256"] == hashlib.sha256(document).hexdigest()
    held = stored_bytes(store)
    assert b"the passage" in held  # the search does see what the citation stored
    assert marker not in held and marker.hex().encode() not in held


def test_a_typed_hash_that_is_not_the_files_is_refused_naming_it(api, world):
    csrf = sign_in(api, "officer")
    events = api.events()
    answer = api.client.post("/web/new/citation", headers=HTML,
                             data={"csrf": csrf, "target_id": world.figure, "source_id": world.public_source,
                                   "quote": "q", "sha256": "0" * 64},
                             files={"document": ("a.txt", b"hello", "text/plain")})
    assert answer.status_code == 422 and 'id="err-sha256"' in answer.text
    assert api.events() == events


def test_the_typed_hash_is_recorded_and_a_file_past_the_limit_is_413(api, world):
    csrf = sign_in(api, "officer")
    typed = hashlib.sha256(b"in the browser").hexdigest()
    answer = api.client.post("/web/new/citation", headers=HTML, follow_redirects=False,
                             data={"csrf": csrf, "request_key": "typed-1", "target_id": world.figure,
                                   "source_id": world.public_source, "quote": "q", "sha256": typed},
                             files={"document": ("", b"", "application/octet-stream")})  # no file chosen
    assert answer.status_code == 303
    assert api.get(answer.headers["location"].removeprefix("/web")).json()["sha256"] == typed
    events = api.events()
    big = api.client.post("/web/new/citation", headers=HTML, data={"csrf": csrf, "target_id": world.figure},
                          files={"document": ("big.bin", b"\0" * (MAX_UPLOAD + 1), "application/octet-stream")})
    assert big.status_code == 413 and api.events() == events


def test_the_citation_page_names_what_it_backs_and_who_withdrew_it_why(api, world):
    csrf = sign_in(api, "officer")
    page = api.client.get(f"/web/citations/{world.public_citation}", headers=HTML).text
    target = re.search(r'id="cited-target">(.*?)</dd>', page, re.S).group(1)
    assert "civilians killed" in target.lower() and "Escalation in Idlib and Hama" in target
    assert f"/web/figures/{world.figure}" in target and f"/web/incidents/{world.incident}" in target
    assert "SNHR" in re.search(r'id="cited-source">(.*?)</dd>', page, re.S).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    answer = api.client.post(f"/web/citations/{world.public_citation}/withdrawals", headers=HTML,
                             follow_redirects=False,
                             data={"csrf": csrf, "version": version, "reason": "the link now points elsewhere"})
    assert answer.status_code == 303
    sign_in(api, "reader")
    status = re.search(r'id="cited-status">(.*?)</dd>', api.client.get(
        f"/web/citations/{world.public_citation}", headers=HTML).text, re.S).group(1)
    assert "withdrawn" in status and "the link now points elsewhere" in status and "officer-1" in status
    assert api.get(f"/citations/{world.public_citation}", role="reader").json()["withdrawn_by"] == "officer-1"
    hidden = api.client.get(f"/web/citations/{world.public_citation_of_protected_report}", headers=HTML).text
    assert "a report of a protected source" in hidden and MARK not in hidden


def test_a_figures_page_links_officers_to_cite_a_document_for_it(api, world):
    sign_in(api, "officer")
    page = api.client.get(f"/web/figures/{world.figure}", headers=HTML).text
    link = re.search(r'<a href="([^"]+)" id="cite-this-figure">', page).group(1)
    form = api.client.get(link, headers=HTML).text
    assert f'name="target_id" type="text" dir="auto" value="{world.figure}"' in form
    sign_in(api, "reader")
    assert 'id="cite-this-figure"' not in api.client.get(f"/web/figures/{world.figure}", headers=HTML).text


@pytest.mark.parametrize("kind", ["report", "source", "incident", "citation"])
def test_an_auditor_gets_the_apis_refusal_for_every_new_record_form(api, kind):
    sign_in(api, "auditor")
    answer = api.client.get(f"/web/new/{kind}", headers=HTML)
    assert answer.status_code == 403
    assert "an auditor key may not do this; it needs the officer role" in answer.text
    assert "<form method=\"post\" action=\"/web/new/" not in answer.text


def test_the_refusal_says_an_officer_key(api):
    answer = api.get("/audit/log", role="officer")
    assert answer.status_code == 403 and answer.json()["detail"].startswith("an officer key may not do this")


def test_the_pickers_list_sources_and_incidents_by_name(api, world):
    for name in ("beta council", "Alpha office", "Émile network", "delta group"):
        api.ledger.register_source("seed-officer", name=name, kind="official_body", language="en")
    for title in ("zeta shelling", "Alpha raid"):
        api.ledger.record_incident("seed-officer", title=title, places=["Idlib"], valid_from="2019-05-01")
    sign_in(api, "officer")
    page = api.client.get("/web/new/report", headers=HTML).text
    picker = re.search(r'<select id="f-source_id".*?</select>', page, re.S).group(0)
    names = re.findall(r'dir="auto"[^>]*>([^<]+)</option>', picker)
    assert names == sorted(names, key=lambda n: n.casefold().replace("é", "e")), names
    assert names.index("Alpha office") < names.index("beta council") < names.index("delta group") \
        < names.index("Émile network")
    incidents = re.search(r'<select id="f-figures\[0\]\.incident_id".*?</select>', page, re.S).group(0)
    titles = re.findall(r'dir="auto"[^>]*>([^<]+)</option>', incidents)
    assert titles.index("Alpha raid") < titles.index("Escalation in Idlib and Hama") < titles.index("zeta shelling")


@pytest.mark.parametrize("path", ["/web/new/report", "/web/new/citation", "/web/figures/{figure}/grades",
                                  "/web/citations/{citation}/withdrawals", "/web/sources/protection",
                                  "/web/incidents/{incident}/period-revisions", "/web/imports", "/web/vocabulary",
                                  "/web/sign-out"])
def test_a_post_without_a_session_is_sent_to_sign_in_and_records_nothing(api, world, path):
    events = api.events()
    api.client.cookies.clear()
    answer = api.client.post(path.format(figure=world.figure, citation=world.public_citation,
                                         incident=world.incident),
                             headers=HTML, data={"reason": "x", "grade": "weak"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/web/sign-in")
    assert api.events() == events


def test_the_app_serves_its_own_favicon(api):
    answer = api.client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.content.startswith(b"<svg")
    sign_in(api, "reader")
    assert '<link rel="icon" href="/web/static/favicon.svg"' in api.client.get("/", headers=HTML).text


def test_an_incident_with_no_figures_says_so_and_a_spread_of_one_source_is_singular(api, world):
    empty = api.ledger.record_incident("seed-officer", title="Quiet day", places=["Hama"],
                                       valid_from="2019-06-01")["incident_id"]
    sign_in(api, "reader")
    page = api.client.get(f"/web/incidents/{empty}", headers=HTML).text
    assert "No figures yet." in page and "<table>" not in page.split("<h2>Figures</h2>")[1].split("<footer")[0]
    assert "No figures yet." not in api.client.get(f"/web/incidents/{world.incident}", headers=HTML).text
    filed = api.ledger.file_report("seed-officer", source_id=world.spare_source, title="One", language="en",
                                   figures=[{"incident_id": empty, "metric": "civilians_killed", "breakdown": {},
                                             "value": {"qualifier": "exact", "number": 3}}])
    one = api.client.get(f"/web/figures/{filed['figures'][0]['figure_id']}", headers=HTML).text
    assert "Spread across 1 source:" in one and "1 sources" not in one


def _multipart(fields: list[tuple[str, str]], data: bytes, boundary: str) -> bytes:
    out = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                   for k, v in fields)
    return (out + f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="d.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode())


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000), near=st.integers(0, 3), size=st.integers(1, 700),
       quote=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=40))
def test_the_streamed_hash_is_hashlibs_whatever_the_bytes_and_the_chunks(data, near, size, quote):
    """Any file (with what looks like the boundary inside it) cut into any chunks: hashlib's SHA-256 of its
    bytes, and the other fields as sent."""
    import asyncio

    from api.web import evidence

    boundary = "b0und4ry"
    data += (b"\r\n--" + boundary.encode()[:5]) * near
    body = _multipart([("csrf", "t"), ("quote", quote)], data, boundary)

    async def chunks():
        for i in range(0, len(body), size):
            yield body[i:i + size]

    fields, digest = asyncio.run(evidence.read(f"multipart/form-data; boundary={boundary}", chunks()))
    assert digest == hashlib.sha256(data).hexdigest()
    assert fields == [("csrf", "t"), ("quote", quote)]
