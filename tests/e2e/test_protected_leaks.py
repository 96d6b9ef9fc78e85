"""No route, error, header, proof or log line gives a protected source away to a non-auditor.

Every operation in the app's OpenAPI schema is called (so a new route is covered as soon as
it exists), with every id parameter given each protected record's id as well as a public
one, every enum parameter each of its values, every inclusion proof of every leaf, and
each POST with a body naming protected records. Each response, body and every header, is
searched for each marker of the protected source: its ids (as text, in upper case and as
bare hex), its name, URL, its reports' titles and URLs, its citations' URLs and quotes,
its claims' words. Auditors asking the same must see every one of them, so that the
search can fail. The server's log lines, in process and from a real uvicorn, are searched
too.
"""

from __future__ import annotations

from ledger import vocabulary

import base64
import html
import io
import logging
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.bootstrap import open_ledger
from ledger.audit.proof_check import verify_inclusion
from ledger.store import Store
from tests.e2e.conftest import MARK, Api, World, assert_problem, build_world
from tests.e2e.test_server import running_server

NON_AUDITORS = (None, "reader", "officer")
RANDOM = str(uuid.UUID(int=0x5EED))  # an id of nothing: a protected one must answer as this does

#: A body for each command that would be accepted if its path named a record of the right kind.
BODIES: dict[str, Any] = {
    "/sources": {"name": "Idlib Media Office", "kind": "media_office", "language": "ar"},
    "/sources/{source_id}/protection": {"protected": False, "reason": "probe"},
    "/incidents": {"title": "Shelling", "valid_from": "2019-05-01", "places": ["Kafr Nabl"]},
    "/incidents/{incident_id}/period-revisions": {"valid_from": "2019-04-25", "reason": "probe"},
    "/reports": {"source_id": "{protected_source}", "title": "probe", "language": "en"},
    "/figures/{figure_id}/corrections": {"value": {"qualifier": "exact", "number": 1}, "reason": "probe",
                                         "evidence": ["{protected_citation}"]},
    "/figures/{figure_id}/supersessions": {"source_id": "{protected_source}", "report_id": "{protected_report}",
                                           "value": {"qualifier": "exact", "number": 1}, "reason": "probe"},
    "/figures/{figure_id}/retractions": {"reason": "probe"},
    "/figures/{figure_id}/grades": {"grade": "fair", "reason": "probe"},
    "/citations": {"target_id": "{protected_report}", "source_id": "{protected_source}", "url": "https://x.org"},
    "/citations/{citation_id}/withdrawals": {"reason": "probe"},
    "/vocabulary": {"kind": "metric", "code": "probe_killed", "definition": "d", "label_en": "l", "reason": "probe"},
    "/vocabulary/{term}/revisions": {"label_ar": "مسبار", "reason": "probe"},
}


@dataclass
class Seen:
    """One response as text (status line, every header, body), with what was asked."""

    asked: str
    status: int
    text: str


@dataclass
class Run:
    api: Api
    world: World
    size: int
    logs: list[logging.LogRecord] = field(default_factory=list)
    #: A moment when the protected source was public (it was unprotected, then protected again).
    public_moment: str = ""
    seen: dict[str | None, list[Seen]] = field(default_factory=dict)


def forms(marker: str) -> list[str]:
    """The ways a marker could be written: as is, and an id also upper case and as bare hex."""
    try:
        ident = uuid.UUID(marker)
    except ValueError:
        return [marker.lower()]
    return [str(ident), ident.hex, base64.b64encode(ident.bytes).decode()]


def leaks(text: str, world: World) -> list[str]:
    lowered = text.lower()
    return [marker for marker in world.protected_markers()
            if any(form.lower() in lowered for form in forms(marker))]


