"""Exports of figures and tallies (CSV, HXL, XLSX, NDJSON), read back with real readers."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from openpyxl import load_workbook

from api.exports.cells import as_typed, safe
from api.exports.negotiate import MEDIA
from tests.e2e.conftest import assert_problem, build_world

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
    assert "#affected+killed+civilians+min" in tags and "#date+start" in tags
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


def test_xlsx_past_the_sheet_limit_continues_on_another_sheet(shared, monkeypatch):
    from api.exports import spreadsheet

    api, _ = shared
    listed = api.get("/figures?limit=500").json()["items"]
    assert len(listed) >= 2
    monkeypatch.setattr(spreadsheet, "SHEET_ROWS", 2)  # Excel's is 1,048,576: one figure a sheet here
    response = api.get("/figures?format=xlsx")
    assert response.status_code == 200
    sheets = _xlsx(response)
    data = [name for name in sheets if name != "about"]
    assert data == ["figures"] + [f"figures ({n})" for n in range(2, len(data) + 1)]
    assert len(data) == len(listed) and all(len(sheets[n]) == 2 for n in data)
    header = sheets["figures"][0]
    assert all(sheets[n][0] == header for n in data)
    ids = [row[header.index("figure_id")] for n in data for row in sheets[n][1:]]
    assert sorted(ids) == sorted(f["figure_id"] for f in listed) and len(set(ids)) == len(ids)
    assert dict(sheets["about"])["sheets"] == ", ".join(data)


def test_ndjson_lines_are_the_json_answers(shared):
    api, _ = shared
    lines = [orjson.loads(line) for line in api.get("/figures?format=ndjson").content.splitlines()]
    assert "ledger_position" in lines[0]["about"]
    # Each line is the JSON answer with the figure's incident as GET /incidents/{id} gives it.
    assert [{k: v for k, v in line.items() if k != "incident"} for line in lines[1:]] == api.get(
        "/figures?limit=500").json()["items"]
    for line in lines[1:]:
        incident = api.get(f"/incidents/{line['incident_id']}").json()
        assert {k: line["incident"][k] for k in ("title", "title_en", "valid_from", "valid_to", "places")} == {
            k: incident[k] for k in ("title", "title_en", "valid_from", "valid_to", "places")}


def test_an_unacceptable_format_is_a_406_problem(shared):
    api, _ = shared
    for path in ("/figures", "/tallies/civilians_killed"):
        assert_problem(api.get(path, Accept="image/png"), 406, says="Accept")
    assert api.get("/figures?format=pdf").status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_protected_source_reaches_auditors_only(shared, fmt):
    api, world = shared
    for path in (f"/figures?format={fmt}", f"/tallies/civilians_killed?format={fmt}&by=perpetrator",
                 f"/tallies/civilians_injured/history?format={fmt}", f"/figures/{world.figure}/history?format={fmt}",
                 f"/figures/{world.protected_figure}/history?format={fmt}", f"/checks?format={fmt}"):
        for role in ("officer", "reader"):
            body = api.get(path, role=role).content
            text = body.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(api.get(path, role=role)))
            assert not [m for m in world.protected_markers() if m in text], (role, path)
    for path in (f"/figures?format={fmt}", f"/figures/{world.figure}/history?format={fmt}"):
        seen = api.get(path, role="auditor")
        text = seen.content.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(seen))
        assert world.protected_source in text, path


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
    filed = api.post("/reports", {"source_id": world.public_source, "title": "Names", "language": "en", "figures": [
        {"incident_id": world.incident, "metric": "civilians_killed", "value": {"qualifier": "exact", "number": 24},
         "population": "identified"}]})
    assert filed.status_code == 201, filed.text
    assert main(["export", "tally", "civilians_killed", "--population", "identified", "--out", str(tmp_path / "i.csv")]) == 0
    subset = list(csv.DictReader(io.StringIO((tmp_path / "i.csv").read_text("utf-8-sig"))))
    assert [(r["population"], r["low"]) for r in subset] == [("identified", "24")]
    # Populations are data: one defined through the API is exported; one never defined is named.
    defined = api.post("/vocabulary", {"kind": "population", "code": "buried", "definition": "those buried by name",
                                       "label_en": "buried", "reason": "the council lists them"})
    assert defined.status_code == 201, defined.text
    assert main(["export", "tally", "civilians_killed", "--population", "buried",
                 "--out", str(tmp_path / "b.csv")]) == 0
    capsys.readouterr()
    assert main(["export", "tally", "civilians_killed", "--population", "everyone"]) == 2
    assert "'everyone' is not in the vocabulary" in capsys.readouterr().err


def test_cli_exports_cut_at_a_publication_date(store, api, tmp_path, monkeypatch, capsys):
    from api.cli import main
    from tests.e2e.conftest import build_world

    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    build_world(api.ledger)

    def tally(cut: str) -> list[list[str]]:
        out = tmp_path / f"t-{cut}.csv"
        assert main(["export", "tally", "civilians_killed", "--published-by", cut, "--out", str(out)]) == 0
        rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
        return [dict(zip(rows[0], r)) for r in rows[1:]]

    # The world's reports carry no publication date: they count from their filing, today.
    before, after = tally("2000-01-01"), tally("2100-01-01")
    assert before[0]["figures"] == "0" and before[0]["published_by"].startswith("2000-01-01T23:59:59")
    assert int(after[0]["figures"]) > 0
    assert main(["export", "tally", "civilians_killed", "--published-by", "soon"]) == 2
    assert "published_by must be a date" in capsys.readouterr().err
    assert main(["export", "sources", "--published-by", "2000-01-01"]) == 2


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("command", [["export", "sources"], ["export", "checkpoints"], ["mirror"],
                                     ["proof", "inclusion", "--index", "0"], ["keys", "issue", "--owner", "a",
                                                                              "--role", "reader"]])
def test_a_command_on_a_store_never_set_up_says_to_run_init(kind, command, tmp_path, monkeypatch, capsys):
    # Was "OperationalError: no such table: views_tracking" and a traceback, for a fresh file or a
    # mistyped LEDGER_DB; and nothing is created on the way (the schema is one explicit step).
    from api.cli import main
    from tests.conftest import drop_postgres_schema, postgres_url_or_skip

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'never-set-up.db'}"
    else:
        base, schema = postgres_url_or_skip(), f"t_{uuid.uuid4().hex[:16]}"
        url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    monkeypatch.setenv("LEDGER_DB", url)
    try:
        assert main(command) == 2
        assert "run `ledger init` first" in capsys.readouterr().err
        assert main(["init"]) == 0
        if command[0] == "export":
            assert main([*command, "--out", str(tmp_path / "out.csv")]) == 0
    finally:
        if kind == "postgres":
            drop_postgres_schema(base, schema)


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


def _stated(response, fmt: str) -> tuple[dict, list[dict]]:
    """What an export says about where it was made, and its rows (as dicts), read back with a real reader."""
    if fmt in ("csv", "hxl"):
        rows = _csv(response)
        header, body = rows[0], rows[2:] if fmt == "hxl" else rows[1:]
        items = [dict(zip(header, r)) for r in body]
        where = {k: {r[k] for r in items} for k in ("ledger_position", "tree_size")}
        assert all(len(v) <= 1 for v in where.values()), where  # one statement, on every row
        return {k: next(iter(v), None) for k, v in where.items()}, items
    if fmt == "xlsx":
        sheets = _xlsx(response)
        data = next(v for k, v in sheets.items() if k != "about")
        return {k: str(v) for k, v in sheets["about"]}, [dict(zip(data[0], r)) for r in data[1:]]
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    return {k: str(v) for k, v in lines[0]["about"].items()}, lines[1:]


def _correct(api, figure_id, number, reason="recount"):
    version = api.ledger.figure(figure_id).version
    return api.ledger.correct_figure("officer-1", figure_id, value={"qualifier": "exact", "number": number},
                                     reason=reason, expected_version=version)


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_a_figures_history_exports_every_version_with_position_and_tree_size(api, fmt):
    world = build_world(api.ledger)
    for n in range(3):
        _correct(api, world.figure, 120 + n, reason=f"=recount {n}")
    response = api.get(f"/figures/{world.figure}/history?format={fmt}")
    assert response.status_code == 200, response.text
    about, rows = _stated(response, fmt)
    versions = api.get(f"/figures/{world.figure}/history?limit=500").json()["versions"]
    assert [int(r["version"]) for r in rows] == [v["version"] for v in versions] and len(rows) >= 5
    assert [int(r["citations"]) for r in rows] == [len(v["citations"]) for v in versions]
    assert max(int(r["citations"]) for r in rows) >= 2  # the world's two citations of the figure
    events = [r["event"] for r in rows]
    assert events[0] == "stated" and events[-3:] == ["corrected"] * 3
    if fmt != "ndjson":
        assert [r["reason"] for r in rows][-1] == "'=recount 2"  # neutralised, as in every export
        assert str(rows[-1]["number"]) == "122"
    head = response.headers["Ledger-Position"]
    assert about["ledger_position"] == head and int(head) == api.events()
    # The tree size at that position: every event is a leaf, so it is the number of events.
    assert about["tree_size"] == response.headers["Ledger-Tree-Size"] == str(api.events())


def test_a_long_export_is_one_cut(api, monkeypatch):
    """A change recorded while the export is under way is not in it, even on pages read after it."""
    from api.exports import rows as export_rows

    world = build_world(api.ledger)
    for n in range(4):
        _correct(api, world.figure, 200 + n)
    state = api.client.app.state
    reader, read = state.reader, state.reader.figure_history
    calls = []

    def figure_history(*args, **kwargs):
        if len(calls) == 1:  # after the first page: a correction lands and the views apply it
            _correct(api, world.figure, 999)
            state.follower.catch_up()
        calls.append(kwargs)
        return read(*args, **kwargs)

    monkeypatch.setattr(export_rows, "PAGE", 2)
    monkeypatch.setattr(reader, "figure_history", figure_history)
    response = api.get(f"/figures/{world.figure}/history?format=csv")
    about, rows = _stated(response, "csv")
    assert len(calls) > 2 and {c["as_of"] for c in calls} == {calls[0]["as_of"]}  # pages read as of one moment
    assert "999" not in {r["number"] for r in rows}
    monkeypatch.undo()
    assert api.get(f"/figures/{world.figure}").json()["value"]["number"] == 999
    assert len(rows) == len(api.get(f"/figures/{world.figure}/history?limit=500").json()["versions"]) - 1


def test_a_figures_history_export_is_tagged_by_the_metric_its_history_names(api, monkeypatch):
    """The counts' hashtags come from the history's own first page, the figure not read again
    for them; as of before the figure was recorded (no rows), they are the mixed column's."""
    world = build_world(api.ledger)
    reader = api.client.app.state.reader
    read, asked = reader.figure, []

    def figure(*args, **kwargs):
        asked.append(args)
        return read(*args, **kwargs)

    monkeypatch.setattr(reader, "figure", figure)
    tags = _csv(api.get(f"/figures/{world.figure}/history?format=hxl"))[1]
    assert "#affected+killed+civilians+min" in tags and asked == []
    early = _csv(api.get(f"/figures/{world.figure}/history?format=hxl&as_of=2000-01-01T00:00:00Z"))
    assert "#indicator+num+min" in early[1] and len(early) == 2 and asked


