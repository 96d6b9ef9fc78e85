"""The step chart in Chromium, in both languages: a keyboard stop named for what it is and how to
use it (never uPlot's legend text); Home, End and the arrows move the step it describes; axe-core
clean. Without JavaScript there is no chart, so no stop and no word of keys."""

from __future__ import annotations

import pytest

from tests.e2e.web.conftest import sign_in
from tests.e2e.web.test_browser import serious_violations

NAMES = {"en": "Step chart of the count", "ar": "مخطط درجي للعدد"}


def _described(page) -> tuple[int, str, str]:
    """The step the chart marks in its table, the live region's words, and that row's."""
    row = page.locator("#steps tr.current-step")
    return (int(row.get_attribute("data-step")), page.locator("#chart-step").inner_text(),
            " ".join(row.inner_text().split()))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_home_end_and_the_arrows_move_the_described_step(browser, site, lang):
    for number in (111, 112, 113):  # steps enough to move among
        site.ledger.correct_figure("officer-1", site.killed_figure, value={"qualifier": "exact", "number": number},
                                   reason="a later list", expected_version=site.ledger.figure(site.killed_figure).version)
    page = sign_in(browser, site, "reader", bypass_csp=True)  # to inject axe at the end; the app is unchanged
    page.goto(f"/web/language/{lang}?next=/web/tallies/civilians_killed")
    page.wait_for_selector("#chart[data-ready]")
    chart = page.locator("#chart")
    last = int(chart.get_attribute("data-ready")) - 1
    assert last >= 3
    assert chart.get_attribute("role") == "application"
    # Its accessible name as Chromium computes it: the chart's own words, not the legend's.
    assert page.get_by_role("application", name=NAMES[lang]).count() == 1
    assert page.locator("[data-keys-of=chart]").is_visible()
    chart.focus()
    for key, step in (("Home", 0), ("ArrowRight", 1), ("ArrowRight", 2), ("End", last), ("ArrowLeft", last - 1),
                      ("End", last), ("ArrowRight", last), ("Home", 0), ("ArrowLeft", 0)):
        page.keyboard.press(key)
        at, said, row = _described(page)
        assert at == step and " ".join(said.split()) == row and row, (key, at, step)
    assert not serious_violations(page)
    page.context.close()


def test_without_javascript_there_is_no_chart_to_key_and_no_word_of_keys(browser, site):
    page = sign_in(browser, site, "reader", java_script_enabled=False)
    page.goto("/web/tallies/civilians_killed")
    chart = page.locator("#chart")
    assert chart.get_attribute("tabindex") is None and chart.get_attribute("role") is None
    assert not page.locator("[data-keys-of=chart]").is_visible()
    assert "arrow keys" not in page.locator("main").inner_text()
    assert page.locator("#steps tbody tr").count() >= 1  # the table holds the steps
    page.context.close()