def as_text(response: httpx.Response) -> str:
    """Status, headers and body; a spreadsheet's body is the text of every part of its zip
    (searched as is, its bytes would hide any marker in deflate)."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.multi_items())
    body = response.text
    if response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            body = "\n".join(book.read(part).decode("utf-8", "replace") for part in book.namelist())
    return f"{response.status_code}\n{headers}\n\n{html.unescape(body)}"


# ---- what to ask ------------------------------------------------------------------------------

def _schema_of(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for option in schema.get("anyOf", [schema]):
        if "$ref" in option:
            option = spec["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
        if option.get("type") != "null":
            return option
    return schema


def _ids(world: World, name: str) -> list[str]:
    """An id parameter's values: a public record of its kind, every protected id, an unknown id."""
    public = {"source_id": world.public_source, "report_id": world.public_report, "figure_id": world.figure,
              "incident_id": world.incident, "citation_id": world.public_citation}
    kind = {"figure_id": [world.protected_figure], "citation_id": [world.public_citation_of_protected_report]}
    return [public[name], *kind.get(name, []), *world.protected_ids(), RANDOM]


def _values(spec: dict[str, Any], run: Run, param: dict[str, Any]) -> list[Any]:
    """The values to try for one parameter (the first is the one used while others vary)."""
    name, schema = param["name"], _schema_of(spec, param["schema"])
    if schema.get("format") == "uuid":
        return _ids(run.world, name)
    if "enum" in schema:
        return list(schema["enum"])
    # Terms of the vocabulary are data, not an enum of the schema: the built-ins.
    if name == "metric":
        return list(vocabulary.METRICS)
    if name in ("by", "dimension"):
        return [None, *vocabulary.DIMENSIONS]
    if name == "population":
        return [None, *vocabulary.POPULATIONS]
    if name in ("term", "kind"):
        return ["killed"] if name == "term" else [None, "metric"]
    if name in ("size", "second"):
        return [run.size]
    if name in ("index", "first"):
        return list(range(run.size)) if name == "index" else list(range(1, run.size + 1))
    if name in ("from", "since"):  # the mirror's first position, the feed of changes' (everything)
        return [0]
    if name == "as_of":  # not asked, then before anything was recorded, then while the source was public
        return [None, "2000-01-01T00:00:00Z", run.public_moment]
    if name == "version":
        return [None, 1, 2]
    if name == "published_by":  # not asked, before any publication, after all of them, and a bad one
        return [None, "2000-01-01", "2100-01-01T00:00:00Z", "not-a-date"]
    if name == "order":  # a history in publication order places a hidden source's words by their filing
        return [None, "published"]
    if schema.get("type") == "boolean":  # figure_ids, include_withdrawn, totals_only: the fuller answer too
        return [None, True]
    if param.get("required"):
        pytest.fail(f"teach this test a value for {param['in']} parameter {name!r}")
    return []


def requests(spec: dict[str, Any], run: Run) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    """(method, url, query, body) for every operation, varying one parameter at a time."""
    world = run.world
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            values = {p["name"]: _values(spec, run, p) for p in params}
            base = {p["name"]: values[p["name"]][0] for p in params
                    if values[p["name"]] and values[p["name"]][0] is not None}
            where = {p["name"]: p["in"] for p in params}
            variants = [base] + [{**base, name: value} for name, options in values.items() for value in options[1:]]
            if "as_of" in values:  # each protected id also as of the moment its source was public
                variants += [{**base, name: value, "as_of": run.public_moment} for name, options in values.items()
                             if name.endswith("_id") for value in options[1:]]
            body = None
            if method == "post":
                if template not in BODIES:
                    pytest.fail(f"teach this test a body for POST {template}")
                body = _fill(BODIES[template], world)
            for variant in variants:
                url = template.format(**{k: v for k, v in variant.items() if where[k] == "path"})
                query = {k: v for k, v in variant.items() if where[k] == "query"}
                yield method.upper(), url, query, body
                if method == "post":
                    yield method.upper(), url, query, {}


