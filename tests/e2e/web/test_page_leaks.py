"""No page, download, refusal, header or log line of the web app gives a protected source away to a reader or
an officer: the pages' twin of tests/e2e/test_protected_leaks.py, in process, on both stores.

Every page route the app has (found in its routes, so a new page is covered as soon as it exists), with
each id in its path given a public record, each protected id and an unknown one; each query parameter
varied one at a time (as of before anything, as of when the protected source was public, under cuts,
searches by its name); every download in every format. The status, every header (ETag, Location,
Content-Disposition, Link...) and the body (a spreadsheet's unzipped parts) are searched for every
marker of the protected source, as are the log lines. Auditors asking the same see every marker, so the
search can fail. The officers' forms naming a protected record they hold give back nothing more of it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import MARK, Api, World
from tests.e2e.test_protected_leaks import RANDOM, as_text, leaks
from tests.e2e.web.test_pages import HTML, sign_in

ROLES = ("reader", "officer")
#: The day the protected source published a report on, as the pages write a day (ISO, English, Arabic).
DAY = "2017-03-14"
#: Cuts the day before and the day after it: a page under one must be the page under the other, or the cut
#: would tell when the protected source published (its words count from their filing for anyone else).
AROUND = ("2017-03-13", "2017-03-15")
DAY_WRITTEN = (DAY, "Mar 14, 2017", "March 14, 2017", "14 مارس 2017", "2017/03/14", "14/03/2017")


def _routes(routes: Any) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI 0.165 keeps an included router whole
            yield from _routes(route.original_router.routes)
        else:
            yield route


def _queries(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _queries(sub)
    return names


def page_routes(app: Any) -> list[tuple[str, list[str]]]:
    """Every GET page and download of the web app, with the query parameters it reads."""
    return [(route.path, sorted(_queries(route.dependant))) for route in _routes(app.routes)
            if "GET" in (getattr(route, "methods", None) or ()) and
            (route.path == "/" or route.path.startswith("/web/")) and route.path != "/web/language/{code}"]


@dataclass
class Crawl:
    api: Api
    world: World
    public_moment: str
    seen: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    logs: list[logging.LogRecord] = field(default_factory=list)
    dated: str = ""  # a protected report published on DAY


def _path_values(world: World, name: str) -> list[str]:
    public = {"source_id": world.public_source, "report_id": world.public_report, "figure_id": world.figure,
              "incident_id": world.incident, "citation_id": world.public_citation}
    if name in public:
        own = {"figure_id": [world.protected_figure], "citation_id": [world.public_citation_of_protected_report]}
        return [public[name], *own.get(name, []), *world.protected_ids(), RANDOM]
    return {"metric": ["civilians_killed", "civilians_injured"], "kind": ["report", "citation", "source", "incident"],
            "index": [str(i) for i in range(12)]}[name]


def _query_values(crawl: Crawl, name: str) -> list[str]:
    world = crawl.world
    return {
        "as_of": ["2000-01-01T00:00:00Z", crawl.public_moment],
        "published_by": ["2000-01-01", "2100-01-01T00:00:00Z", *AROUND],
        "format": ["csv", "xlsx", "hxl"],
        "order": ["published"],
        "incident_id": [world.incident],
        "figure_id": [world.figure, world.protected_figure],
        "target": [world.protected_report, world.figure, RANDOM],
        "source_q": [MARK, "cell", "Witness"], "incident_q": [MARK, "Escalation"],
        "actor": ["seed-officer"], "term": ["civilians_killed"], "status": ["flagged"],
        "claims": ["0", "1"], "citations": ["0", "1"],
    }.get(name, [])


def _requests(crawl: Crawl) -> Iterator[str]:
    for template, names in page_routes(crawl.api.client.app):
        slots = re.findall(r"\{(\w+)\}", template)
        paths = [template]
        for slot in slots:
            paths = [p.replace("{" + slot + "}", v) for p in paths for v in _path_values(crawl.world, slot)]
        for path in paths:
            query = "format=csv" if path.endswith("/download") else ""
            yield f"{path}?{query}" if query else path
            for name in names:
                for value in _query_values(crawl, name):
                    if name == "format" and value == "csv":
                        continue
                    yield f"{path}?{'&'.join(p for p in (query if name != 'format' else '', f'{name}={value}') if p)}"


def _normal(text: str) -> str:
    """A page's text without what differs between two asks: each form's fresh request key."""
    return re.sub(r'name="request_key" value="[^"]*"', 'name="request_key" value=""', text)


def _unechoed(text: str, url: str) -> str:
    """The answer without the values its own address gave (a search's words, an id asked for, as the
    sign-in link's ``next`` or a form's hidden field carries them): they tell the caller nothing new."""
    from urllib.parse import parse_qsl, quote, urlsplit

    parts = urlsplit(url)
    given = [v for v in parts.path.split("/") if len(v) == 36] + [v for _, v in parse_qsl(parts.query) if v]
    for value in sorted(given, key=len, reverse=True):
        for form in (value, quote(value, safe=""), quote(quote(value, safe=""), safe="")):
            text = text.replace(form, "[asked]")
    return text


def _crawl(crawl: Crawl, role: str) -> list[tuple[str, str]]:
    api = crawl.api
    sign_in(api, role)
    out = []
    for url in _requests(crawl):
        for method in ("GET", "HEAD"):
            response = api.client.request(method, url, headers=HTML, follow_redirects=False)
            assert response.status_code < 500, (role, method, url, response.text[-300:])
            out.append((f"{method} {url}", _normal(_unechoed(as_text(response), url))))
    return out


@pytest.fixture(scope="module")
def crawled(shared: tuple[Api, World]) -> Iterator[Crawl]:
    api, world = shared
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    # Public for a while: a page as of then must still withhold it (protection is read as of now).
    public_moment = ""
    for version, protected in ((1, False), (2, True)):
        decided = api.post(f"/sources/{world.protected_source}/protection", {"protected": protected,
                                                                             "reason": "probe"},
                           If_Match=f'"{version}"')
        assert decided.status_code == 200, decided.text
        if not protected:
            public_moment = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    # A report of the protected source published on a day no other record names: that day is its too.
    dated = api.ledger.file_report("seed-officer", source_id=world.protected_source, title=f"Dated {MARK}",
                                   language="ar", published_on=DAY, figures=[
                                       {"incident_id": world.incident, "metric": "civilians_killed", "breakdown": {},
                                        "value": {"qualifier": "exact", "number": 97}}])["report_id"]
    api.client.app.state.audit.make_checkpoint()
    crawl = Crawl(api, world, public_moment, logs=records, dated=dated)
    keep, root = Keep(logging.DEBUG), logging.getLogger()
    old = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        for role in ("auditor", *ROLES):  # the auditor first: a page kept for an auditor must reach no one else
            crawl.seen[role] = _crawl(crawl, role)
    finally:
        root.removeHandler(keep)
        root.setLevel(old)
    yield crawl


@pytest.mark.parametrize("role", ROLES)
def test_no_page_download_or_header_names_a_protected_record(crawled: Crawl, role: str) -> None:
    found = [(asked, leaks(text, crawled.world)) for asked, text in crawled.seen[role]]
    assert len(found) > 500 and sum("/download" in asked for asked, _ in found) > 100
    assert sum("xlsx" in asked for asked, _ in found) > 20
    assert [f for f in found if f[1]] == []


@pytest.mark.parametrize("role", ROLES)
def test_a_protected_id_in_a_page_address_answers_as_an_unknown_one(crawled: Crawl, role: str) -> None:
    answers = dict(crawled.seen[role])
    compared = 0
    for asked, text in answers.items():
        for ident in crawled.world.protected_ids():
            unknown = answers.get(asked.replace(ident, RANDOM)) if ident in asked else None
            if unknown is not None:
                assert _timeless(text.replace(ident, RANDOM)) == _timeless(unknown), asked
                compared += 1
    assert compared > 100


@pytest.mark.parametrize("role", ROLES)
def test_no_page_gives_the_day_a_protected_source_published_on(crawled: Crawl, role: str) -> None:
    found = [(asked, [d for d in (*DAY_WRITTEN, crawled.dated) if d in text]) for asked, text in crawled.seen[role]]
    assert [f for f in found if f[1]] == []
    auditors = "\n".join(text for _, text in crawled.seen["auditor"])
    assert DAY in auditors and crawled.dated in auditors  # so the search can fail


@pytest.mark.parametrize("role", ROLES)
def test_a_cut_either_side_of_that_day_gives_the_same_page(crawled: Crawl, role: str) -> None:
    answers = dict(crawled.seen[role])
    before, after = (f"published_by={day}" for day in AROUND)
    compared = 0
    for asked, text in answers.items():
        if before in asked:
            other = answers[asked.replace(before, after)]
            assert _dayless(text, AROUND[0]) == _dayless(other, AROUND[1]), asked
            compared += 1
    assert compared > 100
    auditors = dict(crawled.seen["auditor"])
    assert any(_dayless(t, AROUND[0]) != _dayless(auditors[a.replace(before, after)], AROUND[1])
               for a, t in auditors.items() if before in a)  # the auditor's pages do differ


def _dayless(text: str, day: str) -> str:
    """Without the cut's own day, as the banner and the links write it."""
    n = int(day[-2:])
    for written in (day, f"Mar {n}, 2017", f"March {n}, 2017", f"{n} مارس 2017"):
        text = text.replace(written, "DAY")
    return _timeless(text)


