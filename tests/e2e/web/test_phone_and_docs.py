"""The pages on a phone (375 px, Chromium's device emulation) and the API's documentation in a real Chromium:
no page is wider than the screen, its header and h1 are never cut, in English and Arabic; /docs is
axe-clean in both languages and works without JavaScript; /docs/try (RapiDoc) is clean but for its own
try-it forms."""

from __future__ import annotations

import pytest

from tests.e2e.web.conftest import AXE, sign_in
from tests.e2e.web.test_browser import serious_violations

pytestmark = pytest.mark.slow

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}

#: How wide the document is, and every header or h1 box that does not lie within the screen's 375 px.
MEASURE = """() => {
  const cut = [...document.querySelectorAll('header.top, header.top > *, h1')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && (box.left < -0.5 || box.right > 375.5);
  }).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().left)}..${Math.round(e.getBoundingClientRect().right)}`);
  return {width: document.documentElement.scrollWidth, cut};
}"""


def every_page(site) -> dict[str, tuple[str, ...]]:
    incident = site.ledger.figure(site.killed_figure).incident_id
    report, citation = site.seed["reports"]["snhr-report"], site.seed["citations"]["snhr-report"]
    return {"officer": ("/", "/web/tallies/civilians_killed", "/web/tallies/civilians_killed?order=published",
                        f"/web/figures/{site.killed_figure}", f"/web/reports/{report}", f"/web/citations/{citation}",
                        "/web/checks", "/web/new/report", "/web/new/incident", "/web/new/citation",
                        "/web/new/source", "/web/incidents", f"/web/incidents/{incident}", "/web/sources",
                        "/web/imports", "/web/vocabulary", "/docs"),
            "auditor": ("/web/audit", "/web/audit/leaves/0")}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_on_a_phone_no_page_is_wider_than_the_screen_nor_cuts_its_header(browser, site, lang):
    found = {}
    for role, paths in every_page(site).items():
        page = sign_in(browser, site, role, **PHONE)
        page.goto(f"/web/language/{lang}?next=/")
        for path in paths:
            assert page.goto(path).status == 200, path
            measured = page.evaluate(MEASURE)
            if measured["width"] > 375 or measured["cut"]:
                found[path] = measured
        page.context.close()
    assert not found, found


def test_a_wide_table_scrolls_in_its_own_named_region_on_a_phone(browser, site):
    page = sign_in(browser, site, "officer", **PHONE)
    page.goto(f"/web/figures/{site.killed_figure}")
    regions = page.locator("main div.scroll")
    assert regions.count() >= 2 and page.locator("main table").count() == regions.locator("table").count()
    wide = regions.evaluate_all("rs => rs.filter(r => r.scrollWidth > r.clientWidth)"
                                ".map(r => [r.getAttribute('role'), r.getAttribute('aria-label'), r.tabIndex])")
    assert wide, "no table on the figure's page is wider than a phone: this test shows nothing"
    assert all(role == "region" and label and tab == 0 for role, label, tab in wide), wide
    page.context.close()


def test_the_kind_badges_keep_to_one_line_on_a_wide_screen(browser, site):
    page = sign_in(browser, site, "reader", viewport={"width": 1280, "height": 900})
    lines = page.locator(".kind").evaluate_all(
        "ks => ks.map(k => [k.innerText, k.getBoundingClientRect().height / parseFloat(getComputedStyle(k).lineHeight)])")
    assert any("at least" in text for text, _ in lines)
    assert all(height < 1.5 for _, height in lines), lines
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_no_serious_or_critical_violation_on_the_docs(browser, site, lang):
    visitor = browser.new_context(base_url=site.base, bypass_csp=True).new_page()  # bypass: to inject axe
    visitor.goto(f"/web/language/{lang}?next=/docs")
    assert visitor.locator("html").get_attribute("lang") == lang and visitor.locator("h1").count() == 1
    assert not serious_violations(visitor)
    visitor.goto("/docs/try")
    visitor.locator("rapi-doc").get_by_text("Incident ledger").first.wait_for()
    # RapiDoc's try-it inputs carry no label (axe's critical "label", "select-name"): they are its own, in its
    # shadow root, which no attribute reaches (docs/web.md); what the page itself holds must be clean.
    visitor.add_script_tag(path=str(AXE))
    outside = visitor.evaluate("""axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
        .filter(v => ['serious', 'critical'].includes(v.impact))
        .flatMap(v => v.nodes.filter(n => !(Array.isArray(n.target[0]) && n.target[0][0] === 'rapi-doc'))
                             .map(n => [v.id, n.target])))""")
    assert not outside, outside
    visitor.context.close()


def test_the_docs_work_without_javascript_and_name_every_route(browser, site):
    page = browser.new_context(base_url=site.base, java_script_enabled=False).new_page()
    page.goto("/docs")
    spec = page.request.get("/openapi.json").json()
    ids = set(page.locator("[id]").evaluate_all("es => es.map(e => e.id)"))
    routes = {op["operationId"]: f"{method.upper()} {path}" for path, item in spec["paths"].items()
              for method, op in item.items()}
    assert len(routes) > 30 and not {op for op in routes if op not in ids}
    for op, said in routes.items():
        assert page.locator(f"[id='{op}'] h3 code").inner_text() == said
    links = page.locator("main a[href^='#']").evaluate_all("as => as.map(a => a.getAttribute('href').slice(1))")
    assert links and not set(links) - ids  # every schema named is on the page
    assert {f"schema-{name}" for name in spec["components"]["schemas"]} <= ids
    page.context.close()
