"""A count's page over publication time, in a real Chromium: the second step chart (the history
in publication order) is drawn from the seed and the Kabul timeline with its band, open top and
table, its steps described under the keyboard; and the page's publication cut changes the steps
of both charts, the one over recording time drawn when asked (the seed's reports carry no date, so they count from their filing, years after
Kabul's were published)."""

from __future__ import annotations

import httpx
import pytest

from api.timelines import load_timeline, timeline_data
from api.web.i18n import Language
from tests.e2e.web.conftest import AXE, sign_in

pytestmark = pytest.mark.slow

PAGE = "/web/tallies/civilians_killed"
FAMILY_ONLY = "2021-09-16"  # Kabul: the family's count published, not yet CENTCOM's investigation


@pytest.fixture(scope="module")
def kabul(site):
    """The Kabul timeline filed through the HTTP API over the seed (this module's own site)."""
    with httpx.Client(base_url=site.base) as client:
        return load_timeline(client, site.keys["officer"], timeline_data("kabul-strike-2021"))


def _api(site, path: str, **query: str) -> dict:
    answer = httpx.get(site.base + path, params=query, headers={"Authorization": f"Bearer {site.keys['reader']}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _steps(page, table: str) -> list[str]:
    return [r.inner_text() for r in page.locator(f"{table} tbody tr[data-step]").all()]


def test_the_chart_over_publication_time_is_drawn_and_the_cut_changes_its_steps(browser, site, kabul):
    ordered = _api(site, "/tallies/civilians_killed/history", order="published")["points"]
    assert ordered[0]["published_at"].startswith("2021-08-31") and ordered[0]["low"] == 10  # the family's ten
    assert ordered[-1]["published_at"] > "2026"  # the seed, counted from its filing
    page = sign_in(browser, site, "reader", bypass_csp=True)  # to inject axe at the end; the app is unchanged
    page.goto(PAGE)  # without a cut, drawn when asked: it replays every version of the metric
    assert page.locator("#pchart").count() == 0
    page.click("#by-publication + p a")
    assert "order=published" in page.url
    page.wait_for_selector("#pchart[data-ready]")
    assert page.locator("#pchart").get_attribute("data-ready") == str(len(ordered))
    published = _steps(page, "#published-steps")
    assert len(published) == len(ordered)
    # The seed's at least 108 and CENTCOM's "as many as 10" (0 to 10): at least 108, an open top.
    assert "at least 108" in published[-1] and "10" in published[0]
    # The open top is drawn open (the dashed series up to the ceiling), never a bound of zero.
    series = page.evaluate("(() => { const d = window.ledgerCharts.pchart.data; return [d[1], d[2], d[3]]; })()")
    lows, highs, opens = series
    assert lows[-1] == 108 and highs[-1] is None and opens[-1] is not None
    assert highs[0] == 10 and opens[0] is None  # the family's exact ten: a closed band
    kinds = [p["kind"] for p in page.evaluate("JSON.parse(document.getElementById('pchart-data').textContent)")]
    assert [low is None for low in lows[:-1]] == [k == "no_data" for k in kinds]  # no data: a gap, never zero
    assert 0 in lows  # CENTCOM's "as many as 10": a low bound of 0 is drawn, being one
    # Each step's who, why and source, under the keyboard, from the table's row.
    page.locator("#pchart").focus()
    page.keyboard.press("ArrowLeft")
    described = page.locator("#pchart-step").inner_text().strip()
    assert described and described in " ".join(" ".join(s.split()) for s in published)
    assert page.locator("#published-steps tr.current-step").count() == 1
    assert page.locator("#steps tr.current-step").count() == 0  # the recording table is left alone
    recorded = _steps(page, "#steps")

    # Cut before the investigation was published: the family's count alone, in both charts, as the
    # API's histories under the same cut have it (the seed's words were not out by then).
    page.goto(f"{PAGE}?published_by={FAMILY_ONLY}")
    page.wait_for_selector("#pchart[data-ready]")
    under = _steps(page, "#published-steps")
    want = _api(site, "/tallies/civilians_killed/history", order="published", published_by=FAMILY_ONLY)["points"]
    assert len(under) == len(want) < len(published) and "10" in under[-1] and "108" not in under[-1]
    # The chart over recording time under the cut replays every version: a link, drawn when followed.
    assert page.locator("#chart").count() == 0
    page.click("#by-recording + p a")
    assert "order=recorded" in page.url and f"published_by={FAMILY_ONLY}" in page.url
    page.wait_for_selector("#chart[data-ready]")
    assert _steps(page, "#published-steps") == under
    cut_recorded = _steps(page, "#steps")
    want = _api(site, "/tallies/civilians_killed/history", published_by=FAMILY_ONLY)["points"]
    assert 1 <= len(cut_recorded) == len(want) and cut_recorded != recorded[-len(cut_recorded):]
    assert (want[-1]["low"], want[-1]["high"]) == (10, 10) and "108" not in cut_recorded[-1]
    assert page.locator("#chart").get_attribute("data-ready") == str(len(want))
    # whose word moved it, and its report's date as the page's language writes it
    assert "said by" in under[-1] and Language("en").day("2021-08-31") in under[-1]
    # Before any word was published, no step is drawn (nothing, not zero).
    page.goto(f"{PAGE}?published_by=2000-01-01")
    assert page.locator("#published-steps tbody tr[data-step]").count() == 0
    assert page.locator("#pchart[data-ready]").count() == 0
    page.goto(f"{PAGE}?published_by={FAMILY_ONLY}&order=recorded")  # both charts, as a reader sees them under a cut
    page.wait_for_selector("#pchart[data-ready]")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert not [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    page.context.close()