def _timeless(text: str) -> str:
    """Without the moment a file was made (a spreadsheet's properties and an export's pinned read moment)."""
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "T", text)


def test_auditors_see_every_marker_in_the_pages(crawled: Crawl) -> None:
    everything = "\n".join(text for _, text in crawled.seen["auditor"])
    assert sorted(leaks(everything, crawled.world)) == sorted(crawled.world.protected_markers())
    books = [text for asked, text in crawled.seen["auditor"] if "format=xlsx" in asked]
    assert books and leaks("\n".join(books), crawled.world)


def test_the_pages_log_lines_name_no_protected_record(crawled: Crawl) -> None:
    server = [r for r in crawled.logs if not r.name.startswith(("httpx", "httpcore"))]
    lines = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server)
    assert leaks(lines, crawled.world) == []


FORM = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}

#: Officers' forms naming a protected record by an id they hold (`{p}`, each protected id in turn).
OFFICER_FORMS = (
    ("/web/new/report", [("source_id", "{p}"), ("title", "probe"), ("language", "en")]),
    ("/web/new/report", [("source_id", "{public_source}"), ("title", ""), ("language", "en"),
                         ("figures[0].incident_id", "{incident}"), ("figures[0].metric", "civilians_killed"),
                         ("figures[0].value.qualifier", "exact"), ("figures[0].value.number", "1"),
                         ("figures[0].evidence", "{p}")]),
    ("/web/new/citation", [("target_id", "{p}"), ("source_id", "{public_source}"), ("url", "https://x.org")]),
    ("/web/new/citation", [("target_id", "{figure}"), ("source_id", "{p}"), ("url", "")]),
    ("/web/citations/{p}/withdrawals", [("reason", "probe"), ("version", "99")]),
    ("/web/sources/{p}/protection", [("protected", "on"), ("reason", ""), ("version", "1")]),
    ("/web/sources/protection", [("source_id", "{p}"), ("protected", ""), ("reason", "probe"), ("version", "99")]),
    ("/web/figures/{figure}/corrections", [("value.qualifier", "exact"), ("value.number", "1"), ("reason", "probe"),
                                           ("evidence", "{p}"), ("version", "99")]),
    ("/web/figures/{figure}/supersessions", [("source_id", "{p}"), ("report_id", "{p}"), ("replaces", "{p}"),
                                             ("value.qualifier", "exact"), ("value.number", "1"),
                                             ("reason", "probe"), ("version", "99")]),
    ("/web/figures/{figure}/grades", [("grade", "fair"), ("reason", ""), ("evidence", "{p}"), ("version", "1")]),
    ("/web/figures/{figure}/retractions", [("reason", ""), ("evidence", "{p}"), ("version", "1")]),
)


