"""A report form's rows read into figure statements (api/web/report_rows.py): whatever rows and pairs
are left blank among the filled ones, each statement carries the pairs typed in its row, and a path
the API names for a statement leads back to the row, and the pair, the officer typed it in."""

from __future__ import annotations

from hypothesis import given, strategies as st

from api.web import report_rows
from api.web.forms import body_of

DIMENSIONS = ["perpetrator", "victim_group", "place", "facility_type"]
pair = st.one_of(st.none(), st.tuples(st.sampled_from(DIMENSIONS), st.sampled_from(["children", "قرية", "x-y"])))
row = st.one_of(st.none(), st.lists(pair, max_size=4))  # None: a blank row, as the page sends it


def fields_of(rows: list[list[tuple[str, str] | None] | None]) -> list[tuple[str, str]]:
    fields = [("source_id", "s"), ("title", "t")]
    for i, pairs in enumerate(rows):
        p = f"figures[{i}]."
        fields += [(p + "incident_id", "" if pairs is None else "inc"), (p + "metric", "" if pairs is None else "m"),
                   (p + "value.qualifier", "exact")]
        for j, typed in enumerate(pairs or [("", "")]):
            fields += [(f"{p}breakdown[{j}].dimension", typed[0] if typed else ""),
                       (f"{p}breakdown[{j}].part", typed[1] if typed else "")]
    return fields


@given(st.lists(row, max_size=8))
def test_each_statement_keeps_its_rows_pairs_and_refusals_lead_back_to_them(rows):
    distinct = [r for r in rows if r is None or len({p[0] for p in r if p}) == len([p for p in r if p])]
    typed = report_rows.read(fields_of(distinct))
    statements = typed.statements(body_of)
    filled = [(i, r) for i, r in enumerate(distinct) if r is not None]
    assert len(statements) == len(filled)
    for k, (statement, (i, pairs)) in enumerate(zip(statements, filled)):
        assert statement["breakdown"] == {d: part for d, part in (p for p in pairs if p)}
        assert typed.form_field(f"figures[{k}].value.number") == f"figures[{i}].value.number"
        for j, p in enumerate(pairs):
            if p:
                assert typed.form_field(f"figures[{k}].breakdown.{p[0]}") == f"figures[{i}].breakdown[{j}]"
    assert typed.form_field(f"figures[{len(statements)}].metric") == f"figures[{len(statements)}].metric"
    assert typed.form_field("title") == "title"
