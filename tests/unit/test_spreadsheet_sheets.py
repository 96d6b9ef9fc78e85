"""An XLSX export longer than Excel's sheet limit continues on further sheets, never past the limit.

The limit is lowered here (Excel's own is 1,048,576 rows): the rule is the same at any size.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from api.exports import spreadsheet

COLUMNS = [("n", "#meta+n"), ("words", "#meta+words")]


def _book(rows: list[dict], title: str = "figures") -> dict[str, list[tuple]]:
    data = b"".join(spreadsheet.write(COLUMNS, rows, {"ledger_position": 7}, title))
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 12), limit=st.integers(2, 5))
def test_every_row_once_in_order_and_no_sheet_past_the_limit(count, limit):
    saved = spreadsheet.SHEET_ROWS
    spreadsheet.SHEET_ROWS = limit  # hypothesis runs examples without function-scoped fixtures
    try:
        sheets = _book([{"n": i, "words": f"row {i}"} for i in range(count)])
    finally:
        spreadsheet.SHEET_ROWS = saved
    data = [name for name in sheets if name != "about"]
    assert data[0] == "figures" and data[1:] == [f"figures ({n})" for n in range(2, len(data) + 1)]
    assert len(data) == max(1, -(-count // (limit - 1)))  # as few sheets as the limit allows
    body = []
    for name in data:
        assert sheets[name][0] == ("n", "words") and len(sheets[name]) <= limit
        body += sheets[name][1:]
    assert body == [(i, f"row {i}") for i in range(count)]
    about = dict(sheets["about"])
    assert about["ledger_position"] == 7
    assert about.get("sheets") == (", ".join(data) if len(data) > 1 else None)


def test_a_long_title_still_fits_excels_31_characters(monkeypatch):
    monkeypatch.setattr(spreadsheet, "SHEET_ROWS", 2)
    title = "a very long export title of many words"
    names = [n for n in _book([{"n": i} for i in range(10)], title) if n != "about"]
    assert names[0] == title[:31] and names[-1] == title[:26] + " (10)"
    assert all(len(n) <= 31 for n in names) and len(set(names)) == 10


def test_excels_own_limit():
    assert spreadsheet.SHEET_ROWS == 1_048_576


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15), st.integers(-10**9, 10**9).map(lambda i: i / 8),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n"), max_size=40),
), min_size=1, max_size=6))
def test_each_cell_reads_back_as_written(values):
    """By its type: a count a number, a flag a boolean, text as text (a formula's start kept as typed)."""
    from api.exports.cells import as_typed

    sheets = _book([{"n": v, "words": f"row {i}"} for i, v in enumerate(values)])
    got = [as_typed(row[0]) for row in sheets["figures"][1:]]
    assert got == [None if v == "" else v for v in values]  # an empty text is an empty cell, as in CSV
    assert [isinstance(g, bool) for g in got] == [isinstance(v, bool) for v in values]
    assert [isinstance(g, str) for g in got] == [isinstance(v, str) and v != "" for v in values]


def test_text_past_excels_cell_limit_is_written_whole():
    words = "; ".join(f"place {i:05d}" for i in range(4_000))  # 51,998 characters: an incident's many places
    assert len(words) > 32_767
    assert _book([{"n": 1, "words": words}])["figures"][1] == (1, words)