def test_an_officers_refused_forms_on_protected_records_give_back_nothing_of_them(
        shared: tuple[Api, World], caplog: pytest.LogCaptureFixture) -> None:
    api, world = shared
    csrf = sign_in(api, "officer")
    caplog.set_level(logging.DEBUG)
    answered = set()
    for path, fields in OFFICER_FORMS:
        for ident in world.protected_ids():
            values = {"p": ident, "public_source": world.public_source, "figure": world.figure,
                      "incident": world.incident}
            sent = [(k, v.format(**values)) for k, v in fields]
            before = api.events()
            response = api.client.post(path.format(**values), content=_encode([("csrf", csrf), *sent]),
                                       headers=FORM, follow_redirects=False)
            assert response.status_code < 500, (path, sent, response.text[-300:])
            answered.add(response.status_code)
            # Filing or citing from a protected source by its id is no refusal (an officer may, as by
            # the API): the "recorded, protected" page answers, naming nothing of the source.
            recorded = response.status_code == 200 and 'id="recorded-id"' in response.text
            if response.status_code != 303 and not recorded:
                assert api.events() == before, (path, sent)
            text = as_text(response).replace(ident, RANDOM)
            assert leaks(text, world) == [], (path, sent, response.status_code)
    assert 422 in answered
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert leaks("\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server), world) == []


def _encode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)