def _fill(body: Any, world: World) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, world) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, world) for v in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return getattr(world, body[1:-1])
    return body


def _mutates(method: str, url: str, caller: str | None, world: World) -> bool:
    """An officer's command on a record of the kind its path names would be recorded: not asked here.

    Its refusals are what this test is about; what it records is the officer's own doing."""
    if method != "POST" or caller != "officer":
        return False
    kinds = {"sources": {world.public_source, world.protected_source, world.spare_source},
             "incidents": {world.incident},
             "figures": {world.figure, world.protected_figure},
             "citations": {world.public_citation, world.protected_citation, world.protected_report_citation,
                           world.public_citation_of_protected_report}}
    parts = url.strip("/").split("/")
    return len(parts) == 1 or parts[1] in kinds.get(parts[0], set())


def ask_everything(run: Run, caller: str | None) -> list[Seen]:
    api, world = run.api, run.world
    spec = api.client.get("/openapi.json").json()
    out = []
    for method, url, query, body in requests(spec, run):
        if _mutates(method, url, caller, world) and body:
            continue
        headers = api.headers(caller) if caller else {}
        if method == "POST":
            headers["If-Match"] = '"1"'
        before = api.events() if method == "POST" else None
        response = api.client.request(method, url, params=query, headers=headers, json=body)
        asked = f"{method} {url} {query} {body}"
        assert response.status_code < 500, (asked, caller, response.text)
        if before is not None and caller != "officer":
            assert api.events() == before, (asked, caller)
        out.append(Seen(asked, response.status_code, as_text(response)))
    return out


@pytest.fixture(scope="module")
def everything(shared: tuple[Api, World]) -> Iterator[Run]:
    """Every route asked by every caller, once per store; the log records kept."""
    api, world = shared
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep, root = Keep(logging.DEBUG), logging.getLogger()
    old_level = root.level
    # Public for a while: an answer as of then must still withhold it (protection is read as of now).
    for version, protected in ((1, False), (2, True)):
        decided = api.post(f"/sources/{world.protected_source}/protection", {"protected": protected, "reason": "probe"},
                           If_Match=f'"{version}"')
        assert decided.status_code == 200, decided.text
        if not protected:
            public_moment = datetime.now(UTC).isoformat()
    run = Run(api, world, api.client.app.state.audit.make_checkpoint().size, records, public_moment=public_moment)
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        # The auditor first: an answer kept for an auditor must never be handed to anyone else.
        for caller in ("auditor", *NON_AUDITORS):
            run.seen[caller] = ask_everything(run, caller)
    finally:
        root.removeHandler(keep)
        root.setLevel(old_level)
    yield run


# ---- the tests ----------------------------------------------------------------------------

@pytest.mark.parametrize("caller", NON_AUDITORS, ids=lambda c: c or "no-key")
def test_no_response_names_a_protected_record(everything: Run, caller: str | None) -> None:
    found = [(seen.asked, seen.status, leaks(seen.text, everything.world)) for seen in everything.seen[caller]]
    assert len(found) > 250  # every route, and every leaf's proof, was asked
    assert [f for f in found if f[2]] == []


@pytest.mark.parametrize("caller", NON_AUDITORS, ids=lambda c: c or "no-key")
def test_a_protected_id_answers_exactly_as_an_unknown_one(everything: Run, caller: str | None) -> None:
    # Status, every header and the body: nothing tells a protected record from no record at all.
    world = everything.world
    answers = {seen.asked: seen for seen in everything.seen[caller]}
    compared = 0
    for asked, seen in answers.items():
        for ident in world.protected_ids():
            unknown = answers.get(asked.replace(ident, RANDOM)) if ident in asked else None
            if unknown is not None:
                assert (seen.status, seen.text) == (unknown.status, unknown.text), asked
                compared += 1
    assert compared > 50