def test_an_unknown_figures_history_is_404_and_a_bad_cursor_422_in_every_format(shared):
    api, _ = shared
    for fmt in ("csv", "xlsx", "ndjson"):
        assert_problem(api.get(f"/figures/{'0' * 8}-0000-4000-8000-{'0' * 12}/history?format={fmt}"), 404)
        assert_problem(api.get(f"/audit/log?format={fmt}&cursor=x", role="auditor"), 422, field="cursor")


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_checks_export_a_row_per_check(api, fmt):
    world = build_world(api.ledger)
    api.ledger.file_report("o", source_id=world.protected_source, title="parts", language="en", figures=[
        {"incident_id": world.incident, "metric": "civilians_killed", "breakdown": {"victim_group": group},
         "value": {"qualifier": "exact", "number": n, "quote": f"zqx7741 {group}"}}
        for group, n in (("children", 30), ("women", 20))])
    checks = api.get("/checks").json()
    response = api.get(f"/checks?format={fmt}")
    about, rows = _stated(response, fmt)
    assert checks and len(rows) == len(checks)
    key = "total_figure_id" if fmt != "ndjson" else None
    got = [r[key] if key else r["total"]["figure_id"] for r in rows]
    assert got == [c["total"]["figure_id"] for c in checks]
    assert [r["status"] for r in rows] == [c["status"] for c in checks]
    assert about["ledger_position"] == response.headers["Ledger-Position"]
    if fmt == "hxl":
        assert all(HXL_TAG.match(t) for t in _csv(response)[1])
    for role in ("reader", "officer"):
        body = api.get(f"/checks?format={fmt}", role=role)
        text = body.content.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(body))
        assert not [m for m in world.protected_markers() if m in text], role


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_the_audit_log_exports_to_auditors_up_to_a_checkpoint(api, fmt):
    world = build_world(api.ledger)
    trail = api.client.app.state.audit
    checkpoint = trail.make_checkpoint()
    for role in ("reader", "officer"):
        assert api.get(f"/audit/log?format={fmt}", role=role).status_code == 403
    response = api.get(f"/audit/log?format={fmt}", role="auditor")
    assert response.status_code == 200, response.text
    about, rows = _stated(response, fmt)
    # Nothing recorded since the checkpoint: the export is exactly the tree it signed.
    assert about["tree_size"] == response.headers["Ledger-Tree-Size"] == str(checkpoint.size)
    assert [int(r["position"]) for r in rows] == list(range(checkpoint.size))
    assert int(about["ledger_position"]) == int(rows[-1]["notification_id"])
    logged = api.get(f"/audit/log?figure_id={world.figure}&format={fmt}", role="auditor")
    _, mine = _stated(logged, fmt)
    assert mine and {r["figure_id"] for r in mine} == {world.figure}


