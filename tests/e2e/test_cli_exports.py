"""``ledger export`` gives the file the API's export gives a reader: the same kinds, options and bytes.

Both are made by api/exports/kinds.py, so the files are compared whole (bytes, where the API
states the same moment: ``as_of`` given, or a kind not read as of a pinned moment)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pytest

from api.cli import main


@pytest.fixture
def world(cli_world):
    return cli_world


def _cli(tmp_path, *args: str) -> bytes:
    out = tmp_path / "out"
    assert main(["export", *args, "--out", str(out)]) == 0, args
    return out.read_bytes()


def _later_correction(api, world) -> str:
    """A moment, then a correction after it: an export as of that moment must not have it."""
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 999},
                              reason="recount after the moment", expected_version=api.ledger.figure(world.figure).version)
    return at


def test_figures_by_metric_as_of_a_moment_are_the_apis_bytes(api, world, tmp_path):
    at = _later_correction(api, world)
    for fmt in ("csv", "hxl", "ndjson", "json"):
        mine = _cli(tmp_path, "figures", "--format", fmt, "--metric", "civilians_killed", "--as-of", at)
        asked = f"/figures?metric=civilians_killed&as_of={at}&format={fmt}"
        if fmt == "json":  # the API's JSON is a page; the CLI's the whole export as the NDJSON lines give it
            lines = [orjson.loads(line) for line in api.get(asked.replace("json", "ndjson"), role="reader")
                     .content.splitlines()]
            assert orjson.loads(mine) == {"about": lines[0]["about"], "items": lines[1:]}
            continue
        theirs = api.get(asked, role="reader")
        assert theirs.status_code == 200 and mine == theirs.content, fmt
    rows = list(csv.DictReader(io.StringIO(_cli(tmp_path, "figures", "--metric", "civilians_killed", "--as-of", at)
                                           .decode("utf-8-sig"))))
    assert rows and {r["metric"] for r in rows} == {"civilians_killed"}
    assert "999" not in {r["number"] for r in rows}  # the correction came after the moment
    now = list(csv.DictReader(io.StringIO(_cli(tmp_path, "figures").decode("utf-8-sig"))))
    assert "999" in {r["number"] for r in now}
    assert not [m for m in world.protected_markers() if m in str(now)]


def test_figures_of_an_incident_as_get_figures_gives_them(api, world, tmp_path):
    other = api.ledger.record_incident("officer", title="Elsewhere", places=["Hama"], valid_from="2019-05-01")
    filed = api.post("/reports", {"source_id": world.public_source, "title": "Other", "language": "en", "figures": [
        {"incident_id": other["incident_id"], "metric": "civilians_killed", "value": {"qualifier": "exact",
                                                                                    "number": 3}}]})
    assert filed.status_code == 201, filed.text
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    mine = _cli(tmp_path, "figures", "--incident", world.incident, "--as-of", at)
    theirs = api.get(f"/figures?incident_id={world.incident}&as_of={at}&format=csv", role="reader").content
    assert mine == theirs
    rows = list(csv.DictReader(io.StringIO(mine.decode("utf-8-sig"))))
    assert rows and {r["incident_id"] for r in rows} == {world.incident}
    checks = _cli(tmp_path, "checks", "--incident", other["incident_id"], "--format", "ndjson")
    assert {orjson.loads(line)["incident_id"] for line in checks.splitlines()[1:]} <= {other["incident_id"]}


def test_a_tally_history_is_the_apis_export(api, world, tmp_path):
    at = _later_correction(api, world)
    for fmt in ("csv", "hxl", "ndjson"):
        for args, query in (([], ""), (["--as-of", at], f"&as_of={at}"), (["--population", "counted"],
                                                                          "&population=counted")):
            mine = _cli(tmp_path, "tally-history", "civilians_killed", "--format", fmt, *args)
            theirs = api.get(f"/tallies/civilians_killed/history?format={fmt}{query}", role="reader")
            assert mine == theirs.content, (fmt, args)
    points = list(csv.DictReader(io.StringIO(_cli(tmp_path, "tally-history", "civilians_killed")
                                             .decode("utf-8-sig"))))
    cut = list(csv.DictReader(io.StringIO(_cli(tmp_path, "tally-history", "civilians_killed", "--as-of", at)
                                          .decode("utf-8-sig"))))
    assert cut == points[:len(cut)] and len(cut) < len(points)  # the correction's point is after the moment
    assert main(["export", "tally-history"]) == 2


def test_json_is_the_ndjson_lines_as_one_document_for_every_kind(api, world, tmp_path):
    for kind in (["sources"], ["incidents"], ["reports"], ["tally", "civilians_killed"],
                 ["tally-history", "civilians_killed"], ["history", world.figure], ["spread", world.figure],
                 ["checks"], ["checkpoints"], ["audit-log"]):
        lines = [orjson.loads(line) for line in _cli(tmp_path, *kind, "--format", "ndjson").splitlines()]
        document = orjson.loads(_cli(tmp_path, *kind, "--format", "json"))
        about = {k: v for k, v in lines[0]["about"].items() if k != "as_of"}  # each pinned when it began
        assert {k: v for k, v in document["about"].items() if k != "as_of"} == about, kind
        assert document["items"] == lines[1:], kind
        assert about["ledger_position"] == api.events() and about["tree_size"] == api.events()
        if kind != ["audit-log"]:
            assert not [m for m in world.protected_markers() if m in str(document)], kind


def test_the_audit_log_file_is_the_apis_to_an_auditor(api, world, tmp_path):
    # A correction on evidence: its row lists the citations space-separated, as the API's does
    # (the CLI once wrote the list as Python's repr, its rows made apart from the route's).
    api.ledger.correct_figure("officer-1", world.figure, value={"qualifier": "exact", "number": 41},
                              reason="on the record", evidence=[world.public_citation],
                              expected_version=api.ledger.figure(world.figure).version)
    rows = list(csv.DictReader(io.StringIO(_cli(tmp_path, "audit-log").decode("utf-8-sig"))))
    assert world.public_citation in {r["evidence"] for r in rows}
    for fmt in ("csv", "ndjson"):
        assert _cli(tmp_path, "audit-log", "--format", fmt) == api.get(f"/audit/log?format={fmt}",
                                                                        role="auditor").content


@pytest.mark.parametrize("args, says", [
    (["checkpoints", "--as-of", "2019-01-01T00:00:00Z"], "--as-of applies to"),
    (["figures", "--as-of", "2019-01-1"], "--as-of: must be a date (YYYY-MM-DD) or an ISO 8601 date and time with a zone"),
    (["figures", "--as-of", "1969-01-01T00:00:00Z"], "1970 or later"),
    (["sources", "--metric", "civilians_killed"], "--metric applies to"),
    (["figures", "--metric", "nonsense"], "METRIC of the vocabulary"),
    (["figures", "--incident", "not-an-id"], "--incident takes an INCIDENT_ID"),
    (["audit-log", "--incident", "6d2b5a3e-1c1f-4e44-9a6f-0c4f5b1e2a10"], "--incident applies to"),
    (["tally-history", "civilians_killed", "--published-by", "soon"], "published_by must be a date"),
    (["tally-history", "civilians_killed", "--published-by", "9999-12-31"], "published_by must be 9998 or earlier"),
    (["figures", "--as-of", "9999-12-31T23:59:59-12:00"], "--as-of: must be 9998 or earlier"),
    (["history", "not-a-figure"], "takes a FIGURE_ID"),
])
def test_an_option_that_cannot_apply_is_refused_naming_it(world, tmp_path, capsys, args, says):
    out = tmp_path / "never"
    assert main(["export", *args, "--out", str(out)]) == 2
    assert says in capsys.readouterr().err and not out.exists()


def test_any_figures_export_the_cli_makes_is_the_apis(api, world, tmp_path):
    """For any filters, moment and format the two take alike, the same bytes (the CLI reads as a reader)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    moments = [_later_correction(api, world), "1971-01-01T00:00:00Z"]
    moments.append(datetime.now(UTC).isoformat().replace("+00:00", "Z"))

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    @given(metric=st.sampled_from([None, "civilians_killed", "civilians_injured", "killed"]),
           incident=st.sampled_from([None, world.incident]), at=st.sampled_from(moments),
           cut=st.sampled_from([None, "2000-01-01", "2100-01-01"]), fmt=st.sampled_from(["csv", "hxl", "ndjson"]))
    def same(metric, incident, at, cut, fmt):
        args, query = ["--as-of", at, "--format", fmt], {"as_of": at, "format": fmt}
        for option, param, value in (("--metric", "metric", metric), ("--incident", "incident_id", incident),
                                     ("--published-by", "published_by", cut)):
            if value is not None:
                args += [option, value]
                query[param] = value
        theirs = api.client.get("/figures", params=query, headers=api.headers("reader"))
        assert theirs.status_code == 200 and _cli(tmp_path, "figures", *args) == theirs.content, args

    same()
