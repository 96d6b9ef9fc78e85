"""The audit routes over HTTP: who may read the log and the mirror, and proofs that check out
with nothing but the exported public key."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import orjson
import pytest

from ledger.audit.checkpoint import verify_checkpoint
from ledger.audit.hasher import hash_leaf
from ledger.audit.keys import parse_verifier_key
from ledger.audit.leaf import LeafRecord
from ledger.audit.proof_check import ProofError, verify_consistency, verify_inclusion
from projections.audit import AuditTrail, verify_mirror
from tests.e2e.conftest import Api, World, assert_problem


@pytest.fixture
def audit(api: Api, world: World, store, tmp_path, monkeypatch) -> Iterator[AuditTrail]:
    """The app's own audit trail (api.app wires it), with one checkpoint signed."""
    trail = api.client.app.state.audit
    trail.make_checkpoint()
    yield trail


def b(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


@pytest.mark.parametrize("path", ["/audit/log", "/audit/mirror", "/audit/leaves/0"])
def test_only_auditors_read_the_log_and_the_mirror(api: Api, audit, path):
    assert_problem(api.get(path, role="reader"), 403, says="auditor")
    assert_problem(api.get(path, role="officer"), 403)
    assert_problem(api.get(path, role=None), 401)
    assert_problem(api.get(path, role="revoked"), 401)
    response = api.get(path, role="auditor")
    assert response.status_code == 200, response.text


def test_the_audit_log_over_http(api: Api, audit, world: World):
    response = api.get(f"/audit/log?figure_id={world.figure}&limit=2", role="auditor")
    page = response.json()
    assert [i["figure_id"] for i in page["items"]] == [world.figure] * 2 and page["next_cursor"]
    rest = api.get(f"/audit/log?figure_id={world.figure}&cursor={page['next_cursor']}", role="auditor").json()
    kinds = [i["kind"] for i in page["items"] + rest["items"]]
    assert kinds[0] == "Figure.Stated" and "Citation.Cited" in kinds
    by_officer = api.get("/audit/log?actor=seed-officer&limit=500", role="auditor").json()["items"]
    assert by_officer and all(i["actor"] == "seed-officer" for i in by_officer)
    # Commands sent through the API are in the log at once, under the key's owner.
    graded = api.post(f"/figures/{world.figure}/grades", {"grade": "confirmed", "reason": "two sources agree"},
                      If_Match=f'"{api.ledger.figure(world.figure).version}"')
    assert graded.status_code == 200, graded.text
    last = api.get(f"/audit/log?figure_id={world.figure}&limit=500", role="auditor").json()["items"][-1]
    assert (last["kind"], last["actor"], last["reason"]) == ("Figure.Regraded", "officer-1", "two sources agree")
    assert_problem(api.get("/audit/log?since=2019-05-01T10:00:00", role="auditor"), 422, field="since")
    assert_problem(api.get("/audit/log?cursor=abc", role="auditor"), 422, field="cursor")
    assert_problem(api.get("/audit/log?limit=0", role="auditor"), 422)


def test_the_audit_log_newest_first_and_by_kind(api: Api, audit, world: World):
    """The latest first reads the same events backwards, a page at a time; a kind filters to it."""
    oldest = api.get("/audit/log?limit=500", role="auditor").json()["items"]
    first = api.get("/audit/log?order=newest&limit=3", role="auditor").json()
    second = api.get(f"/audit/log?order=newest&limit=3&cursor={first['next_cursor']}", role="auditor").json()
    newest = [i["position"] for i in first["items"] + second["items"]]
    assert newest == [i["position"] for i in oldest][::-1][:6]
    kinds = api.get("/audit/kinds", role="auditor").json()
    assert kinds == sorted({i["kind"] for i in oldest}) and "Citation.Cited" in kinds
    cited = api.get("/audit/log?kind=Citation.Cited&order=newest&limit=500", role="auditor").json()["items"]
    assert [i["position"] for i in cited] == [i["position"] for i in oldest if i["kind"] == "Citation.Cited"][::-1]
    assert api.get("/audit/log?kind=Nothing.Happened", role="auditor").json()["items"] == []
    assert_problem(api.get("/audit/log?order=latest", role="auditor"), 422, field="order")
    assert_problem(api.get("/audit/log?kind=drop%20table", role="auditor"), 422, field="kind")
    assert_problem(api.get("/audit/kinds", role="reader"), 403)
    # The download keeps the order and the kind, and says so.
    csv = api.get("/audit/log?kind=Citation.Cited&order=newest&format=csv", role="auditor")
    assert csv.status_code == 200, csv.text
    lines = csv.text.splitlines()
    positions = [int(line.split(",")[0]) for line in lines[1:] if line[:1].isdigit()]
    assert positions == [i["position"] for i in cited if i["position"] < audit.size()] and positions


def test_a_bare_date_bounds_the_log_by_the_whole_day(api: Api, audit):
    """``since`` a date is from the day's start, ``until`` a date to its end: today's events are all
    of one day, so since=today&until=today is every one of them (and the same as the times written out)."""
    everything = api.get("/audit/log?limit=500", role="auditor").json()["items"]
    today = everything[-1]["recorded_at"][:10]  # the day of the last event (a run may cross midnight)
    that_day = [e for e in everything if e["recorded_at"].startswith(today)]
    day = api.get(f"/audit/log?since={today}&until={today}&limit=500", role="auditor").json()
    written = api.get(f"/audit/log?since={today}T00:00:00Z&until={today}T23:59:59.999999Z&limit=500",
                      role="auditor").json()
    assert day == written and day["items"] == that_day != []
    assert api.get(f"/audit/log?since={today}T23:59:59.999999Z&limit=500", role="auditor").json()["items"] == []
    assert_problem(api.get("/audit/log?until=2019-13-01", role="auditor"), 422, field="until")


def test_checkpoints_and_proofs_verify_with_the_exported_key_and_need_no_access_key(api: Api, audit, world: World):
    exported = api.get("/audit/public-key", role=None).json()
    verifier = parse_verifier_key(exported["verifier_key"])
    latest = api.get("/audit/checkpoints/latest", role=None).json()
    old = verify_checkpoint(latest["note"], verifier)
    assert old.size == latest["size"] and base64.b64encode(old.root_hash).decode() == latest["root"]
    assert api.get(f"/audit/checkpoints/{old.size}", role=None).json() == latest

    for index in (0, 1, old.size // 2, old.size - 1):
        proof = api.get(f"/audit/proofs/inclusion?index={index}&size={old.size}", role=None).json()
        verify_inclusion(b([proof["leaf_hash"]])[0], index, old.size, b(proof["proof"]), old.root_hash)
        assert proof["checkpoint"] == latest["note"]

    # The log grows; the new checkpoint provably extends the old one.
    api.post("/incidents", {"title": "Shelling of Kafr Nabl", "places": ["Kafr Nabl"], "valid_from": "2019-05-02"})
    audit.make_checkpoint()
    new = verify_checkpoint(api.get("/audit/checkpoints/latest", role=None).json()["note"], verifier)
    assert new.size == old.size + 1
    proof = api.get(f"/audit/proofs/consistency?first={old.size}&second={new.size}", role=None).json()
    verify_consistency(old.size, new.size, b(proof["proof"]), old.root_hash, new.root_hash)
    with pytest.raises(ProofError):
        verify_consistency(old.size, new.size, b(proof["proof"]), new.root_hash, old.root_hash)

    # The leaf of the new event is the hash of what the auditor can see in the mirror.
    inclusion = api.get(f"/audit/proofs/inclusion?index={new.size - 1}&size={new.size}", role=None).json()
    lines = api.get(f"/audit/mirror?from={new.size - 1}", role="auditor").content.splitlines()
    record = LeafRecord.from_json(orjson.loads(lines[0]))
    assert record.leaf_hash() == hash_leaf(record.leaf_bytes()) == b([inclusion["leaf_hash"]])[0]
    verify_inclusion(record.leaf_hash(), new.size - 1, new.size, b(inclusion["proof"]), new.root_hash)


def test_the_mirror_streams_ndjson_that_verifies_offline(api: Api, audit):
    response = api.get("/audit/mirror", role="auditor")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.content.splitlines(keepends=True)
    key = api.get("/audit/public-key", role=None).json()["verifier_key"]
    note = api.get("/audit/checkpoints/latest", role=None).json()["note"]
    report = verify_mirror(lines, key, note)
    assert report.size == len(lines) - 1 == api.events()
    tail = api.get(f"/audit/mirror?from={report.size}", role="auditor").content.splitlines()
    assert len(tail) == 1 and "checkpoint" in orjson.loads(tail[0])


def test_an_event_as_stored_comes_with_its_proof_against_the_latest_checkpoint(api: Api, audit):
    """The leaf answer alone is enough: its fields give its leaf bytes, their hash and the path lead to
    the signed checkpoint's root; the bytes are those the mirror gives for the same position."""
    verifier = parse_verifier_key(api.get("/audit/public-key", role=None).json()["verifier_key"])
    size = audit.size()
    for index in sorted({0, 1, size // 2, size - 1}):
        answer = api.get(f"/audit/leaves/{index}", role="auditor")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        signed = verify_checkpoint(body["checkpoint"], verifier)
        record = LeafRecord.from_json(body["record"])
        assert (record.position, body["index"], body["size"]) == (index, index, signed.size)
        assert record.leaf_bytes() == base64.b64decode(body["leaf_bytes"])
        assert record.leaf_hash() == base64.b64decode(body["leaf_hash"])
        verify_inclusion(record.leaf_hash(), index, signed.size, b(body["proof"]), signed.root_hash)
        mirrored = api.get(f"/audit/mirror?from={index}", role="auditor").content.splitlines()[0]
        assert orjson.loads(mirrored) == body["record"]
    # An event not yet under a checkpoint, or beyond the log: 404, named; a bad index: 422.
    api.post("/incidents", {"title": "Shelling of Kafr Nabl", "places": ["Kafr Nabl"], "valid_from": "2019-05-02"})
    audit.catch_up()
    assert_problem(api.get(f"/audit/leaves/{size}", role="auditor"), 404, says="latest checkpoint")
    assert_problem(api.get("/audit/leaves/99999", role="auditor"), 404)
    assert_problem(api.get("/audit/leaves/-1", role="auditor"), 422)
    assert_problem(api.get("/audit/leaves/x", role="auditor"), 422)


def test_audit_errors_are_problem_details(api: Api, audit):
    size = audit.size()
    assert_problem(api.get(f"/audit/proofs/inclusion?index=0&size={size + 10}", role=None), 422, field="size")
    assert_problem(api.get(f"/audit/proofs/inclusion?index={size}&size={size}", role=None), 422, field="index")
    assert_problem(api.get(f"/audit/proofs/consistency?first={size}&second=1", role=None), 422, field="first")
    assert_problem(api.get("/audit/proofs/inclusion?index=x&size=1", role=None), 422)
    assert_problem(api.get("/audit/checkpoints/3", role=None), 404)
    assert_problem(api.get(f"/audit/mirror?from={size + 1}", role="auditor"), 422, field="from")


AUDIT_OPERATIONS = [("GET", "/audit/log"), ("GET", "/audit/kinds"), ("GET", "/audit/mirror"), ("GET", "/audit/leaves/{index}"), ("GET", "/audit/checkpoints/latest"),
                    ("GET", "/audit/checkpoints/{size}"), ("GET", "/audit/proofs/inclusion"),
                    ("GET", "/audit/proofs/consistency"), ("GET", "/audit/public-key")]


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize("role", ["auditor", "reader"])
def test_the_audit_routes_keep_their_schema(api: Api, audit, role):
    """As tests/e2e/test_schema.py does for the other routers: no 5xx, every answer as documented."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        content_type_conformance,
        ignored_auth,
        negative_data_rejection,
        not_a_server_error,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
        unsupported_method,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance, negative_data_rejection, ignored_auth, unsupported_method]
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    size = audit.size()
    for method, path in AUDIT_OPERATIONS:
        operation = schema[path][method]
        strategy = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))
        if path == "/audit/checkpoints/{size}":
            strategy = st.one_of(strategy, operation.as_strategy(path_parameters={"size": size}))
        if path == "/audit/proofs/inclusion":
            strategy = st.one_of(strategy, operation.as_strategy(query={"index": size // 2, "size": size}))

        @given(case=strategy)
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case) -> None:
            case.call_and_validate(headers=api.headers(role), checks=checks)

        check()


def test_checkpoints_are_listed_a_page_at_a_time(api: Api, audit, world: World):
    """Like every other list: cursor, limit, next_cursor, 422 for a cursor it did not give out."""
    signed = [audit.latest_checkpoint().size]
    for n in range(4):
        api.ledger.register_source("seed-officer", name=f"Paged {n}", kind="witness", language="en")
        signed.append(audit.make_checkpoint().size)
    walked, cursor, pages = [], None, 0
    while True:
        page = api.get("/audit/checkpoints?limit=2" + (f"&cursor={cursor}" if cursor else ""), role=None).json()
        assert len(page["items"]) <= 2
        walked += [c["size"] for c in page["items"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
    assert walked == signed and pages == 3
    whole = api.get("/audit/checkpoints", role=None).json()
    assert [c["size"] for c in whole["items"]] == signed and whole["next_cursor"] is None
    others = api.get("/audit/log?limit=1", role="auditor").json()["next_cursor"]
    sources = api.get("/sources?limit=1", role="reader").json()["next_cursor"]
    for bad in ("abc", others, sources, "W10"):
        assert_problem(api.get(f"/audit/checkpoints?cursor={bad}", role=None), 422, field="cursor")
    for bad in ("0", "501", "x"):
        assert_problem(api.get(f"/audit/checkpoints?limit={bad}", role=None), 422, field="limit")