def test_auditors_see_every_marker(everything: Run) -> None:
    # Else the search above could pass by looking in the wrong place.
    everything_seen = "\n".join(seen.text for seen in everything.seen["auditor"])
    assert sorted(leaks(everything_seen, everything.world)) == sorted(everything.world.protected_markers())
    books = [seen.text for seen in everything.seen["auditor"] if "spreadsheetml" in seen.text.split("\n\n")[0]]
    assert books and leaks("\n".join(books), everything.world)  # the spreadsheets are read, not their zip bytes


def test_the_same_requests_reach_protected_records_for_auditors(everything: Run) -> None:
    # Every protected id was asked about on the routes of its kind, and answered to auditors.
    world = everything.world
    answered = {seen.asked.split()[1] for seen in everything.seen["auditor"] if seen.status == 200}
    for path in (f"/sources/{world.protected_source}", f"/reports/{world.protected_report}",
                 f"/citations/{world.protected_citation}", f"/citations/{world.protected_report_citation}",
                 f"/reports/{world.protected_report}/citations"):
        assert path in answered
    refused = {seen.asked.split()[1]: seen.status for seen in everything.seen["reader"]}
    assert refused[f"/sources/{world.protected_source}"] == refused[f"/sources/{RANDOM}"] == 404
    # As of the moment it was public, before it was protected again, the auditor is shown that
    # version of it (its protection then), which the others were refused as an unknown id.
    then = [seen for seen in everything.seen["auditor"] if seen.asked.startswith(f"GET /sources/{world.protected_source} ")
            and everything.public_moment in seen.asked]
    assert then and all(seen.status == 200 and '"protected":false' in seen.text for seen in then), then


def test_server_log_lines_name_no_protected_record(everything: Run) -> None:
    server = [r for r in everything.logs if not r.name.startswith(("httpx", "httpcore"))]
    lines = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server)
    assert leaks(lines, everything.world) == []


#: Officers' commands naming a protected record by an id they hold: `{p}` is each protected id in turn.
OFFICER_COMMANDS = (
    ("/sources/{p}/protection", {"protected": True, "reason": "probe"}),
    ("/reports", {"source_id": "{p}", "title": "probe", "language": "en"}),
    ("/citations", {"target_id": "{p}", "source_id": "{public_source}", "url": "https://x.org"}),
    ("/citations", {"target_id": "{figure}", "source_id": "{p}", "url": "https://x.org"}),
    ("/citations/{p}/withdrawals", {"reason": "probe"}),
    ("/figures/{figure}/corrections", {"value": {"qualifier": "exact", "number": 1}, "reason": "probe",
                                       "evidence": ["{p}"]}),
    ("/figures/{figure}/supersessions", {"source_id": "{p}", "report_id": "{p}", "replaces": ["{p}"],
                                         "value": {"qualifier": "exact", "number": 1}, "reason": "probe"}),
)


@pytest.mark.parametrize("if_match", ['"99"', None])
def test_an_officers_commands_on_protected_records_give_back_nothing_of_them(api: Api, world: World,
                                                                            if_match: str | None) -> None:
    # Officers file a witness's reports and cite its words, so a command naming a protected id they
    # hold is carried out (or refused for a stale If-Match, 412 with the version only), unlike an
    # unknown id; such an id is a random UUID, so this tells nothing to anyone who does not hold it.
    # What must never come back is anything of the source beyond that id: its name, URL, words,
    # its reports' and citations' ids and texts, in the answer, its headers or the log's lines.
    answered = set()
    for path, body in OFFICER_COMMANDS:
        for ident in world.protected_ids():
            values = {"p": ident, "public_source": world.public_source, "figure": world.figure}
            url, sent = path.format(**values), _fill_text(body, values)
            headers = api.headers("officer") | ({"If-Match": if_match} if if_match else {})
            response = api.client.post(url, json=sent, headers=headers)
            assert response.status_code < 500, (url, sent, response.text)
            answered.add(response.status_code)
            text = as_text(response).replace(ident, RANDOM)
            assert leaks(text, world) == [], (url, sent, response.status_code, text)
            if response.status_code == 412:
                assert set(response.json()) == {"type", "title", "status", "detail", "current_version",
                                                "expected_version"}
    assert {201, 422} <= answered and (412 in answered) == (if_match is not None)