def test_the_audit_log_export_stops_at_the_tree_it_began_with(api, monkeypatch):
    from api.exports import rows as export_rows

    world = build_world(api.ledger)
    trail = api.client.app.state.audit
    trail.catch_up()
    size = trail.size()
    log = trail.log
    calls = []

    def later(**kwargs):
        if calls:  # events recorded (and put in the tree) while the export is read
            _correct(api, world.figure, 300 + len(calls))
            trail.catch_up()
        calls.append(kwargs)
        return log(**kwargs)

    monkeypatch.setattr(export_rows, "PAGE", 5)
    monkeypatch.setattr(trail, "log", later)
    about, rows = _stated(api.get("/audit/log?format=ndjson", role="auditor"), "ndjson")
    assert len(calls) > 2 and trail.size() > size
    assert about["tree_size"] == str(size) and [r["position"] for r in rows] == list(range(size))


def test_cli_exports_history_checks_and_the_audit_log(store, api, tmp_path, monkeypatch, capsys):
    from api.cli import main

    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    world = build_world(api.ledger)
    out = tmp_path / "history.xlsx"
    assert main(["export", "history", world.figure, "--format", "xlsx", "--out", str(out)]) == 0
    book = load_workbook(out, read_only=True)
    sheets = {n: list(book[n].iter_rows(values_only=True)) for n in book.sheetnames}
    assert len(sheets["history"] if "history" in sheets else next(iter(sheets.values()))) - 1 == len(
        api.get(f"/figures/{world.figure}/history").json()["versions"])
    assert not [m for m in world.protected_markers() if m in str(sheets)]
    about = dict(sheets["about"])
    assert about["ledger_position"] == api.events() and about["tree_size"] == api.events()
    assert "tree size" in capsys.readouterr().err
    assert main(["export", "checks", "--format", "csv", "--out", str(tmp_path / "c.csv")]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "c.csv").read_text("utf-8-sig"))))
    assert len(rows) - 1 == len(api.get("/checks").json())
    assert main(["export", "audit-log", "--format", "ndjson", "--out", str(tmp_path / "a.ndjson")]) == 0
    lines = (tmp_path / "a.ndjson").read_bytes().splitlines()
    assert len(lines) - 1 == api.events() == orjson.loads(lines[0])["about"]["tree_size"]
    assert main(["export", "history"]) == 2 and main(["export", "tally", "nonsense"]) == 2


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_sources_and_incidents_export_every_one_a_reader_may_see(api, fmt):
    world = build_world(api.ledger)
    for route, key in (("/sources", "source_id"), ("/incidents", "incident_id")):
        for role in ("reader", "officer", "auditor"):
            listed = api.get(f"{route}?limit=500", role=role).json()["items"]
            response = api.get(f"{route}?format={fmt}&limit=1", role=role)  # limit: the size of the pages read
            assert response.status_code == 200, response.text
            about, rows = _stated(response, fmt)
            assert [str(r[key]) for r in rows] == [i[key] for i in listed], (route, role)
            assert about["ledger_position"] == response.headers["Ledger-Position"]
            if fmt == "hxl":
                assert all(HXL_TAG.match(t) for t in _csv(response)[1])
            text = response.content.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(response))
            if role != "auditor":
                assert not [m for m in world.protected_markers() if m in text], (route, role)
            elif route == "/sources":
                assert world.protected_source in text
    as_csv = {r["source_id"]: r for r in _stated(api.get("/sources?format=csv", role="auditor"), "csv")[1]}
    assert as_csv[world.protected_source]["protected"] == "1" and as_csv[world.public_source]["protected"] == "0"
    incidents = _stated(api.get("/incidents?format=csv"), "csv")[1]
    by_id = {i["incident_id"]: i for i in api.get("/incidents?limit=500").json()["items"]}
    assert all(r["places"] == "; ".join(by_id[r["incident_id"]]["places"]) for r in incidents)
    assert _stated(api.get("/incidents?format=csv&as_of=1971-01-01T00:00:00Z"), "csv")[1] == []
    assert_problem(api.get("/sources?format=csv&cursor=x"), 422, field="cursor")


