"""The pages work without JavaScript, in a real Chromium with it switched off: an officer signs in,
files a report of two figures through the form (a breakdown pair and a row each added by the
form's own submit buttons, which show the form again with what was typed), corrects one with a
reason, and the report, figure and incident pages show it (the count's page its table of steps:
the incident's seeded total is what its tally counts, so a part's correction moves no step)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.web.conftest import sign_in

pytestmark = pytest.mark.slow

REASON = "a later list names the children one by one"


def test_an_officer_files_and_corrects_a_report_with_javascript_off(browser, site):
    page = sign_in(browser, site, "officer", java_script_enabled=False)
    incident, source = site.seed["incidents"]["barrel-bombs"], site.seed["sources"]["snhr"]
    page.goto("/web/new/report?rows=1")
    form = page.locator("#report-form")
    assert form.locator("button.remove").count() == 0  # report_form.js adds these: it did not run
    form.locator("select[name=source_id]").select_option(source)
    form.locator("input[name=title]").fill("Barrel bombs on Kafr Nabudah, without scripts")
    form.locator("input[name=language]").fill("en")
    form.locator("select[name='figures[0].incident_id']").select_option(incident)
    form.locator("select[name='figures[0].metric']").select_option("civilians_killed")
    form.locator("select[name='figures[0].breakdown[0].dimension']").select_option("perpetrator")
    form.locator("input[name='figures[0].breakdown[0].part']").fill("syrian-regime")
    form.locator("select[name='figures[0].value.qualifier']").select_option("at_least")
    form.locator("input[name='figures[0].value.number']").fill("7")
    form.locator("fieldset[data-row='0'] button.add-pair").click()  # a round trip to the server
    page.wait_for_load_state()
    form = page.locator("#report-form")
    assert form.locator("fieldset[data-row='0'] fieldset.pair").count() == 2
    assert form.locator("input[name='figures[0].breakdown[0].part']").input_value() == "syrian-regime"
    assert form.locator("input[name='figures[0].value.number']").input_value() == "7"
    form.locator("select[name='figures[0].breakdown[1].dimension']").select_option("victim_group")
    form.locator("input[name='figures[0].breakdown[1].part']").fill("children")
    rows = form.locator("fieldset.row").count()  # shown again with spare rows (at least three)
    form.locator("#add-row").click()  # another round trip: one row more
    page.wait_for_load_state()
    form = page.locator("#report-form")
    assert form.locator("fieldset.row").count() == rows + 1
    assert form.locator("input[name='figures[0].breakdown[1].part']").input_value() == "children"
    form.locator("select[name='figures[1].incident_id']").select_option(incident)
    form.locator("select[name='figures[1].metric']").select_option("civilians_injured")
    form.locator("select[name='figures[1].value.qualifier']").select_option("range")
    form.locator("input[name='figures[1].value.low']").fill("20")
    form.locator("input[name='figures[1].value.high']").fill("30")
    form.locator("#file-report").click()
    page.wait_for_url(re.compile(r".*/web/reports/[0-9a-f-]{36}$"))
    report_url = page.url
    links = page.locator("main a[href*='/web/figures/']")
    assert links.count() == 2, page.content()[-3000:]  # the rows left empty are left out
    text = page.locator("main").inner_text()
    assert "at least 7" in text and "20" in text and "30" in text and "children" in text

    figures = [links.nth(i).get_attribute("href") for i in range(2)]
    killed = next(f for f in figures if "civilians_killed" in site.ledger.figure(f.rsplit("/", 1)[1]).metric)
    page.goto(killed)
    assert "children" in page.locator("h1").inner_text() and "at least 7" in page.locator("#current-value").inner_text()
    correct = page.locator("#form-correct")
    correct.locator("select[name='value.qualifier']").select_option("exact")
    correct.locator("input[name='value.number']").fill("9")
    correct.locator("textarea[name=reason]").fill(REASON)
    correct.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(".*/web/figures/[0-9a-f-]{36}$"))
    assert page.locator("#current-value").inner_text().strip() == "9"
    history = page.locator("#figure-history").inner_text()
    assert REASON in history and "officer-1" in history

    path = killed.split("?")[0]
    for where in (report_url, f"/web/incidents/{incident}"):  # each lists the figure at its corrected count
        page.goto(where)
        row = page.locator(f"tr:has(a[href='{path}'])").inner_text()
        assert "children" in row and "\t9" in row and "at least 7" not in row, row
    page.goto("/web/tallies/civilians_killed")  # the steps' table is the server's: there without the chart's script
    assert page.locator("#chart[data-ready]").count() == 0 and page.locator("#steps tbody tr[data-step]").count()
    page.context.close()
