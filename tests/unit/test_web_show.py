"""The table cells in Python (api/web/show.py) say what the macros they replace said, escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from api.web.i18n import Language
from api.web.show import Show
from ledger.vocabulary import DIMENSIONS, METRICS, POPULATIONS

LABELS = {"METRICS": METRICS, "DIMENSIONS": DIMENSIONS, "POPULATIONS": POPULATIONS}


def shown(code: str = "en") -> Show:
    return Show(Language(code), lambda path, **_: path + "?as_of=x&y", LABELS, "/web")


def test_each_qualifier_in_words_with_the_words_escaped() -> None:
    s = shown()
    assert s.count({"qualifier": "exact", "number": 1234}) == "1,234"
    assert s.count({"qualifier": "at_least", "number": 5}) == "at least 5"
    assert s.count({"qualifier": "fewer_than", "number": 5}) == "fewer than 5"
    assert s.count({"qualifier": "range", "low": 3, "high": 7}) == "3 to 7"
    assert s.count({"qualifier": "vague", "term": "<b>tens</b>", "low": 20, "high": 99}) == Markup(
        '<span dir="auto">&lt;b&gt;tens&lt;/b&gt;</span> (20 to 99)')
    assert s.count({"qualifier": "approximate", "term": "نحو", "number": 100, "low": 90, "high": 110}) == Markup(
        'approximate <span dir="auto">نحو</span> 100 (90 to 110)')


def test_a_source_links_keeping_the_choices_and_a_protected_one_is_named_so() -> None:
    s = shown()
    assert s.source(None) == "—"
    assert s.source("protected") == Markup('<span class="protected">protected source</span>')
    assert s.source({"source_id": "s1", "name": "A & B", "name_en": "<i>"}) == Markup(
        '<a href="/web/sources/s1?as_of=x&amp;y" dir="auto">A &amp; B</a> (<span dir="auto">&lt;i&gt;</span>)')
    assert s.source({"source_id": "s2"}) == Markup('<a href="/web/sources/s2?as_of=x&amp;y" dir="auto"></a>')


def test_bounds_a_moment_a_breakdown_and_a_population() -> None:
    s = shown()
    assert s.bounds(None, None, "no_data") == Markup('<span class="kind-no_data">no data</span>')
    assert s.bounds(4, 4, "range") == "4"
    assert s.bounds(4, None, "range") == "at least 4"
    assert s.bounds(4, 9, "range") == "4 to 9"
    assert s.when("2024-01-02T03:04:05Z") == Markup(
        '<time datetime="2024-01-02T03:04:05Z">Jan 2, 2024, 3:04:05\u202fAM UTC</time>')
    assert s.breakdown({}) == "total"
    assert s.breakdown({"place": "<Gaza>"}) == Markup(
        f'{escape(s.dimension("place"))}: <span dir="auto">&lt;Gaza&gt;</span>')
    assert s.population("counted") == "" and s.population(None) == ""
    assert s.population("identified") == Markup(' · <span class="population">those identified</span>')


def test_arabic_numbers_and_words() -> None:
    s = shown("ar")
    assert s.count({"qualifier": "at_least", "number": 1000}) == escape(
        Language("ar").gettext("at least %(n)s", n=Language("ar").number(1000)))


def test_a_report_and_evidence_link_and_a_hidden_one_names_nothing() -> None:
    s = shown()
    assert s.report(None, None) == "—"
    assert s.report("r1", "2024-05-01") == Markup(
        '<a href="/web/reports/r1?as_of=x&amp;y" class="report-link">report</a>'
        ' <time datetime="2024-05-01">May 1, 2024</time>')  # the date as the language writes it
    assert s.report(None, "2024-05-01") == Markup(' <time datetime="2024-05-01">May 1, 2024</time>')
    assert shown("ar").on("2024-05-01") == Markup(f'<time datetime="2024-05-01">{Language("ar").day("2024-05-01")}</time>')
    cited = "0123456789abcdef-long-id"
    assert s.evidence([cited, "protected"], ", ") == Markup(
        f'<a href="/web/citations/{cited}?as_of=x&amp;y">01234567</a>, <span class="protected">protected source</span>')
    assert s.evidence(None) == ""


def test_a_kind_in_words_classed_by_it() -> None:
    assert shown().kind("lower_bound") == Markup('<span class="kind kind-lower_bound">at least</span>')
    assert shown().kind("<x>") == Markup('<span class="kind kind-&lt;x&gt;">&lt;x&gt;</span>')
    assert shown("ar").kind("no_data") == Markup(f'<span class="kind kind-no_data">{Language("ar").gettext("no data")}</span>')


def _change(n: int, **version: object) -> dict[str, object]:
    return {"moved": {"figure_id": f"f{n}", "event": "corrected", "actor": "<officer>"}, "version": version or None}


def test_a_steps_changes_tell_who_whose_word_why_and_on_what_evidence() -> None:
    s = shown()
    said = {"moved": {"figure_id": "f1", "event": "stated", "actor": "", "source": {"source_id": "s1", "name": "S"},
                      "report_id": "r1", "published_on": "2024-05-01"},
            "version": {"value": {"qualifier": "exact", "number": 5}, "reason": "a <recount>",
                        "source": {"source_id": "s9", "name": "not shown: the claim's source is"}, "evidence": ["c1"]}}
    corrected = _change(2, value={"qualifier": "at_least", "number": 1200}, source="protected")
    untold = {"moved": {"event": "retracted", "actor": "a"}, "version": None}
    assert s.step_changes([said, corrected, untold]) == Markup(
        '<ul class="changes">\n'
        '      <li>\n'
        '<a href="/web/figures/f1?as_of=x&amp;y">stated</a>        by <span dir="auto">—</span>\n'
        '<span class="said-in">said by <a href="/web/sources/s1?as_of=x&amp;y" dir="auto">S</a>, '
        '<a href="/web/reports/r1?as_of=x&amp;y" class="report-link">report</a> <time datetime="2024-05-01">May 1, 2024</time>'
        '</span>          — 5\n'
        '<span class="why">because: <q dir="auto">a &lt;recount&gt;</q></span>'
        '<span class="evidence">evidence:\n'
        '            <a href="/web/citations/c1?as_of=x&amp;y">c1</a></span>      </li>\n'
        '      <li>\n'
        '<a href="/web/figures/f2?as_of=x&amp;y">corrected</a>        by <span dir="auto">&lt;officer&gt;</span>\n'
        '          — at least 1,200\n'
        '<span class="src">source: <span class="protected">protected source</span></span>      </li>\n'
        '      <li>\n'
        'retracted        by <span dir="auto">a</span>\n'
        '      </li>\n'
        '</ul>')


def test_a_step_lists_ten_changes_and_counts_the_rest() -> None:
    told = shown().step_changes([_change(n) for n in range(12)])
    assert told.count("<li>") == 10 and "f9?" in told and "f10?" not in told
    assert told.endswith('<li class="more-changes">and 2 more changes (every one is in the steps&#39; file)</li></ul>')
    assert shown().step_changes([]) == Markup('<ul class="changes">\n</ul>')


def _check(**given: object) -> dict[str, object]:
    return {"metric": "civilians_killed", "check": "dimension", "dimension": "perpetrator", "population": "counted",
            "total": {"figure_id": "f1", "low": 10, "high": 20, "breakdown": {}, "approximate": False},
            "parts": [{"value": "x", "approximate": False}], "parts_low": 5, "parts_high": 8, "status": "complete",
            **given}


def test_a_check_as_a_row_of_the_checks_table() -> None:
    s = shown()
    metric, along = escape(s.metric("civilians_killed")), escape(s.dimension("perpetrator"))
    assert s.check(_check()) == Markup(
        '  <tr class="check-complete">\n'
        f'    <td><a href="/web/figures/f1?as_of=x&amp;y">{metric}</a></td>\n'
        f"    <td>{along}</td>\n"
        '    <td class="num">10 to 20</td>\n'
        '    <td class="num">5 to 8</td>\n'
        "    <td>complete</td>\n"
        "  </tr>")
    flagged = s.check(_check(
        check="subset", population="identified", status="remainder", remainder={"low": 2, "high": None},
        total={"figure_id": "f1", "low": 10, "high": 10, "breakdown": {"place": "<Gaza>"}, "approximate": True},
        parts=[{"value": "x", "approximate": True}]))
    assert ('<td>subset · <span class="population">those identified</span>'
            f' (of {escape(s.dimension("place"))}: <span dir="auto">&lt;Gaza&gt;</span>)</td>') in flagged
    assert '<td class="num">10 <span class="approximate">approximate</span></td>' in flagged
    assert '<td class="num">5 to 8 <span class="approximate">includes approximate counts</span></td>' in flagged
    assert '<td><strong class="flag">remainder of at least 2 not broken down</strong></td>' in flagged
    part_of = s.check(_check(check="part_of", parts=[{"value": "killed", "approximate": False}], status="inconsistent",
                             excess=1234))
    assert f"<td>{escape(s.metric('killed'))}</td>" in part_of
    assert '<strong class="flag bad">inconsistent: the parts exceed the total by 1,234</strong>' in part_of
    assert "parts exceed the total&#39;s low bound" in s.check(_check(status="parts_exceed_low"))