def test_a_spread_exports_a_row_per_source_with_the_protected_one_withheld(api):
    world = build_world(api.ledger)
    for role in ("reader", "auditor"):
        claims = api.get(f"/figures/{world.figure}/spread", role=role).json()["claims"]
        _, rows = _stated(api.get(f"/figures/{world.figure}/spread?format=csv", role=role), "csv")
        assert len(claims) >= 2 and [r["low"] for r in rows] == [str(c["low"]) for c in claims]
        text = api.get(f"/figures/{world.figure}/spread?format=csv", role=role).text
        if role == "reader":
            assert "protected" in {r["source"] for r in rows}
            assert not [m for m in world.protected_markers() if m in text]
        else:
            assert world.protected_source in {r["source_id"] for r in rows}
    assert api.get("/figures/00000000-0000-0000-0000-000000000000/spread?format=csv").status_code == 404


def test_cli_exports_sources_incidents_and_a_spread_as_a_reader_sees_them(store, api, tmp_path, monkeypatch):
    from api.cli import main

    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    world = build_world(api.ledger)
    for what, route, key in (("sources", "/sources", "source_id"), ("incidents", "/incidents", "incident_id")):
        out = tmp_path / f"{what}.csv"
        assert main(["export", what, "--out", str(out)]) == 0
        rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
        assert [r[key] for r in rows] == [i[key] for i in api.get(f"{route}?limit=500").json()["items"]]
        assert not [m for m in world.protected_markers() if m in out.read_text("utf-8-sig")]
    out = tmp_path / "spread.csv"
    assert main(["export", "spread", world.figure, "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert len(rows) == len(api.get(f"/figures/{world.figure}/spread").json()["claims"])
    assert not [m for m in world.protected_markers() if m in out.read_text("utf-8-sig")]
    assert main(["export", "spread"]) == 2


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_reports_and_citations_export_what_each_role_may_see(api, fmt):
    world = build_world(api.ledger)
    for role in ("reader", "officer", "auditor"):
        for path, key in (("/reports", "report_id"), (f"/reports?source_id={world.public_source}", "report_id"),
                          (f"/reports/{world.public_report}/citations", "citation_id"),
                          (f"/figures/{world.figure}/citations", "citation_id")):
            json_path = path if "citations" in path else f"{path}{'&' if '?' in path else '?'}limit=500"
            listed = api.get(json_path, role=role).json()
            listed = listed["items"] if isinstance(listed, dict) else listed
            response = api.get(f"{path}{'&' if '?' in path else '?'}format={fmt}", role=role)
            assert response.status_code == 200, response.text
            about, rows = _stated(response, fmt)
            if rows or fmt in ("xlsx", "ndjson"):  # CSV states the position on each row, so on none of none
                assert about["ledger_position"] == response.headers["Ledger-Position"]
            assert [str(r.get(key) or "") for r in rows] == [str(i.get(key) or "") for i in listed], (path, role)
            if fmt == "hxl":
                assert all(HXL_TAG.match(t) for t in _csv(response)[1])
            text = response.content.decode("utf-8", "replace") if fmt != "xlsx" else str(_xlsx(response))
            if role != "auditor":
                assert not [m for m in world.protected_markers() if m in text], (path, role)
        auditor_reports = _stated(api.get(f"/reports?format={fmt}", role="auditor"), fmt)[1]
        assert world.protected_report in {str(r["report_id"]) for r in auditor_reports}
    reader_citations = _stated(api.get(f"/figures/{world.figure}/citations?format={fmt}", role="reader"), fmt)[1]
    assert any(r["source"] == "protected" for r in reader_citations)
    only = _stated(api.get(f"/reports?source_id={world.public_source}&format={fmt}"), fmt)[1]
    assert only and all(str(r["source_id"] if fmt != "ndjson" else r["source"]["source_id"]) == world.public_source
                        for r in only)


def test_report_and_citation_exports_refuse_what_they_cannot_give(api):
    world = build_world(api.ledger)
    for path in ("/reports", f"/reports/{world.public_report}/citations", f"/figures/{world.figure}/citations"):
        assert_problem(api.get(path, Accept="image/png"), 406, says="Accept")
        assert api.get(f"{path}?format=pdf").status_code == 422
    assert api.get(f"/reports/{world.protected_report}/citations?format=csv", role="reader").status_code == 404
    assert_problem(api.get("/reports?format=csv&cursor=x"), 422, field="cursor")


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_the_checkpoints_export_a_row_per_signed_tree(api, fmt):
    trail = api.client.app.state.audit
    assert _stated(api.get(f"/audit/checkpoints?format={fmt}"), fmt)[1] == []
    build_world(api.ledger)
    first = trail.make_checkpoint()
    api.ledger.register_source("seed-officer", name="Another", kind="witness", language="en")
    second = trail.make_checkpoint()
    listed = api.get("/audit/checkpoints").json()["items"]
    assert [c["size"] for c in listed] == [first.size, second.size]
    response = api.get(f"/audit/checkpoints?format={fmt}")  # no key: hashes only
    assert response.status_code == 200, response.text
    about, rows = _stated(response, fmt)
    # A root is base64: one in 64 starts with "+", which a spreadsheet cell holds as text ('+...).
    assert [(int(r["size"]), as_typed(r["root"]), r["note"]) for r in rows] == [(c["size"], c["root"], c["note"])
                                                                               for c in listed]
    assert about["tree_size"] == response.headers["Ledger-Tree-Size"] == str(second.size)
    if fmt == "hxl":
        assert all(HXL_TAG.match(t) for t in _csv(response)[1])
    assert_problem(api.get("/audit/checkpoints", Accept="image/png"), 406, says="Accept")


def test_cli_exports_reports_and_checkpoints_as_the_api_gives_them(store, api, tmp_path, monkeypatch):
    from api.cli import main

    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    world = build_world(api.ledger)
    api.client.app.state.audit.make_checkpoint()
    for args, route in ((["reports"], "/reports"), (["reports", world.public_source],
                                                     f"/reports?source_id={world.public_source}"),
                        (["checkpoints"], "/audit/checkpoints")):
        out = tmp_path / "out.csv"
        assert main(["export", *args, "--out", str(out)]) == 0
        text = out.read_text("utf-8-sig")
        rows = [{k: v for k, v in r.items() if k not in ("ledger_position", "tree_size")}
                for r in csv.DictReader(io.StringIO(text))]
        wanted = [{k: v for k, v in r.items() if k not in ("ledger_position", "tree_size")}
                  for r in _stated(api.get(f"{route}{'&' if '?' in route else '?'}format=csv"), "csv")[1]]
        assert rows and rows == wanted, args
        assert not [m for m in world.protected_markers() if m in text]
    assert main(["export", "reports", "not-a-source"]) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ndjson"])
def test_a_reports_figures_export_as_they_stand_and_hide_a_protected_report(api, fmt):
    world = build_world(api.ledger)
    stated_ids = api.get(f"/reports/{world.public_report}").json()["figure_ids"]
    figures = api.get(f"/reports/{world.public_report}/figures")
    assert figures.status_code == 200 and [f["figure_id"] for f in figures.json()] == stated_ids
    _, rows = _stated(api.get(f"/reports/{world.public_report}/figures?format={fmt}"), fmt)
    if fmt == "ndjson":  # the JSON answers, each with its incident
        assert [{k: v for k, v in r.items() if k != "incident"} for r in rows] == figures.json()
        assert {r["incident"]["title"] for r in rows} == {"Escalation in Idlib and Hama"}
    else:
        assert [str(r["figure_id"]) for r in rows] == stated_ids
        assert [str(r["number"] or "") for r in rows] == [str(f["value"].get("number") or "") for f in figures.json()]
    for role in ("reader", "officer"):
        assert api.get(f"/reports/{world.protected_report}/figures?format={fmt}", role=role).status_code == 404
    assert api.get(f"/reports/{world.protected_report}/figures?format={fmt}", role="auditor").status_code == 200
    assert_problem(api.get(f"/reports/{world.public_report}/figures", Accept="image/png"), 406, says="Accept")


def _hxl_errors(body: bytes) -> list[tuple[str, str, str]]:
    """What libhxl (the HXL standard's own library) finds wrong with an HXL file by the core
    schema's rules (every ``#date`` a date, every ``#affected`` a number): errors only (its
    warnings are of spelling and whitespace in the source's words, which are kept as said)."""
    import hxl
    import hxl.input

    found: list[tuple[str, str, str]] = []
    source = hxl.data(hxl.input.make_input(io.BytesIO(body), hxl.input.InputOptions(allow_local=True)))
    schema = hxl.schema(callback=lambda e: found.append((e.rule.severity, str(e.message), str(e.value))))
    schema.validate(source)
    return [f for f in found if f[0] == "error"]


def _hxl_columns(body: bytes) -> list[str]:
    import hxl
    import hxl.input

    source = hxl.data(hxl.input.make_input(io.BytesIO(body), hxl.input.InputOptions(allow_local=True)))
    return [c.get_display_tag(sort_attributes=True) for c in source.columns]


def test_every_hxl_export_passes_the_core_schema_and_tags_counts_by_the_dictionary(shared):
    api, world = shared
    paths = ["/figures", "/figures?metric=civilians_killed", "/figures?metric=civilians_killed&population=identified",
             "/tallies/civilians_killed?by=perpetrator", "/tallies/civilians_injured/history", "/checks",
             f"/figures/{world.figure}/history", f"/figures/{world.figure}/spread", "/incidents", "/sources",
             "/reports", f"/reports/{world.public_report}/figures", f"/figures/{world.figure}/citations"]
    for path in paths:
        body = api.get(path + ("&" if "?" in path else "?") + "format=hxl", role="auditor").content
        assert _hxl_errors(body) == [], path
        assert all(HXL_TAG.match(t.replace(" ", "")) for t in _hxl_columns(body)), path
    mixed = _hxl_columns(api.get("/figures?format=hxl").content)
    # A column mixing metrics is the generic numeric indicator; the metric is #indicator+name, row by row.
    assert {"#indicator+num", "#indicator+min+num", "#indicator+max+num", "#indicator+name"} <= set(mixed)
    one = _hxl_columns(api.get("/figures?format=hxl&metric=civilians_killed").content)
    assert {"#affected+civilians+killed", "#affected+civilians+killed+min", "#affected+civilians+killed+max"} <= set(one)
    subset = _hxl_columns(api.get("/figures?format=hxl&metric=killed&population=identified").content)
    assert "#affected+identified+killed+min" in subset
    history = _hxl_columns(api.get(f"/figures/{world.figure}/history?format=hxl").content)
    assert "#affected+civilians+killed+min" in history
    assert "#affected+civilians+killed+min" in _hxl_columns(api.get(f"/figures/{world.figure}/spread?format=hxl").content)
    assert "#affected+civilians+killed+min" in _hxl_columns(api.get("/checks?format=hxl&metric=civilians_killed").content)
    assert "#affected+displaced+min" in _hxl_columns(api.get("/tallies/displaced?format=hxl").content)
    assert "#indicator+airstrikes+min+num" in _hxl_columns(api.get("/tallies/airstrikes?format=hxl").content)


def test_a_former_hxl_file_still_imports_by_its_tags():
    """Files exported before the dictionary's tags (``#affected+num``, ``#event+id``) read as before."""
    from api.imports.columns import Mapping, count_column

    mapping = Mapping()
    assert [mapping.name(None, t) for t in ("#affected+num", "#affected +min", "#affected+max", "#event+id",
                                             "#date+published")] == ["number", "low", "high", "incident_id",
                                                                     "published_on"]
    assert [count_column(t) for t in ("#affected+killed", "#affected+killed+identified+min", "#indicator+num+max",
                                      "#indicator+name", "#affected+min+parts", "#loc+name")] == [
        "number", "low", "high", None, None, None]
    assert [mapping.name(None, t) for t in ("#event+code", "#date+reported", "#date+start", "#loc+name")] == [
        "incident_id", "published_on", "valid_from", "places"]


@pytest.mark.parametrize("fmt", ["csv", "hxl", "xlsx", "ndjson"])
def test_figures_give_their_incidents_valid_time_and_places_under_the_cut(api, world, fmt):
    ledger = api.ledger
    ledger.define_term("seed-officer", kind="value", dimension="place", code="Idlib", definition="a governorate",
                       label_en="Idlib", p_code="SY07", coordinates=[35.93, 36.63], reason="in the incident")
    before = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    time.sleep(0.01)
    ledger.revise_incident_period("seed-officer", world.incident, valid_from="2019-04-30", valid_to="2019-05-31",
                                  reason="the escalation began with the strikes of the 30th")

    def rows(query: str) -> list[dict]:
        response = api.get(f"/figures?format={fmt}{query}")
        assert response.status_code == 200, response.text
        if fmt == "ndjson":
            return [orjson.loads(line) for line in response.content.splitlines()[1:]]
        if fmt == "xlsx":
            sheet = _xlsx(response)["figures"]
            return [dict(zip(sheet[0], (None if c is None else str(c) for c in r))) for r in sheet[1:]]
        table = _csv(response)
        body = table[2:] if fmt == "hxl" else table[1:]
        return [dict(zip(table[0], (c or None for c in r))) for r in body]

    if fmt == "ndjson":  # each JSON answer with its incident, the lists as lists and codes by place
        now = next(r for r in rows("") if r["figure_id"] == world.figure)["incident"]
        assert (now["valid_from"], now["valid_to"], now["places"], now["place_codes"], now["coordinates"]) == (
            "2019-04-30", "2019-05-31", ["Idlib", "Hama"], {"Idlib": "SY07"}, {"Idlib": [35.93, 36.63]})
        then = next(r for r in rows(f"&as_of={before}") if r["figure_id"] == world.figure)["incident"]
        assert (then["valid_from"], then["valid_to"]) == ("2019-04-26", None)
        assert rows("&published_by=2000-01-01") == []
        return
    now = next(r for r in rows("") if r["figure_id"] == world.figure)
    assert (now["incident"], now["valid_from"], now["valid_to"]) == ("Escalation in Idlib and Hama", "2019-04-30",
                                                                     "2019-05-31")
    assert (now["places"], now["place_codes"], now["coordinates"]) == ("Idlib; Hama", "SY07; ", "35.93,36.63; ")
    then = next(r for r in rows(f"&as_of={before}") if r["figure_id"] == world.figure)
    assert (then["valid_from"], then["valid_to"]) == ("2019-04-26", None)  # the period as recorded then
    assert rows("&published_by=2000-01-01") == []  # the cut: no source had published anything by then
    if fmt == "hxl":
        body = api.get("/figures?format=hxl").content
        assert {"#date+start", "#date+end", "#loc+name", "#loc+code", "#geo+coord", "#event+name"} <= set(
            _hxl_columns(body)) and _hxl_errors(body) == []


def test_python_m_api_serve_on_a_store_never_set_up_says_to_run_init(tmp_path, monkeypatch, capsys):
    """As ``ledger serve`` does: without the schema (the web's sessions' table among it) every sign-in
    would be a 503 "cannot be reached", the server up and never able to answer."""
    from api.serve import main

    monkeypatch.setenv("LEDGER_DB", f"sqlite:///{tmp_path / 'never-set-up.db'}")
    assert main(["--port", "1"]) == 2
    assert "run `ledger init` first" in capsys.readouterr().err
