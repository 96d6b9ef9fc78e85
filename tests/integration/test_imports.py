"""Imports against a real store: good and bad files, --partial, a second import, a resumed one, HXL, XLSX."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import orjson
import pytest
from openpyxl import Workbook

from api import imports
from api.cli import main
from api.imports.columns import Mapping
from api.imports.record import ALREADY, RECORDED
from ledger.figure import Figure, figure_id
from ledger.report import Report
from tests.conftest import make_store


def log_size(ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


@pytest.fixture
def sqlite_store(tmp_path: Path):
    yield from make_store("sqlite", tmp_path)


@pytest.fixture
def sqlite_ledger(sqlite_store):
    from api.bootstrap import open_ledger

    app = open_ledger(sqlite_store)
    yield app
    app.close()


def world(ledger) -> dict[str, str]:
    return {
        "snhr": ledger.register_source("alice", name="SNHR", kind="monitoring_network", language="ar")["source_id"],
        "ocha": ledger.register_source("alice", name="OCHA", kind="official_body", language="en")["source_id"],
        "idlib": ledger.record_incident("alice", title="Idlib", valid_from="2019-04-26")["incident_id"],
        "hama": ledger.record_incident("alice", title="Hama", valid_from="2019-05-01")["incident_id"],
    }


HEADER = ["source_id", "report_title", "language", "published_on", "incident_id", "metric", "breakdown",
          "qualifier", "number", "low", "high", "term", "quote", "citation_url"]


def csv_bytes(rows: list[list[object]], header: list[str] = HEADER, tags: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    if tags:
        writer.writerow(tags)
    writer.writerows(rows)
    return out.getvalue().encode()


def good_rows(w: dict[str, str]) -> list[list[object]]:
    return [
        [w["snhr"], "May toll", "ar", "2019-06-01", w["idlib"], "civilians_killed", "total", "at_least", 108, "", "",
         "", "قتل 108 مدنيين على الأقل", "https://snhr.org/may"],
        [w["snhr"], "May toll", "ar", "2019-06-01", w["idlib"], "civilians_killed", "victim_group=children", "range", "",
         40, 50, "", "", ""],
        [w["snhr"], "May toll", "ar", "2019-06-01", w["hama"], "civilians_injured", "total", "vague", "", "", "",
         "hundreds", "مئات", ""],
        [w["ocha"], "Flash update 3", "en", "2019-06-02", w["idlib"], "civilians_killed", "total", "approximate",
         100, "", "", "about", "about 100", ""],
    ]


def test_a_good_file_files_one_report_per_source_title_and_date(sqlite_ledger):
    w = world(sqlite_ledger)
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(good_rows(w)))
    assert plan.problems == [] and outcome is not None
    assert outcome.reports == 2 and outcome.citations == 1
    assert outcome.rows == {2: RECORDED, 3: RECORDED, 4: RECORDED, 5: RECORDED}
    total = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {}))
    assert total.current["qualifier"] == "at_least" and total.current["number"] == 108
    assert total.current["quote"] == "قتل 108 مدنيين على الأقل"
    assert set(total.claims) == {w["snhr"], w["ocha"]}  # the second statement is a claim, not adopted
    children = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {"victim_group": "children"}))
    assert (children.current["low"], children.current["high"]) == (40, 50)
    report = sqlite_ledger.load(Report, total.claims[w["snhr"]]["report_id"])
    assert (report.title, report.language, report.published_on, len(report.figure_ids)) == \
        ("May toll", "ar", "2019-06-01", 3)


def bad_rows(w: dict[str, str]) -> list[list[object]]:
    rows = good_rows(w)
    rows[1][9:11] = [50, 40]                          # row 3: a range whose low exceeds its high
    rows[2][4] = "0b0b0b0b-0000-4000-8000-000000000000"  # row 4: an incident the ledger does not know
    rows[3][5] = "civilians_vanished"                 # row 5: not a metric
    rows.append(list(good_rows(w)[0]))                # row 6: the figure of row 2 stated again
    rows[4][13] = "not a url"                         # ... with a citation that is not a URL
    return rows


def test_a_bad_file_names_every_problem_by_row_and_column_and_records_nothing(sqlite_ledger):
    w = world(sqlite_ledger)
    before = log_size(sqlite_ledger)
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(bad_rows(w)))
    assert outcome is None and log_size(sqlite_ledger) == before
    found = [(p.row, p.column) for p in plan.problems]
    assert found == [(3, "low"), (4, "incident_id"), (5, "metric"), (6, "citation_url")]
    by_row = {p.row: p.message for p in plan.problems}
    assert by_row[3] == "range low 50 exceeds high 40"  # the words POST /reports answers with
    assert by_row[4] == "no incident with this id"
    assert by_row[5].startswith("metric 'civilians_vanished' is not in the vocabulary; an officer defines it with")
    assert by_row[6].startswith("String should match pattern")


def test_a_figure_stated_twice_in_one_report_is_named_at_its_second_row(sqlite_ledger):
    w = world(sqlite_ledger)
    rows = good_rows(w)[:2] + [good_rows(w)[0][:13] + [""]]
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(rows))
    assert [(p.row, p.column) for p in plan.problems] == [(4, "breakdown")]
    assert "states each figure once" in plan.problems[0].message and outcome is None


def test_a_bad_report_refuses_all_its_rows_and_an_unknown_column_is_named(sqlite_ledger):
    w = world(sqlite_ledger)
    rows = [r + ["x"] for r in good_rows(w)]
    for r in rows[:3]:
        r[2] = "not a language!"
    plan, _ = imports.run(sqlite_ledger, "bob", csv_bytes(rows, HEADER + ["comments"]))
    assert [(p.row, p.column) for p in plan.problems] == [(1, "comments"), (2, "language")]
    assert plan.with_report == {3: 2, 4: 2}


def test_partial_files_the_good_rows_and_lists_the_rest(sqlite_ledger):
    w = world(sqlite_ledger)
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(bad_rows(w)), partial=True)
    assert outcome is not None and {p.row for p in plan.problems} == {3, 4, 5, 6}
    assert outcome.rows == {2: RECORDED}
    figure = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {}))
    assert set(figure.claims) == {w["snhr"]}
    with pytest.raises(Exception):
        sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {"victim_group": "children"}))


def test_a_second_import_records_nothing(sqlite_ledger):
    w = world(sqlite_ledger)
    data = csv_bytes(good_rows(w))
    imports.run(sqlite_ledger, "bob", data)
    before = log_size(sqlite_ledger)
    plan, outcome = imports.run(sqlite_ledger, "bob", data)
    assert log_size(sqlite_ledger) == before
    assert outcome is not None and set(outcome.rows.values()) == {ALREADY} and outcome.reports == 0


@pytest.fixture
def reader(store, ledger):
    from api.bootstrap import open_read_side

    read, follower = open_read_side(store, ledger)
    yield read, follower
    read.close()
    follower.close()


def test_the_same_file_imported_by_another_officer_records_nothing_and_names_the_reports_filed(ledger, reader):
    """An import's receipts are the ledger's: the rows a first officer (here the command line's)
    filed are, for a second one, already recorded in the same reports, of which the first stays the actor."""
    read, follower = reader
    w = world(ledger)
    data = csv_bytes(good_rows(w))
    first = imports.run(ledger, "cli:clerk", data)[1]
    assert first is not None and first.reports == 2 and first.citations == 1
    follower.catch_up()
    before = log_size(ledger)
    second = imports.run(ledger, "bob", data, reader=read)[1]
    assert log_size(ledger) == before
    assert second is not None and (second.reports, second.already, second.citations) == (0, 2, 0)
    assert set(second.rows.values()) == {ALREADY} and len(set(second.report_ids.values())) == 2
    assert {ledger._get(Report, r).filed_by for r in second.report_ids.values()} == {"cli:clerk"}


def test_a_protected_sources_report_is_named_to_auditors_only(ledger, reader):
    """Rows already in a protected source's report: "already recorded" for an officer, as for a report
    the views do not hold yet, with the report's id for an auditor; a public source's report is named."""
    read, follower = reader
    w = world(ledger)
    cell = ledger.register_source("alice", name="Witness cell", kind="witness", language="ar",
                                  protected=True)["source_id"]
    rows = good_rows(w)
    data = csv_bytes([[cell, *rows[0][1:]], rows[3]])
    imports.run(ledger, "cli:clerk", data)
    officer = imports.run(ledger, "bob", data, reader=read)[1]  # the views behind: nothing is named
    assert officer is not None and set(officer.rows.values()) == {ALREADY} and officer.report_ids == {}
    follower.catch_up()
    officer = imports.run(ledger, "bob", data, reader=read)[1]
    auditor = imports.run(ledger, "bob", data, reader=read, include_protected=True)[1]
    assert officer is not None and auditor is not None and set(auditor.report_ids) == {2, 3}
    assert officer.report_ids == {3: auditor.report_ids[3]}
    assert ledger._get(Report, auditor.report_ids[2]).source_id == cell
    assert imports.run(ledger, "bob", data)[1].report_ids == {}  # no reader: no one's reports named


def test_an_api_callers_request_key_stays_its_own(sqlite_ledger):
    """Only an import's keys are the ledger's: two callers who pick the same Idempotency-Key both record."""
    w = world(sqlite_ledger)
    fields = {"source_id": w["snhr"], "title": "May toll", "language": "ar",
              "figures": [{"incident_id": w["idlib"], "metric": "civilians_killed",
                           "value": {"qualifier": "exact", "number": 3}}]}
    one = sqlite_ledger.file_report("alice", request_key="k1", **fields)
    other = sqlite_ledger.file_report("bob", request_key="k1", **fields)
    assert one["report_id"] != other["report_id"]
    assert sqlite_ledger.file_report("alice", request_key="k1", **fields) == one


def test_an_interrupted_import_resumes_where_it_stopped(sqlite_ledger, monkeypatch):
    w = world(sqlite_ledger)
    rows = [[w["snhr"], f"Report {i}", "en", "", w["idlib"] if i % 2 else w["hama"], "civilians_killed",
             f"victim_group=group-{i}", "exact", i, "", "", "", "", f"https://example.org/{i}"] for i in range(10)]
    data = csv_bytes(rows)
    real, calls = sqlite_ledger.cite, [0]

    def cut_off(*args, **kwargs):  # the process dies after the 4th report's figure, before its citation
        calls[0] += 1
        if calls[0] == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite_ledger, "cite", cut_off)
    with pytest.raises(KeyboardInterrupt):
        imports.run(sqlite_ledger, "bob", data)
    monkeypatch.setattr(sqlite_ledger, "cite", real)
    plan, outcome = imports.run(sqlite_ledger, "bob", data)
    assert outcome is not None and outcome.reports == 6 and outcome.already == 4 and outcome.citations == 7
    again = imports.run(sqlite_ledger, "bob", data)[1]
    assert again is not None and again.reports == again.citations == 0
    for i in range(10):
        figure = sqlite_ledger.figure(figure_id(w["idlib"] if i % 2 else w["hama"], "civilians_killed",
                                                {"victim_group": f"group-{i}"}))
        assert figure.version == 1  # stated once, never claimed twice


def test_hxl_columns_are_read_by_their_hashtags_whatever_the_headers_say(sqlite_ledger):
    w = world(sqlite_ledger)
    header = ["Source", "Title", "Lang", "Incident", "Indicator", "Qualifier", "Killed", "Words"]
    tags = ["#meta+id+source", "#meta+title+report", "#meta+lang+report", "#event+id", "#indicator+name",
            "#meta+qualifier", "#affected+num", "#description+quote"]
    rows = [[w["snhr"], "T", "ar", w["idlib"], "civilians_killed", "exact", 7, "'=7 killed"]]
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(rows, header, tags))
    assert plan.problems == [] and outcome is not None and outcome.reports == 1
    figure = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {}))
    assert figure.current["number"] == 7 and figure.current["quote"] == "=7 killed"  # the export's quote undone


def test_xlsx_rows_with_numbers_and_dates_as_a_spreadsheet_types_them(sqlite_ledger):
    import datetime

    w = world(sqlite_ledger)
    book = Workbook()
    sheet = book.active
    sheet.append(["source_id", "report_title", "language", "published_on", "incident_id", "metric", "qualifier",
                  "number"])
    sheet.append([w["ocha"], "Update", "en", datetime.datetime(2019, 6, 2), w["hama"], "civilians_killed",
                  "at_most", 12.0])
    sheet.append([w["ocha"], "Update", "en", datetime.datetime(2019, 6, 2), w["hama"], "civilians_injured",
                  "exact", "twelve"])
    buffer = io.BytesIO()
    book.save(buffer)
    plan, outcome = imports.run(sqlite_ledger, "bob", buffer.getvalue(), partial=True)
    assert [(p.row, p.column) for p in plan.problems] == [(3, "number")]
    assert outcome is not None and outcome.rows == {2: RECORDED}
    report = sqlite_ledger.load(
        Report, sqlite_ledger.figure(figure_id(w["hama"], "civilians_killed", {})).claims[w["ocha"]]["report_id"])
    assert report.published_on == "2019-06-02"


def _continued_book(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook as an export past the sheet limit writes it: sheets of rows, then "about" naming them."""
    book = Workbook(write_only=True)
    for name, lines in sheets.items():
        sheet = book.create_sheet(name)
        for line in lines:
            sheet.append(line)
    book.create_sheet("about").append(["sheets", ", ".join(sheets)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_rows_continued_on_further_sheets_are_read_on_and_a_sheet_of_another_header_is_refused(
        sqlite_ledger, sqlite_store, tmp_path, monkeypatch, capsys):
    w = world(sqlite_ledger)
    rows = good_rows(w)
    data = _continued_book({"figures": [HEADER, *rows[:2]], "figures (2)": [HEADER, rows[2], ["x"] * 3 + rows[3][3:]],
                            "figures (3)": [HEADER, rows[3]]})
    plan, _ = imports.run(sqlite_ledger, "bob", data, check_only=True)
    # Numbered on, as one table: the later sheets' headers are not rows.
    assert plan.rows == 5 and {p.row for p in plan.problems} == {5}, plan.problems
    ok = _continued_book({"figures": [HEADER, *rows[:2]], "figures (2)": [HEADER, *rows[2:]]})
    plan, outcome = imports.run(sqlite_ledger, "bob", ok)
    assert plan.problems == [] and outcome is not None and set(outcome.rows) == {2, 3, 4, 5}
    assert outcome.reports == 2

    other = _continued_book({"figures": [HEADER, rows[0]], "figures (2)": [HEADER[::-1], rows[1][::-1]]})
    (tmp_path / "rows.xlsx").write_bytes(other)
    monkeypatch.setenv("LEDGER_DB", sqlite_store.url)
    before = log_size(sqlite_ledger)
    assert main(["import", str(tmp_path / "rows.xlsx")]) == 2
    assert "sheet 'figures (2)' does not open with the header of sheet 'figures'" in capsys.readouterr().err
    assert log_size(sqlite_ledger) == before
    with pytest.raises(ValueError, match="names a sheet 'figures \\(2\\)' the workbook does not have"):
        book = Workbook()
        book.active.title = "figures"
        book.active.append(HEADER)
        book.create_sheet("about").append(["sheets", "figures, figures (2)"])
        buffer = io.BytesIO()
        book.save(buffer)
        imports.run(sqlite_ledger, "bob", buffer.getvalue())


def test_a_mapping_file_names_the_columns_of_any_spreadsheet(sqlite_ledger, sqlite_store, tmp_path, monkeypatch,
                                                            capsys):
    w = world(sqlite_ledger)
    (tmp_path / "map.json").write_bytes(orjson.dumps({
        "columns": {"المصدر": "source_id", "العنوان": "report_title", "الحادثة": "incident_id", "القتلى": "number",
                    "ملاحظات": ""},
        "set": {"language": "ar", "metric": "civilians_killed", "qualifier": "exact"}}))
    (tmp_path / "rows.csv").write_bytes(csv_bytes([[w["snhr"], "تقرير", w["idlib"], 9, "لا شيء"]],
                                                  ["المصدر", "العنوان", "الحادثة", "القتلى", "ملاحظات"]))
    monkeypatch.setenv("LEDGER_DB", sqlite_store.url)
    assert main(["import", str(tmp_path / "rows.csv"), "--mapping", str(tmp_path / "map.json")]) == 0
    assert sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {})).current["number"] == 9
    assert main(["import", str(tmp_path / "rows.csv"), "--mapping", str(tmp_path / "map.json")]) == 0
    assert "0 filed in 0 reports" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_bytes(csv_bytes([[w["snhr"], "تقرير", w["idlib"], -1, ""]],
                                                 ["المصدر", "العنوان", "الحادثة", "القتلى", "ملاحظات"]))
    assert main(["import", str(tmp_path / "bad.csv"), "--mapping", str(tmp_path / "map.json")]) == 1
    assert "row 2, column القتلى: Input should be greater than or equal to 0" in capsys.readouterr().out


def test_a_mapping_naming_no_import_column_is_refused():
    with pytest.raises(ValueError, match="not an import column"):
        Mapping({"Killed": "killed"})


def test_an_import_on_each_store(ledger):
    w = world(ledger)
    data = csv_bytes(good_rows(w))
    assert imports.run(ledger, "bob", data)[1].reports == 2
    before = log_size(ledger)
    assert imports.run(ledger, "bob", data)[1].already == 2 and log_size(ledger) == before
    figure = ledger.figure(figure_id(w["hama"], "civilians_injured", {}))
    assert isinstance(figure, Figure) and figure.current["term"] == "hundreds"


def test_the_command_line_exports_claims_that_it_imports_back(sqlite_ledger, sqlite_store, tmp_path, monkeypatch,
                                                              capsys):
    import sqlite3

    from ledger.store import Store

    w = world(sqlite_ledger)
    copy = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    with sqlite3.connect(sqlite_store.sqlite_path) as src, sqlite3.connect(copy.sqlite_path) as dst:
        src.backup(dst)  # the sources and incidents, no report yet
    imports.run(sqlite_ledger, "bob", csv_bytes(good_rows(w)))
    monkeypatch.setenv("LEDGER_DB", sqlite_store.url)
    assert main(["export", "claims", "--format", "hxl", "--out", str(tmp_path / "claims.csv")]) == 0
    monkeypatch.setenv("LEDGER_DB", copy.url)
    assert main(["import", str(tmp_path / "claims.csv")]) == 0
    assert "4 filed in 2 reports (1 citations)" in capsys.readouterr().err
    from api.bootstrap import open_ledger

    other = open_ledger(copy)
    try:
        fid = figure_id(w["idlib"], "civilians_killed", {})
        assert other.figure(fid).claims.keys() == sqlite_ledger.figure(fid).claims.keys()
        assert other.figure(fid).current == sqlite_ledger.figure(fid).current
    finally:
        other.close()


def test_a_file_that_cannot_be_read_is_refused_with_a_reason(sqlite_ledger):
    for data, says in [(b"\xff\xfe rows", "neither XLSX nor UTF-8"), (b"PK\x03\x04 not a zip", "not a workbook"),
                       (b"source_id\n" + b"x" * 200_000 + b"\n", "row 2 cannot be read as CSV")]:
        with pytest.raises(ValueError, match=says):
            imports.run(sqlite_ledger, "bob", data)


@pytest.mark.parametrize("text, says", [('{"columns": ["metric"]}', "tables of name"),
                                        ('{"rename": {}}', "holds"), ("{", "cannot be read")])
def test_a_mapping_file_that_says_nothing_usable_is_refused(tmp_path, text, says):
    (tmp_path / "map.json").write_text(text)
    with pytest.raises(ValueError, match=says):
        Mapping.read(tmp_path / "map.json")


def test_a_population_column_states_the_subset_beside_the_total(sqlite_ledger):
    w = world(sqlite_ledger)
    header = [*HEADER, "population"]
    row = [w["snhr"], "May toll", "ar", "2019-06-01", w["idlib"], "civilians_killed", "total", "exact"]
    rows = [[*row, 300, "", "", "", "", "", ""], [*row, 200, "", "", "", "", "", "identified"],
            [*row[:6], "victim_group=children", "exact", 80, "", "", "", "", "", "identified"]]
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(rows, header))
    assert plan.problems == [] and outcome is not None and outcome.reports == 1
    assert sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {})).current["number"] == 300
    identified = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {}, "identified"))
    assert (identified.population, identified.current["number"]) == ("identified", 200)
    children = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {"victim_group": "children"},
                                              "identified"))
    assert children.current["number"] == 80
    # A population not known: refused at its row and column, nothing recorded.
    before = log_size(sqlite_ledger)
    bad = [[*row, 1, "", "", "", "", "", "everyone"]]
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(bad, header))
    assert outcome is None and [(p.row, p.column) for p in plan.problems] == [(2, "population")]
    assert log_size(sqlite_ledger) == before


