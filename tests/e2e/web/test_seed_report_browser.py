"""The issue's "done when", in Chromium: an officer signs in and files the seed case's reports,
figure by figure, through the report form; the dashboard then tallies what the seed says.

The ledger here holds only the seed's sources and incidents (this module's own ``site``, which
the shared ``browser`` fixture then serves): every figure arrives through the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.seed import case_data
from tests.e2e.web.conftest import Site, served, sign_in, web_app

pytestmark = pytest.mark.slow

CASE = case_data()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with web_app(tmp_path_factory, "web-seed-form") as app:
        ledger: Ledger = app.state.ledger
        ids: dict[str, dict[str, str]] = {
            "sources": {k: ledger.register_source("seed-officer", **f)["source_id"]
                        for k, f in CASE["sources"].items()},
            "incidents": {k: ledger.record_incident("seed-officer", **f)["incident_id"]
                          for k, f in CASE["incidents"].items()}}
        keys = {"officer": ledger.issue_key("test-admin", owner="officer-1", role="officer")[0]}
        with served(app) as base:
            yield Site(base, ledger, keys, ids)


def fits_the_form(figure: dict[str, Any]) -> bool:
    """A row of the form takes one breakdown pair (dimension, part); the seed's parts of a part take two."""
    return len(figure["breakdown"]) <= 1


def fill_row(form: Any, i: int, figure: dict[str, Any], incident: str) -> None:
    p = f"figures[{i}]."
    form.locator(f"select[name='{p}incident_id']").select_option(incident)
    form.locator(f"select[name='{p}metric']").select_option(figure["metric"])
    for dimension, part in figure["breakdown"].items():
        form.locator(f"select[name='{p}dimension']").select_option(dimension)
        form.locator(f"input[name='{p}part']").fill(part)
    value = figure["value"]
    form.locator(f"select[name='{p}value.qualifier']").select_option(value["qualifier"])
    for field in ("number", "low", "high", "term", "quote"):
        if field in value:
            form.locator(f"input[name='{p}value.{field}']").fill(str(value[field]))


def test_an_officer_files_the_seed_case_from_the_form_and_the_dashboard_tallies_it(browser, site):
    page = sign_in(browser, site, "officer")
    filed = 0
    for report in CASE["reports"].values():
        figures = [f for f in report["figures"] if fits_the_form(f)]
        page.goto(f"/web/new/report?rows={len(figures)}")
        form = page.locator("#report-form")
        form.locator("select[name=source_id]").select_option(site.seed["sources"][report["source"]])
        form.locator("input[name=title]").fill(report["title"])
        form.locator("input[name=language]").fill(report["language"])
        form.locator("input[name=reference]").fill(report["reference"] or "")
        for i, figure in enumerate(figures):
            fill_row(form, i, figure, site.seed["incidents"][figure["incident"]])
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/web/reports/[0-9a-f-]{36}$"))
        assert page.locator("main a[href*='/web/figures/']").count() == len(figures), page.content()[-3000:]
        filed += len(figures)
    assert filed == 20  # of the seed's 24 figures: the four parts of a part (perpetrator and victim group) left out
    page.goto("/")
    rows = {m: page.locator(f"tr[data-metric={m}]").inner_text() for m in (
        "civilians_killed", "civilians_injured", "airstrikes", "displaced", "barrel_bombs")}
    assert "at least 108" in rows["civilians_killed"], rows
    assert "200 to 999" in rows["civilians_injured"], rows  # "hundreds", as the tally reads it
    assert re.search(r"at least 1,?068", rows["airstrikes"]), rows
    assert re.search(r"at least 300,?001", rows["displaced"]), rows  # "more than 300,000"
    assert "at least 188" in rows["barrel_bombs"], rows
    page.context.close()
