"""The pages in their language in Chromium: every kind of page walked in Arabic with no interface text left
in English; the step chart's time axis and cursor in the page's language; the vocabulary's two forms, refused,
with ids of their own and axe-core clean, in both languages."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest

from tests.e2e.web.conftest import sign_in
from tests.e2e.web.test_browser import serious_violations

#: Text in the interface's own words that is not English: formats, file kinds, standards, units.
_UNTRANSLATED = re.compile(r"\b(UTC|CSV|XLSX|HXL|JSON|NDJSON|ISO|OCHA|P-code|WGS84|SHA-256|YYYY-MM(-DD)?|BCP 47|"
                           r"base64|AUDITOR_KEY|RFC \d+|ar|en|Home|End)\b")  # Home, End: the keys' own caps

#: Latin-script words in the page's own text: leaves of text outside what a source or officer wrote
#: (dir="auto"), code, ids and the machine forms of dates, and in the labels a screen reader says.
_LATIN_WORDS = """() => {
  const skip = "[dir=auto], code, pre, kbd, samp, script, style";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || el.closest("[lang]").lang !== "ar" || !n.textContent.match(/[A-Za-z]{2,}/)) continue;
    out.push(n.textContent.trim());
  }
  document.querySelectorAll("[aria-label], [title], [placeholder], input[type=submit], button").forEach(el => {
    if (el.closest("[dir=auto]")) return;
    for (const a of ["aria-label", "title", "placeholder"]) {
      const v = el.getAttribute(a);
      if (v && v.match(/[A-Za-z]{2,}/)) out.push(v);
    }
  });
  return out;
}"""


def _kind(path: str) -> str:
    """A page's kind: its path with ids as {id}, and the names of its query's fields."""
    url = urlparse(path)
    shape = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27,}|/\d+(?=/|$)", "/{id}", url.path)
    return shape + "?" + ",".join(sorted(p.split("=")[0] for p in url.query.split("&") if p))


def walk(page, site, start: list[str]) -> dict[str, list[str]]:
    """Each kind of page reachable from ``start`` (one of each), with the English words it still shows."""
    found: dict[str, list[str]] = {}
    kinds: set[str] = set()
    todo = list(start)
    while todo and len(kinds) < 120:
        path = todo.pop(0)
        if _kind(path) in kinds or "/download" in path or "/sign-out" in path:
            continue
        kinds.add(_kind(path))
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "ar", path
        words = [w for w in page.evaluate(_LATIN_WORDS) if re.search(r"[A-Za-z]{2,}", _UNTRANSLATED.sub("", w))]
        if words:
            found[path] = words
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            url = urlparse(urljoin(site.base + path, href))
            if f"{url.scheme}://{url.netloc}" == site.base and "/language/" not in url.path \
                    and not url.path.startswith("/web/static/") and url.path != "/docs":
                todo.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def test_every_kind_of_page_in_arabic_shows_no_interface_text_in_english(browser, site):
    shown: dict[str, list[str]] = {}
    for role, start in (("officer", ["/", "/web/vocabulary?term=displaced", "/web/new/report", "/web/imports"]),
                        ("auditor", ["/web/audit", "/web/audit/leaves/0"])):
        page = sign_in(browser, site, role)
        page.goto("/web/language/ar?next=/")
        shown.update(walk(page, site, start))
        page.context.close()
    for path, words in shown.items():
        print(path, words)
    assert not shown


def test_the_step_charts_time_axis_and_cursor_are_written_in_the_pages_language(browser, site):
    """uPlot draws the axis on a canvas: its tick labels (kept on the axis) and the legend's time are
    the browser's Intl for the page's lang, in UTC and Latin digits, never uPlot's English."""
    seen = {}
    for lang in ("en", "ar"):
        page = sign_in(browser, site, "reader")
        page.goto(f"/web/language/{lang}?next=/web/tallies/civilians_killed")
        page.wait_for_selector("#chart[data-ready]")
        ticks = page.evaluate("ledgerChart.axes[0]._values")
        box = page.locator("#chart .u-over").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        legend = page.locator("#chart .u-legend .u-series").first
        seen[lang] = (ticks, legend.locator(".u-label").inner_text(), legend.locator(".u-value").inner_text())
        page.context.close()
    (en_ticks, en_label, en_time), (ar_ticks, ar_label, ar_time) = seen["en"], seen["ar"]
    assert en_ticks and ar_ticks and len(set(ar_ticks)) == len(ar_ticks)  # each tick says its own time
    assert all(not re.search(r"[A-Za-z]", t) and re.search(r"[\u0600-\u06ff]|\d", t) for t in ar_ticks), ar_ticks
    assert not any(re.search(r"[\u0660-\u0669]", t) for t in ar_ticks)  # Latin digits, as the pages keep them
    assert (en_label, ar_label) == ("Time", "الوقت")
    assert en_time.endswith(" UTC") and ar_time.endswith(" UTC") and re.search(r"[\u0600-\u06ff]", ar_time)
    assert not re.search(r"[\u0660-\u0669]", ar_time) and re.search(r"\d{4}", ar_time)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_vocabularys_refused_forms_keep_their_ids_apart_and_axe_finds_no_serious_violation(browser, site, lang):
    """Both forms on the page (a Revise link followed), each sent refused in turn: no id twice in the DOM,
    each refusal beside its own form's field (which names it as its description), and axe-core clean."""
    page = sign_in(browser, site, "officer", bypass_csp=True)
    page.goto(f"/web/language/{lang}?next=/web/vocabulary%3Fterm%3Ddisplaced")
    found = {}
    for form, fill in (("#revise-term", {"label_en": "people displaced"}),
                       ("#define-term", {"code": "medics_killed", "definition": "medical workers killed",
                                         "label_en": "medics killed"})):
        page.goto("/web/vocabulary?term=displaced")
        for name, value in fill.items():
            page.locator(f"{form} [name={name}]").fill(value)
        page.locator(f"{form} [name=reason]").fill("   ")  # the browser's `required` passes it; the API refuses it
        page.locator(f"{form} button[type=submit]").click()
        page.wait_for_load_state()
        dupes = page.evaluate("""() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
                                          return ids.filter((id, i) => ids.indexOf(id) !== i); }""")
        assert not dupes, (form, dupes)
        described = page.locator(f"{form} [name=reason]").get_attribute("aria-describedby")
        assert described and page.locator(f"{form} #{described}.error").count() == 1, form
        assert page.locator("p.error").count() == 1  # the other form shows no refusal
        found[form] = serious_violations(page)
    page.context.close()
    assert not any(found.values()), found