def _fill_text(body: Any, values: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {k: _fill_text(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_text(v, values) for v in body]
    return body.format(**values) if isinstance(body, str) else body


# ---- inclusion proofs ---------------------------------------------------------------------

def protected_leaf_ids(world: World) -> set[str]:
    """The records whose leaves must show as hashes only: the protected source's own, its report's,
    its citations', and the public citation of its report (which would name that report)."""
    return {*world.protected_ids(), world.public_citation_of_protected_report}


def proofs(api: Api, size: int, caller: str | None) -> list[dict[str, Any]]:
    out = []
    for index in range(size):
        response = api.client.get("/audit/proofs/inclusion", params={"index": index, "size": size},
                                  headers=api.headers(caller) if caller else {})
        assert response.status_code == 200, response.text
        out.append(response.json())
    return out


def check_hash_path(proof: dict[str, Any]) -> None:
    verify_inclusion(base64.b64decode(proof["leaf_hash"]), proof["index"], proof["size"],
                     [base64.b64decode(h) for h in proof["proof"]], base64.b64decode(proof["root"]))


def test_an_inclusion_proof_of_a_protected_leaf_is_its_hash_path_only(everything: Run) -> None:
    api, world, size = everything.api, everything.world, everything.size
    hidden = protected_leaf_ids(world)
    audited = proofs(api, size, "auditor")
    assert all(p["leaf"] is not None for p in audited)
    protected_at = {p["index"] for p in audited if p["leaf"]["originator_id"] in hidden}
    # Each protected record has at least one leaf, and figures (public) are not among them.
    assert {p["leaf"]["originator_id"] for p in audited if p["index"] in protected_at} == hidden
    for caller in NON_AUDITORS:
        for proof, full in zip(proofs(api, size, caller), audited, strict=True):
            check_hash_path(proof)  # still a proof anyone can check against a checkpoint
            assert proof["leaf_hash"] == full["leaf_hash"] and proof["proof"] == full["proof"]
            if proof["index"] in protected_at:
                assert proof["leaf"] is None, (caller, proof)
            else:
                assert proof["leaf"] == full["leaf"], (caller, proof)


def test_a_bad_key_on_a_proof_is_refused_not_downgraded(everything: Run) -> None:
    api = everything.api
    for key in ("revoked", "bogus"):
        response = api.client.get("/audit/proofs/inclusion", params={"index": 0, "size": 1},
                                  headers=api.headers(key))
        assert_problem(response, 401)


def test_leaves_follow_the_sources_protection_now(api: Api, world: World) -> None:
    trail = api.client.app.state.audit
    size = trail.make_checkpoint().size

    def shown(caller: str | None) -> set[str]:
        return {p["leaf"]["originator_id"] for p in proofs(api, size, caller) if p["leaf"] is not None}

    assert world.public_source in shown("reader") and world.public_report in shown(None)
    api.post(f"/sources/{world.public_source}/protection", {"protected": True, "reason": "threats"})
    now_hidden = shown("reader")
    assert not {world.public_source, world.public_report, world.public_citation} & now_hidden
    assert world.public_source in shown("auditor")
    api.post(f"/sources/{world.protected_source}/protection", {"protected": False, "reason": "the threat passed"},
             If_Match='"1"')
    assert {world.protected_source, world.protected_report, world.protected_citation} <= shown(None)
    assert world.public_citation_of_protected_report not in shown(None)  # its report's source is protected now


def test_a_public_citation_of_a_protected_report_withholds_its_target(api: Api, world: World) -> None:
    cited = world.public_citation_of_protected_report
    for role in ("reader", "officer"):
        body = api.get(f"/citations/{cited}", role).json()
        assert body["target_kind"] == "report" and body["target_id"] is None
        assert body["source_id"] == world.public_source
    assert api.get(f"/citations/{cited}", "auditor").json()["target_id"] == world.protected_report
    api.post(f"/sources/{world.protected_source}/protection", {"protected": False, "reason": "the threat passed"},
             If_Match='"1"')
    assert api.get(f"/citations/{cited}", "reader").json()["target_id"] == world.protected_report


# ---- a real server's log --------------------------------------------------------------------

def test_a_real_servers_log_names_routes_not_ids(store: Store, tmp_path: Path) -> None:
    ledger = open_ledger(store)
    try:
        world = build_world(ledger)
        key = ledger.issue_key("test-admin", owner="reader-1", role="reader")[0]
    finally:
        ledger.close()
    log = tmp_path / "server.log"
    with running_server(store, 1, log, log_level="info") as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            for ident in world.protected_ids():
                for path in (f"/sources/{ident}", f"/reports/{ident}", f"/citations/{ident}",
                             f"/figures/{ident}", f"/reports?source_id={ident}", f"/no/such/{ident}"):
                    assert client.get(path).status_code < 500
            assert client.get(f"/figures/{world.figure}").status_code == 200
            for _ in range(3):  # the later ones from kept answers, which skip routing
                assert client.get("/tallies/civilians_killed").status_code == 200
    text = log.read_text()
    assert re.search(r'"GET /sources/\{source_id\} HTTP/1\.1" 404', text), text  # the log is on
    assert '"GET /figures/{figure_id} HTTP/1.1" 200' in text and '"GET - HTTP/1.1" 404' in text
    assert text.count('"GET /tallies/{metric} HTTP/1.1" 200') == 3, text
    assert leaks(text, world) == [] and MARK not in text


@pytest.mark.parametrize("failure", ["database down before routing", "database down in the route", "a crash"])
def test_a_failing_request_logs_its_route_not_the_ids_in_its_path(api: Api, world: World, failure: str,
                                                                   caplog: pytest.LogCaptureFixture,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # An outage's or a crash's log line once named the request's path, and so any protected id in it.
    from eventsourcing.persistence import OperationalError

    state = api.client.app.state

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise (RuntimeError if failure == "a crash" else OperationalError)("boom")

    if failure == "database down before routing":
        monkeypatch.setattr(state.head_watch, "current", fail)
    else:
        monkeypatch.setattr(type(state.reader), "source_record", fail)
    caplog.set_level(logging.DEBUG)
    for ident in world.protected_ids():
        response = api.get(f"/sources/{ident}", "reader")
        assert response.status_code == (500 if failure == "a crash" else 503), response.text
        assert leaks(as_text(response), world) == []
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]  # the client's own
    lines = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server)
    assert "/sources/{source_id}" in lines, lines  # the line is there, naming the route
    assert leaks(lines, world) == [], lines



def test_a_page_is_named_by_its_route_where_routing_did_not_name_it(api: Api, world: World) -> None:
    # Under FastAPI 0.165 an included router is kept whole: the pages' routes (not in the OpenAPI
    # schema) were found nowhere and every page answered before routing (an outage, a kept
    # answer) was logged as `-`, like a path no route matches; so were the static files.
    from api import route_names

    app = api.client.app
    for ident in world.protected_ids():
        assert route_names.template({"path": f"/web/sources/{ident}", "app": app}) == "/web/sources/{source_id}"
        assert route_names.template({"path": f"/sources/{ident}", "app": app}) == "/sources/{source_id}"
    assert route_names.template({"path": "/web/vocabulary", "app": app}) == "/web/vocabulary"
    assert route_names.template({"path": "/web/static/chart.js", "app": app}) == "/web/static/{path}"
    assert route_names.template({"path": f"/no/such/{world.figure}", "app": app}) == "-"
