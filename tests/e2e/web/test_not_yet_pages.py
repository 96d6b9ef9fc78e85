"""A record's page as of a time (or under a cut) before the record existed says so under the
banner, as the API's "nothing yet" answer does; an unknown id, and a protected record to anyone
but an auditor, stay the 404 page an unknown id gets, as of every time."""

from __future__ import annotations

import re
import uuid

from tests.e2e.web.test_pages import HTML, sign_in

BEFORE_ANYTHING = "1999-01-01T00:00:00Z"


def _page(api, path: str, **query: str):
    return api.client.get(path, params=query, headers=HTML)


def _says_not_yet(answer, ident: str) -> str:
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert 'id="not-yet"' in text and 'class="banner"' in text and ident in text, text
    return text


def _as_unknown(api, path: str, ident: str, **query: str) -> None:
    """The page answers byte for byte what the page of an unknown id answers (the form tokens set aside)."""
    unknown = str(uuid.uuid4())
    seen, never = _page(api, path, **query), _page(api, path.replace(ident, unknown), **query)
    assert seen.status_code == never.status_code == 404, (seen.status_code, never.status_code)
    tokens = re.compile(r'value="[A-Za-z0-9_.-]{20,}"')
    assert tokens.sub("", seen.text) == tokens.sub("", never.text.replace(unknown, ident))


def test_a_records_page_before_it_existed_says_not_yet_recorded(api, world):
    sign_in(api, "reader")
    for kind, ident in (("figures", world.figure), ("sources", world.public_source), ("incidents", world.incident),
                        ("reports", world.public_report), ("citations", world.public_citation)):
        text = _says_not_yet(_page(api, f"/web/{kind}/{ident}", as_of=BEFORE_ANYTHING), ident)
        assert "Nothing of this record had been recorded as of" in text, kind
        assert 'id="not-yet"' not in _page(api, f"/web/{kind}/{ident}").text
        assert _page(api, f"/web/{kind}/{uuid.uuid4()}", as_of=BEFORE_ANYTHING).status_code == 404, kind
    # Under a publication cut before any of its words, the figure's page says that instead.
    cut = _says_not_yet(_page(api, f"/web/figures/{world.figure}", published_by="2000-01-01"), world.figure)
    assert "Nothing of it had been published by" in cut and "Only what the sources had published by" in cut


def test_in_arabic_too(api, world):
    sign_in(api, "reader")
    api.client.cookies.set("ledger_lang", "ar")
    text = _says_not_yet(_page(api, f"/web/incidents/{world.incident}", as_of=BEFORE_ANYTHING), world.incident)
    assert "لم يُسجَّل بعد" in text and "سُجِّل لاحقاً" in text


def test_a_protected_records_page_is_an_unknown_ids_to_a_reader_as_of_every_time(api, world):
    for role in ("reader", "officer"):
        sign_in(api, role)
        for kind, ident in (("sources", world.protected_source), ("reports", world.protected_report),
                            ("citations", world.protected_citation)):
            for query in ({}, {"as_of": BEFORE_ANYTHING}):
                _as_unknown(api, f"/web/{kind}/{ident}", ident, **query)
    sign_in(api, "auditor")
    for kind, ident in (("sources", world.protected_source), ("reports", world.protected_report),
                        ("citations", world.protected_citation)):
        _says_not_yet(_page(api, f"/web/{kind}/{ident}", as_of=BEFORE_ANYTHING), ident)
        assert _page(api, f"/web/{kind}/{ident}").status_code == 200
