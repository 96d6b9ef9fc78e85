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
