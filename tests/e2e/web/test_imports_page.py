"""The officers' upload page: the file checked and filed as `ledger import` does, the per-row report shown."""

from __future__ import annotations

import re

from ledger.report import Report
from tests.e2e.conftest import count_events
from tests.e2e.web.test_pages import HTML, sign_in
from tests.integration.test_imports import csv_bytes


def rows(world, bad: bool = False) -> bytes:
    header = ["source_id", "report_title", "language", "incident_id", "metric", "qualifier", "number", "low", "high"]
    good = [world.public_source, "Upload", "en", world.incident, "civilians_detained", "exact", 3, "", ""]
    second = [world.public_source, "Upload", "en", world.incident, "civilians_injured", "range", "", 9, 2]
    return csv_bytes([good, second] if bad else [good], header)


def upload(api, csrf: str, data: bytes, **fields: str):
    return api.client.post("/web/imports", data={"csrf": csrf, **fields}, files={"file": ("rows.csv", data)},
                           headers=HTML)


def test_an_upload_is_filed_once_and_reported_by_row(api, world):
    csrf = sign_in(api, "officer")
    assert 'action="/web/imports"' in api.client.get("/web/imports", headers=HTML).text
    answer = upload(api, csrf, rows(world))
    assert answer.status_code == 200, answer.text
    assert re.search(r"<td>2</td><td>recorded</td>", answer.text)
    before = count_events(api.ledger)
    again = upload(api, csrf, rows(world))
    assert re.search(r"<td>2</td><td>already recorded</td>", again.text) and count_events(api.ledger) == before


def test_a_file_imported_on_the_command_line_then_uploaded_by_an_officer_records_nothing(api, world, store,
                                                                                         tmp_path, monkeypatch):
    """The upload finds the rows `ledger import` filed (as another actor): already recorded, in that report."""
    from api.cli import main

    path = tmp_path / "rows.csv"
    path.write_bytes(rows(world))
    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    before = api.ledger.recorder.max_notification_id() or 0
    assert main(["import", str(path), "--by", "cli:clerk"]) == 0
    (filed,) = [n for n in api.ledger.recorder.select_notifications(start=None, limit=1_000_000)
                if n.id > before and n.topic.endswith("Report.Filed")]
    events = count_events(api.ledger)
    csrf = sign_in(api, "officer")
    answer = upload(api, csrf, rows(world))
    assert answer.status_code == 200, answer.text
    assert re.search(rf"<td>2</td><td>already recorded</td><td dir=\"auto\"></td><td dir=\"auto\">in report"
                     rf" {filed.originator_id}</td>", answer.text), answer.text
    assert count_events(api.ledger) == events


def test_a_row_already_in_a_protected_sources_report_does_not_name_that_report(api, world):
    """The officer is told the row is already recorded, in the words said of any report it may not see."""
    from api import imports

    header = ["source_id", "report_title", "language", "incident_id", "metric", "qualifier", "number"]
    data = csv_bytes([[world.protected_source, "Upload", "ar", world.incident, "civilians_detained", "exact", 3],
                      [world.public_source, "Upload", "en", world.incident, "civilians_detained", "exact", 4]], header)
    before = api.ledger.recorder.max_notification_id() or 0
    imports.run(api.ledger, "cli:clerk", data)
    filed = {api.ledger._get(Report, n.originator_id).source_id: str(n.originator_id)
             for n in api.ledger.recorder.select_notifications(start=None, limit=1_000_000)
             if n.id > before and n.topic.endswith("Report.Filed")}
    csrf = sign_in(api, "officer")
    answer = upload(api, csrf, data)
    assert answer.status_code == 200, answer.text
    assert re.search(r'<td>2</td><td>already recorded</td><td dir="auto"></td><td dir="auto"></td>', answer.text)
    assert re.search(rf'<td>3</td><td>already recorded</td><td dir="auto"></td><td dir="auto">in report'
                     rf' {filed[world.public_source]}</td>', answer.text), answer.text
    assert filed[world.protected_source] not in answer.text and world.protected_source not in answer.text


def test_a_bad_row_is_named_with_the_apis_words_and_nothing_is_recorded(api, world):
    csrf = sign_in(api, "officer")
    before = count_events(api.ledger)
    answer = upload(api, csrf, rows(world, bad=True))
    assert answer.status_code == 422
    assert re.search(r"<td>3</td><td>refused</td><td dir=\"auto\">low</td><td dir=\"auto\">range low 9 exceeds high 2",
                     answer.text)
    assert re.search(r"<td>2</td><td>not recorded</td>", answer.text) and count_events(api.ledger) == before
    partial = upload(api, csrf, rows(world, bad=True), partial="on")
    assert re.search(r"<td>2</td><td>recorded</td>", partial.text) and count_events(api.ledger) > before


