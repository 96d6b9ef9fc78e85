"""The upload page in a real Chromium: the file sent with its progress shown, the per-row report in place."""

from __future__ import annotations

import time

from tests.e2e.web.conftest import sign_in
from tests.integration.test_imports import csv_bytes


def test_an_officer_uploads_a_spreadsheet_and_reads_the_report_by_row(browser, site, tmp_path):
    source = next(iter(site.seed["sources"].values()))
    incident = next(iter(site.seed["incidents"].values()))
    path = tmp_path / "rows.csv"
    path.write_bytes(csv_bytes(
        [[source, incident, "civilians_detained", "exact", 5], [source, incident, "civilians_injured", "range", ""]],
        ["source_id", "incident_id", "metric", "qualifier", "number"]))
    page = sign_in(browser, site, "officer")
    page.click("text=Import a spreadsheet")
    page.set_input_files("#f-file", str(path))
    page.fill("#f-report_title", "Uploaded in a browser")
    page.fill("#f-language", "en")
    page.check("input[name=partial]")
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector("#import-result")
    rows = page.locator("tbody tr")
    assert rows.nth(0).inner_text().split("\t")[:2] == ["2", "recorded"]
    assert rows.nth(1).inner_text().split("\t")[:3] == ["3", "refused", "low"]
    assert page.url.endswith("/web/imports")


def test_the_upload_shows_the_rows_checked_and_filed_as_they_go(browser, site, tmp_path, monkeypatch):
    """imports.js reads the server's progress lines: the bar and its words follow the rows filed of
    how many, then the per-row report takes the page's place."""
    from api.web import imports as upload_page

    monkeypatch.setattr(upload_page, "PROGRESS_EVERY", 0)  # every line sent: the server runs in this process
    filing_one = site.ledger.file_report

    def slowly(*args, **kwargs):  # a browser tells a script of what arrived at most every 50 ms
        time.sleep(0.06)
        return filing_one(*args, **kwargs)

    monkeypatch.setattr(site.ledger, "file_report", slowly)
    source = next(iter(site.seed["sources"].values()))
    incident = next(iter(site.seed["incidents"].values()))
    path = tmp_path / "many.csv"
    path.write_bytes(csv_bytes(
        [[source, incident, f"Progress {i}", "en", "civilians_detained", "exact", i] for i in range(1, 41)],
        ["source_id", "incident_id", "report_title", "language", "metric", "qualifier", "number"]))
    page = sign_in(browser, site, "officer")
    page.goto("/web/imports")
    page.evaluate("""() => { window.seen = [];
      const status = document.getElementById('upload-status'), bar = document.getElementById('upload-progress');
      new MutationObserver(() => window.seen.push([status.dataset.stage || '', status.textContent,
                                                   bar.getAttribute('value'), bar.getAttribute('max')]))
        .observe(status, {childList: true, characterData: true, subtree: true, attributes: true}); }""")
    page.set_input_files("#f-file", str(path))
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector("#import-result")
    seen = page.evaluate("() => window.seen")
    filing = [s for s in seen if s[0] == "recording"]
    assert filing, seen
    assert filing[-1][1].startswith("Filing the reports: 40 of 40 rows filed (40 reports)"), filing[-1]
    assert len({s[1] for s in filing}) > 2, filing  # the words moved on as rows were filed
    assert filing[-1][2:] == ["40", "40"]
    rows = page.locator("section[aria-labelledby=import-result] table tbody tr")
    assert rows.count() == 40 and rows.nth(0).inner_text().split("\t")[:2] == ["2", "recorded"]
    assert page.url.endswith("/web/imports")
    page.context.close()