def test_the_same_file_imported_by_two_processes_at_once_is_filed_once(store, tmp_path):
    # Two `ledger import` processes (two officers at once, a retried job), on one store.
    import os
    import subprocess
    import sys

    from api.bootstrap import open_ledger

    ledger = open_ledger(store)
    try:
        w = world(ledger)
        rows = [[w["snhr"], f"Report {n}", "ar", "2019-06-01", w["idlib"], "civilians_killed", f"victim_group=g{n}",
                 "exact", n, "", "", "", "", f"https://snhr.org/{n}"] for n in range(1, 13)]
        path = tmp_path / "rows.csv"
        path.write_bytes(csv_bytes(rows))
        before = log_size(ledger)
        env = {**os.environ, "LEDGER_DB": store.url, **({"CIPHER_KEY": store.cipher_key} if store.cipher_key else {})}
        # Two officers: an import's receipts are the ledger's, so it is the same as one officer twice.
        runs = [subprocess.Popen([sys.executable, "-m", "api.cli", "import", str(path), "--by", officer], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for officer in ("amal", "basel")]
        outs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outs
        events = [n for n in ledger.recorder.select_notifications(start=None, limit=10_000) if n.id > before]
        filed = [n for n in events if n.topic.endswith("Report.Filed")]
        cited = [n for n in events if n.topic.endswith("Citation.Cited")]
        assert (len(filed), len(cited)) == (12, 12), outs
        # Each says what it filed: together exactly what the log holds, however they overlapped.
        said = [re.search(rb"(\d+) filed in (\d+) reports \((\d+) citations\), (\d+) already", out).groups()
                for _, out in outs]
        assert [sum(int(s[i]) for s in said) for i in (1, 2)] == [12, 12], outs
        assert all(int(rows) + int(already) == 12 for rows, _, _, already in said), outs
    finally:
        ledger.close()


@pytest.mark.parametrize("officer_b", ["importer", "another officer"])
def test_each_of_two_overlapping_imports_reports_what_it_filed_and_what_it_found_filed(store, officer_b):
    """The worst overlap, made exact: process A checks its receipts (none yet), then B files the
    whole file, then A files. The log holds each report once, and each process's report is true:
    B filed 12, A filed none and found 12 already filed (it said "12 filed" too, before)."""
    from api.bootstrap import open_ledger

    a, b = open_ledger(store), open_ledger(store)  # two processes: each its own cache
    try:
        w = world(a)
        rows = [[w["snhr"], f"Report {n}", "ar", "2019-06-01", w["idlib"], "civilians_killed", f"victim_group=g{n}",
                 "exact", n, "", "", "", "", f"https://snhr.org/{n}"] for n in range(1, 13)]
        data = csv_bytes(rows)
        before = log_size(a)
        outcomes = {}
        seen_first = a.answered

        def a_checks_then_b_runs(actor, key):
            earlier = seen_first(actor, key)  # A's check, before B committed anything
            if "b" not in outcomes:
                outcomes["b"] = imports.run(b, officer_b, data)[1]
            return earlier

        a.answered = a_checks_then_b_runs
        outcomes["a"] = imports.run(a, "importer", data)[1]
        events = [n for n in a.recorder.select_notifications(start=None, limit=10_000) if n.id > before]
        assert [sum(n.topic.endswith(t) for n in events) for t in ("Report.Filed", "Citation.Cited")] == [12, 12]
        assert (outcomes["b"].reports, outcomes["b"].already, outcomes["b"].citations) == (12, 0, 12)
        assert (outcomes["a"].reports, outcomes["a"].already, outcomes["a"].citations) == (0, 12, 0)
        assert set(outcomes["a"].rows.values()) == {ALREADY} and set(outcomes["b"].rows.values()) == {RECORDED}
    finally:
        a.close()
        b.close()


NEW = ["source_id", "source", "source_kind", "report_title", "language", "incident_id", "incident", "valid_from",
       "places", "metric", "breakdown", "qualifier", "number", "correction_reason"]


def test_records_named_by_ids_this_ledger_has_not_are_checked_first_then_created_once(sqlite_ledger):
    """A file from another ledger: its sources and incidents are created from the rows' columns,
    each checked with every other row before anything is recorded; a correction row follows its reports."""
    src, inc = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    good = [[src, "الشبكة السورية", "monitoring_network", "T", "ar", inc, "معرة النعمان", "2019-07-22",
             "إدلب; معرة النعمان", "killed", "total", "exact", 30, ""],
            [src, "الشبكة السورية", "monitoring_network", "T", "ar", inc, "معرة النعمان", "2019-07-22",
             "إدلب; معرة النعمان", "killed", "victim_group=children", "at_least", 8, ""],
            ["", "", "", "", "", inc, "", "", "", "killed", "total", "exact", 31, "a recount"]]
    no_kind = [[*r[:2], "", *r[3:]] for r in good[:2]]  # the source cannot be registered
    disagreeing = [good[0], [*good[1][:7], "2019-07-23", *good[1][8:]]]  # the incident said otherwise in row 3
    before = log_size(sqlite_ledger)
    for bad, at in ((no_kind, (2, "source_kind")), (disagreeing, (3, "incident"))):
        plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(bad, NEW), name="x.csv")
        assert outcome is None and log_size(sqlite_ledger) == before
        assert at in {(p.row, p.column) for p in plan.problems}, plan.problems

    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(good, NEW), name="x.csv")
    assert plan.problems == [] and outcome is not None and outcome.problems == []
    assert (outcome.created, outcome.reports, outcome.corrections) == (2, 1, 1)
    (created_incident,) = [e for e in sqlite_ledger.recorder.select_notifications(0, 1000)
                           if e.topic.endswith("Incident.Recorded")]
    incident_id = str(created_incident.originator_id)
    total = sqlite_ledger.figure(figure_id(incident_id, "killed", {}))
    assert total.current["number"] == 31 and len(total.claims) == 1
    (source_id,) = total.claims
    assert sqlite_ledger.source(source_id).name == "الشبكة السورية"
    again, second = imports.run(sqlite_ledger, "bob", csv_bytes(good, NEW), name="x.csv")
    assert again.problems == [] and second is not None
    assert (second.created, second.reports, second.corrections) == (0, 0, 0)


def test_numbers_in_arabic_indic_digits_are_read_as_a_form_reads_them(sqlite_ledger):
    """An Arabic spreadsheet's ١٠٨ and a Persian one's ۴۰ are counts, as the web forms take them;
    a mix of digit sets is text, refused as a count and named."""
    w = world(sqlite_ledger)
    rows = good_rows(w)[:2]
    rows[0][8], rows[1][9], rows[1][10] = "١٠٨", "۴۰", "50"
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(rows))
    assert plan.problems == [] and outcome is not None
    assert sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {})).current["number"] == 108
    children = sqlite_ledger.figure(figure_id(w["idlib"], "civilians_killed", {"victim_group": "children"}))
    assert (children.current["low"], children.current["high"]) == (40, 50)
    mixed = good_rows(w)[:1]
    mixed[0][1], mixed[0][8] = "Mixed digits", "1٠8"
    before = log_size(sqlite_ledger)
    plan, outcome = imports.run(sqlite_ledger, "bob", csv_bytes(mixed))
    assert [p.column for p in plan.problems] == ["number"] and log_size(sqlite_ledger) == before
