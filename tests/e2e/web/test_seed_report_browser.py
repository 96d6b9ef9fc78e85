"""The issue's "done when", in Chromium: an officer signs in and files the seed case's reports,
figure by figure, through the report form (a row's second breakdown pair added with the row's own
button); the ledger's tallies then equal those of a ledger the seed loader filed, as the API gives
them; the officer corrects one with a reason and the count's chart gains a step.

The ledger here holds only the seed's sources and incidents (this module's own ``site``, which
the shared ``browser`` fixture then serves): every figure arrives through the form. The one it is
compared with is another app on a store of its own, filled by ``ledger.seed.load_case``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.application import Ledger
from ledger.seed import case_data, load_case
from tests.e2e.web.conftest import AXE, Site, served, sign_in, web_app

pytestmark = pytest.mark.slow

CASE = case_data()
METRICS = sorted({f["metric"] for r in CASE["reports"].values() for f in r["figures"]})
SPLITS = [None, *sorted({d for r in CASE["reports"].values() for f in r["figures"] for d in f["breakdown"]})]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str | None], Any]]:
    """The API's tallies (each metric, whole and split by each dimension) of a ledger the seed loader filed."""
    with web_app(tmp_path_factory, "web-seed-loader") as app:
        ledger: Ledger = app.state.ledger
        load_case(ledger, CASE)
        key = ledger.issue_key("test-admin", owner="reader-1", role="reader")[0]
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
            yield {(m, by): tallied(client, m, by) for m in METRICS for by in SPLITS}


def tallied(client: Any, metric: str, by: str | None) -> Any:
    answer = client.get(f"/tallies/{metric}", params={"by": by} if by else {})
    assert answer.status_code == 200, answer.text
    tally = answer.json()
    # what the counts say; the incidents' ids differ between the two ledgers, so only their number is compared
    return tally["sum"], tally["groups"], tally["groups_sum"], len(tally["from_parts"] or [])


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


def fill_row(form: Any, i: int, figure: dict[str, Any], incident: str) -> None:
    p = f"figures[{i}]."
    form.locator(f"select[name='{p}incident_id']").select_option(incident)
    form.locator(f"select[name='{p}metric']").select_option(figure["metric"])
    for j, (dimension, part) in enumerate(figure["breakdown"].items()):
        if j:  # the row's own button adds a pair (in the page, by report_form.js)
            form.locator(f"fieldset[data-row='{i}'] button.add-pair").click()
        form.locator(f"select[name='{p}breakdown[{j}].dimension']").select_option(dimension)
        form.locator(f"input[name='{p}breakdown[{j}].part']").fill(part)
    value = figure["value"]
    form.locator(f"select[name='{p}value.qualifier']").select_option(value["qualifier"])
    for field in ("number", "low", "high", "term", "quote"):
        if field in value:
            form.locator(f"input[name='{p}value.{field}']").fill(str(value[field]))


def test_an_officer_files_all_the_seed_figures_and_the_tallies_equal_the_loaders(browser, site, loaded):
    page = sign_in(browser, site, "officer", bypass_csp=True)  # to inject axe itself; the app is unchanged
    filed, two_pairs, killed = 0, 0, None
    for report in CASE["reports"].values():
        figures = report["figures"]
        page.goto("/web/new/report?rows=1")
        form = page.locator("#report-form")
        for _ in figures[1:]:  # one row more per figure, and a spare one removed again
            form.locator("#add-row").click()
        form.locator("#add-row").click()
        form.locator("fieldset.row").last.locator("button.remove").last.click()
        assert form.locator("fieldset.row").count() == len(figures)
        form.locator("select[name=source_id]").select_option(site.seed["sources"][report["source"]])
        form.locator("input[name=title]").fill(report["title"])
        form.locator("input[name=language]").fill(report["language"])
        form.locator("input[name=reference]").fill(report["reference"] or "")
        for i, figure in enumerate(figures):
            fill_row(form, i, figure, site.seed["incidents"][figure["incident"]])
            two_pairs += len(figure["breakdown"]) == 2
        if two_pairs and not filed:  # the form with its rows and pairs added in the page: axe finds nothing serious
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            assert not [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        form.locator("#file-report").click()
        page.wait_for_url(re.compile(r".*/web/reports/[0-9a-f-]{36}$"))
        links = page.locator("main a[href*='/web/figures/']")
        assert links.count() == len(figures), page.content()[-3000:]
        killed = killed or links.first.get_attribute("href")  # the seed's first: civilians killed, at least 108
        filed += len(figures)
    assert (filed, two_pairs) == (24, 4)  # every figure of the seed, the parts of a part (perpetrator, victim) too
    with httpx.Client(base_url=site.base, headers={"Authorization": f"Bearer {site.keys['officer']}"}) as api:
        assert {(m, by): tallied(api, m, by) for m in METRICS for by in SPLITS} == loaded

    # ...then corrects one, with a reason, and the count's chart gains a step
    page.goto("/web/tallies/civilians_killed")
    page.wait_for_selector("#chart[data-ready]")
    before = page.locator("#steps tbody tr[data-step]").count()
    page.goto(killed)
    correct = page.locator("#form-correct")
    correct.locator("select[name='value.qualifier']").select_option("at_least")
    correct.locator("input[name='value.number']").fill("109")
    correct.locator("textarea[name=reason]").fill("a later SNHR update names one more victim")
    correct.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(".*/web/figures/[0-9a-f-]{36}$"))
    page.goto("/web/tallies/civilians_killed")
    page.wait_for_selector("#chart[data-ready]")
    assert page.locator("#chart[data-ready]").get_attribute("data-ready") == str(before + 1)
    last = page.locator("#steps tbody tr[data-step]").last.inner_text()
    assert "at least 109" in last and "a later SNHR update names one more victim" in last
    page.context.close()


def test_the_report_form_lays_out_right_to_left_in_arabic(browser, site):
    page = sign_in(browser, site, "officer")
    page.goto("/web/language/ar?next=/web/new/report%3Frows%3D1")
    form = page.locator("#report-form")
    form.locator("fieldset[data-row='0'] button.add-pair").click()
    pair = form.locator("fieldset[data-row='0'] fieldset.pair").last
    assert pair.get_attribute("data-pair") == "1"
    dimension = pair.locator("select").bounding_box()
    part = pair.locator("input").bounding_box()
    assert dimension["x"] > part["x"]  # the pair's first field on the right
    pair.locator("input").fill("children")
    pair.locator("input").press("Enter")  # Enter files the report (the hidden first button), never adds a pair
    assert form.locator("fieldset[data-row='0'] fieldset.pair").count() == 2
    assert page.evaluate("document.querySelector('#report-form').checkValidity()") is False  # the title: required
    page.context.close()