def test_an_upload_needs_the_csrf_token_and_an_officer(api, world):
    csrf = sign_in(api, "officer")
    before = count_events(api.ledger)
    assert upload(api, "forged", rows(world)).status_code == 403
    reader = sign_in(api, "reader")
    assert upload(api, reader, rows(world)).status_code == 403
    assert count_events(api.ledger) == before


def test_only_the_upload_takes_a_file_and_within_its_own_limit(api, world):
    from api.guard import DEFAULT_MAX_BODY, MAX_UPLOAD

    assert api.client.post("/reports", files={"file": ("rows.csv", b"a,b")},
                           headers=api.headers("officer")).status_code == 415
    csrf = sign_in(api, "officer")
    padded = rows(world) + b"\n" * (2 * DEFAULT_MAX_BODY)  # over the API's limit, within the upload's
    assert upload(api, csrf, padded).status_code == 200
    huge = api.client.post("/web/imports", files={"file": ("rows.csv", b"\n" * (MAX_UPLOAD + 1))},
                           data={"csrf": csrf}, headers=HTML)
    assert huge.status_code == 413


def test_an_unreadable_upload_is_a_page_saying_why(api, world):
    csrf = sign_in(api, "officer")
    answer = upload(api, csrf, b"PK\x03\x04 not a workbook")
    assert answer.status_code == 422 and "not a workbook" in answer.text
    empty = api.client.post("/web/imports", data={"csrf": csrf}, files={"file": ("none.csv", b"")}, headers=HTML)
    assert empty.status_code == 422 and "Choose the file" in empty.text


def _lines(answer) -> list[dict]:
    import orjson

    assert answer.headers["content-type"].startswith("application/x-ndjson"), answer.headers
    return [orjson.loads(line) for line in answer.content.splitlines()]


def test_a_script_is_told_the_progress_line_by_line_then_given_the_same_report(api, world, monkeypatch):
    """Accept: application/x-ndjson: rows checked, rows filed of how many, then the page the plain
    form gives (status and per-row report alike); without it the answer is that page, unchanged."""
    from api.web import imports as upload_page

    monkeypatch.setattr(upload_page, "PROGRESS_EVERY", 0)
    header = ["source_id", "report_title", "language", "incident_id", "metric", "qualifier", "number"]
    many = csv_bytes([[world.public_source, f"Upload {i}", "en", world.incident, "civilians_detained", "exact", i]
                      for i in range(1, 6)], header)
    csrf = sign_in(api, "officer")
    before = count_events(api.ledger)
    answer = api.client.post("/web/imports", data={"csrf": csrf}, files={"file": ("rows.csv", many)},
                             headers={"Accept": "application/x-ndjson, text/html;q=0.9"})
    assert answer.status_code == 200
    lines = _lines(answer)
    assert lines[0]["stage"] == "received" and lines[-1]["stage"] == "done"
    filing = [(l["filed"], l["rows"], l["reports"]) for l in lines if l["stage"] == "recording"]
    assert filing == [(0, 5, 5), (1, 5, 5), (2, 5, 5), (3, 5, 5), (4, 5, 5), (5, 5, 5)]
    assert lines[-1]["checked"] == 5 and lines[-1]["status"] == 200
    report = lines[-1]["html"]
    assert re.search(r"<td>6</td><td>recorded</td>", report) and count_events(api.ledger) > before
    plain = upload(api, csrf, many)  # the same file again, as the form without script sends it
    assert plain.headers["content-type"].startswith("text/html")
    assert re.search(r"<td>6</td><td>already recorded</td>", plain.text)
    # A refused file: the report says so in its last line, and nothing is filed.
    bad = _lines(api.client.post("/web/imports", data={"csrf": csrf}, files={"file": ("rows.csv", rows(world, True))},
                                 headers={"Accept": "application/x-ndjson"}))
    assert bad[-1]["status"] == 422 and not [l for l in bad if l["stage"] == "recording"]
    assert re.search(r"<td>3</td><td>refused</td>", bad[-1]["html"])
    unreadable = _lines(api.client.post("/web/imports", data={"csrf": csrf},
                                        files={"file": ("rows.xlsx", b"not a workbook")},
                                        headers={"Accept": "application/x-ndjson"}))
    assert unreadable[-1]["status"] == 422 and 'role="alert"' in unreadable[-1]["html"]
    # Refused before the import begins (CSRF): the refusal page as without script, not a stream.
    forged = api.client.post("/web/imports", data={"csrf": "forged"}, files={"file": ("rows.csv", many)},
                             headers={"Accept": "application/x-ndjson"})
    assert forged.status_code == 403 and not forged.headers["content-type"].startswith("application/x-ndjson")