def test_on_an_arabic_page_the_right_arrow_steps_later_as_the_charts_time_axis_runs(browser, site):
    """The chart is drawn with time running left to right on an Arabic page too; the arrows follow the axis."""
    for number in (109, 110):  # steps to move between
        site.ledger.correct_figure("officer-1", site.killed_figure, value={"qualifier": "exact", "number": number},
                                   reason="a later list", expected_version=site.ledger.figure(site.killed_figure).version)
    page = sign_in(browser, site, "reader")
    page.goto("/web/language/ar?next=/web/tallies/civilians_killed")
    page.wait_for_selector("#chart[data-ready]")
    plot = page.evaluate("(() => { const x = ledgerChart.data[0]; return [ledgerChart.valToPos(x[0], 'x'),"
                         " ledgerChart.valToPos(x[x.length - 1], 'x')]; })()")
    assert plot[0] < plot[1]  # the first step on the left
    page.locator("#chart").focus()
    last = page.locator("#steps tr.current-step").get_attribute("data-step")
    page.keyboard.press("ArrowLeft")
    earlier = page.locator("#steps tr.current-step").get_attribute("data-step")
    page.keyboard.press("ArrowRight")
    assert int(earlier) == int(last) - 1 and page.locator("#steps tr.current-step").get_attribute("data-step") == last
    page.context.close()
