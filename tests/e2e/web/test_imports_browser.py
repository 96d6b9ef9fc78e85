"""The upload page in a real Chromium: the file sent with its progress shown, the per-row report in place."""

from __future__ import annotations

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
