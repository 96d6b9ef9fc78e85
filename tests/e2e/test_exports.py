"""Exports of figures and tallies (CSV, HXL, XLSX, NDJSON), read back with real readers."""

from __future__ import annotations

import csv
import io
import re

import orjson
import pytest
from openpyxl import load_workbook

from api.exports.cells import safe
from api.exports.negotiate import MEDIA
from tests.e2e.conftest import assert_problem

XLSX = MEDIA["xlsx"]
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_figures_as_csv_with_its_position(shared):
    api, world = shared
    response = api.get("/figures?format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    listed = api.get("/figures?limit=500").json()["items"]
    assert sorted(r[header.index("figure_id")] for r in body) == sorted(f["figure_id"] for f in listed)
    position = response.headers["Ledger-Position"]
    assert int(position) > 0 and {r[header.index("ledger_position")] for r in body} == {position}


def test_accept_header_picks_the_format_and_the_cache_keeps_them_apart(shared):
    api, _ = shared
    path = "/tallies/civilians_killed?by=perpetrator"
    as_json = api.get(path)
    as_csv = api.get(path, Accept="text/csv")
    again = api.get(path)
    assert as_json.headers["content-type"] == "application/json" and again.content == as_json.content
    assert as_csv.headers["content-type"].startswith("text/csv")
    header, total = _csv(as_csv)[:2]
    assert total[header.index("value")] == "total"
    assert int(total[header.index("low")]) == as_json.json()["sum"]["low"]
    assert api.get(path, Accept="application/x-ndjson").headers["content-type"] == "application/x-ndjson"


def test_hxl_row_follows_the_rules(shared):
    api, _ = shared
    rows = _csv(api.get("/tallies/civilians_killed?format=hxl"))
    assert rows[0][0] == "metric"
    tags = rows[1]
    assert all(HXL_TAG.match(tag) for tag in tags), tags
    assert "#affected+civilians_killed+min" in tags and "#date+start" in tags
    rows = _csv(api.get("/figures?format=hxl"))
    assert all(HXL_TAG.match(tag) for tag in rows[1]) and "#meta+source" in rows[1]


def test_xlsx_has_rows_and_an_about_sheet(shared):
    api, _ = shared
    response = api.get("/figures", Accept=XLSX)
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    sheets = _xlsx(response)
    assert list(sheets) == ["figures", "about"]
    about = dict(sheets["about"])
    assert str(about["ledger_position"]) == response.headers["Ledger-Position"]
    assert len(sheets["figures"]) - 1 == len(api.get("/figures?limit=500").json()["items"])


def test_ndjson_lines_are_the_json_answers(shared):
    api, _ = shared
    lines = [orjson.loads(line) for line in api.get("/figures?format=ndjson").content.splitlines()]
    assert "ledger_position" in lines[0]["about"]
    assert lines[1:] == api.get("/figures?limit=500").json()["items"]


def test_an_unacceptable_format_is_a_406_problem(shared):
    api, _ = shared
    for path in ("/figures", "/tallies/civilians_killed"):
        assert_problem(api.get(path, Accept="image/png"), 406, says="Accept")
    assert api.get("/figures?format=pdf").status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_protected_source_reaches_auditors_only(shared, fmt):
    api, world = shared
    for path in (f"/figures?format={fmt}", f"/tallies/civilians_killed?format={fmt}&by=perpetrator",
                 f"/tallies/civilians_injured/history?format={fmt}"):
        for role in ("officer", "reader"):
            body = api.get(path, role=role).content
            text = body.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(api.get(path, role=role)))
            assert not [m for m in world.protected_markers() if m in text], (role, path)
    seen = api.get(f"/figures?format={fmt}", role="auditor")
    text = seen.content.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(seen))
    assert world.protected_source in text


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell):
    assert safe(cell) == "'" + cell
    assert safe("plain") == "plain" and safe(-3) == -3


def test_formula_in_a_quote_is_neutralised_in_every_sheet(api):
    ledger = api.ledger
    source = ledger.register_source("o", name="=HYPERLINK(\"x\")", kind="witness", language="en")["source_id"]
    incident = ledger.record_incident("o", title="t", places=["P"], valid_from="2019-04-26")["incident_id"]
    ledger.file_report("o", source_id=source, title="r", language="en", figures=[
        {"incident_id": incident, "metric": "civilians_killed", "breakdown": {},
         "value": {"qualifier": "exact", "number": 3, "quote": "=cmd|'/c calc'!A1"}}])
    for fmt in ("csv", "hxl"):
        rows = _csv(api.get(f"/figures?format={fmt}"))
        cells = [c for row in rows for c in row]
        assert "'=cmd|'/c calc'!A1" in cells and not [c for c in cells if c.startswith("=")]
    cells = [c for row in _xlsx(api.get("/figures?format=xlsx"))["figures"] for c in row]
    assert "'=cmd|'/c calc'!A1" in cells and not [c for c in cells if isinstance(c, str) and c.startswith("=")]


def test_filters_and_as_of_apply(shared):
    api, _ = shared
    rows = _csv(api.get("/figures?format=csv&metric=civilians_injured"))
    header = rows[0]
    assert rows[1:] and {r[header.index("metric")] for r in rows[1:]} == {"civilians_injured"}
    assert len(_csv(api.get("/figures?format=csv&as_of=1971-01-01T00:00:00Z"))) == 1


def test_cli_exports_what_a_reader_sees(store, api, tmp_path, monkeypatch, capsys):
    from api.cli import main
    from tests.e2e.conftest import build_world

    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    world = build_world(api.ledger)
    out = tmp_path / "figures.xlsx"
    assert main(["export", "figures", "--format", "xlsx", "--out", str(out)]) == 0
    book = load_workbook(out, read_only=True)
    text = str([list(book[n].iter_rows(values_only=True)) for n in book.sheetnames])
    assert world.figure in text and not [m for m in world.protected_markers() if m in text]
    assert "ledger export:" in capsys.readouterr().err
    assert main(["export", "tally", "civilians_killed", "--format", "hxl", "--out", str(tmp_path / "t.csv")]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text("utf-8-sig"))))
    assert rows[1][0] == "#indicator+name" and rows[2][rows[0].index("value")] == "total"


def test_a_bad_cursor_is_refused_before_streaming(shared):
    api, _ = shared
    for fmt in ("csv", "ndjson", "xlsx"):
        assert_problem(api.get(f"/figures?format={fmt}&cursor=" + "0" * 60), 422)


def test_tally_history_as_csv_has_a_row_per_point(shared):
    api, _ = shared
    path = "/tallies/civilians_killed/history"
    points = api.get(path).json()["points"]
    rows = _csv(api.get(path, Accept="text/csv"))
    assert points and len(rows) - 1 == len(points)
    assert [int(r[rows[0].index("low")]) for r in rows[1:]] == [p["low"] for p in points]
    assert all(HXL_TAG.match(t) for t in _csv(api.get(path + "?format=hxl"))[1])
