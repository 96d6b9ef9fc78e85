"""The citation form's evidence hash in a real Chromium: with JavaScript the browser hashes the chosen
file (SubtleCrypto) and sends the hash alone; without it the file is posted and the server hashes it;
both give hashlib's SHA-256 of the bytes. And axe on the pages this touches, in both languages."""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from tests.e2e.web.conftest import MARK, sign_in
from tests.e2e.web.test_browser import serious_violations


def cite_with_file(page, site, data: bytes, tmp_path, monkeypatch) -> list[str | None]:
    """Fill the citation form for the seed's killed figure with ``data`` as its file; the hashes the server
    made of the files it was sent (None for a form that came without one). The server runs in this process."""
    from api.web import evidence

    path = tmp_path / "archived.pdf"
    path.write_bytes(data)
    hashed: list[str | None] = []
    reading = evidence.read

    async def read(*args):
        fields, digest = await reading(*args)
        hashed.append(digest)
        return fields, digest

    monkeypatch.setattr(evidence, "read", read)
    page.goto(f"/web/figures/{site.killed_figure}")
    page.click("#cite-this-figure")
    assert page.locator("#f-target_id").input_value() == site.killed_figure
    page.fill("#f-quote", "the archived passage")
    page.set_input_files("#f-document", str(path))
    return hashed


def test_the_browser_hashes_the_file_itself_and_sends_only_the_hash(browser, site, tmp_path, monkeypatch):
    data = os.urandom(200_000)
    expected = hashlib.sha256(data).hexdigest()
    page = sign_in(browser, site, "officer")
    hashed = cite_with_file(page, site, data, tmp_path, monkeypatch)
    page.wait_for_function("document.getElementById('f-sha256').value.length === 64")
    assert page.locator("#f-sha256").input_value() == expected
    assert "file will not be sent" in page.locator("#document-status").inner_text()
    page.click("#citation-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/web/citations/[0-9a-f-]{36}$"))
    assert expected in page.locator("main").inner_text()
    assert hashed == [None]  # the form came with no file: it never left the browser
    page.context.close()


def test_without_javascript_the_file_is_posted_and_the_server_gives_the_same_hash(browser, site, tmp_path,
                                                                                   monkeypatch):
    data = os.urandom(200_000)
    page = sign_in(browser, site, "officer", java_script_enabled=False)
    hashed = cite_with_file(page, site, data, tmp_path, monkeypatch)
    page.click("#citation-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/web/citations/[0-9a-f-]{36}$"))
    assert hashlib.sha256(data).hexdigest() in page.locator("main").inner_text()
    assert hashed == [hashlib.sha256(data).hexdigest()]  # sent, this time, and hashed by the server
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_no_serious_violation_on_the_pages_of_a_protected_source_and_a_citation(browser, site, lang):
    page = sign_in(browser, site, "officer", bypass_csp=True)
    page.goto(f"/web/language/{lang}?next=/web/new/source")
    page.fill("#f-name", f"Cell {MARK} {lang}")
    page.fill("#f-language", "ar")
    page.check("#f-protected")
    page.click("main form.card button[type=submit]")
    page.wait_for_selector("#recorded-id")
    found = {"recorded": serious_violations(page)}
    source = page.locator("#recorded-id").inner_text()
    page.click(f"a[href='/web/new/citation?source_id={source}']")
    assert page.locator("#f-source_id_pasted").input_value() == source
    assert MARK not in page.content()
    found["citation form, prefilled"] = serious_violations(page)
    citation = site.seed["citations"]["snhr-report"]
    page.goto(f"/web/citations/{citation}")
    found["citation"] = serious_violations(page)
    page.goto(f"/web/incidents/{site.ledger.record_incident('seed-officer', title='Quiet ' + lang, places=['Hama'], valid_from='2019-06-01')['incident_id']}")
    found["incident without figures"] = serious_violations(page)
    assert not any(found.values()), found
    page.context.close()
