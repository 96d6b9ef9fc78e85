"""Round trip: the figures a ledger exports, imported into a ledger without them, read back the same.

The second ledger starts as a copy of the first made before any report was filed (same
sources, same incidents, nothing else), so the exported ids name records it has. A figure
export carries each figure's current value and the source behind it, not the report's title
(given to the import with ``set``) nor the citations (a figure export has no column for them),
so what must come back is each figure's value, its words, and one claim by the same source.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from api import imports
from api.bootstrap import create_schema, open_ledger, open_read_side
from api.exports import rows as export_rows
from api.exports.negotiate import write
from api.imports.columns import Mapping
from ledger.figure import figure_id
from ledger.store import Store
from ledger.value import APPROXIMATORS, VAGUE_TERMS
from ledger.vocabulary import METRICS

NUMBER = st.integers(0, 10**6)
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                max_size=30).filter(str.strip)


@st.composite
def values(draw: st.DrawFn) -> dict:
    kind = draw(st.sampled_from(["exact", "at_least", "more_than", "at_most", "fewer_than", "range", "vague",
                                 "approximate"]))
    value: dict = {"qualifier": kind}
    if kind == "range":
        low, high = sorted([draw(NUMBER), draw(NUMBER)])
        value.update(low=low, high=high)
    elif kind == "vague":
        value["term"] = draw(st.sampled_from(sorted(VAGUE_TERMS)))
    elif kind == "approximate":
        value.update(number=draw(NUMBER), term=draw(st.sampled_from(sorted(APPROXIMATORS))))
    else:
        value["number"] = draw(st.integers(1, 10**6))
    for words in ("quote", "quote_en"):
        if draw(st.booleans()):
            # Words a spreadsheet would run as a formula, or that start with a space, come back as written.
            value[words] = draw(st.sampled_from(["", "=", "-", "@", " "])) + draw(WORDS)
    return value


#: Each figure (incident, metric, part) stated once, by one of two sources.
statements = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(sorted(METRICS)), st.sampled_from(["", "a", "b"]),
              st.integers(0, 1), values()),
    min_size=1, max_size=12, unique_by=lambda s: s[:3])


def exported(store: Store, ledger, fmt: str) -> bytes:
    reader, follower = open_read_side(store, ledger)
    try:
        follower.catch_up()
        items = export_rows.figure_items(lambda after, size: reader.figures(cursor=after, limit=size))
        about = {"ledger_position": follower.position()}
        return b"".join(write(fmt, export_rows.FIGURE_COLUMNS, map(export_rows.figure_row, items), about, "figures"))
    finally:
        reader.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(said=statements, fmt=st.sampled_from(["csv", "hxl", "xlsx"]))
def test_exported_figures_import_back_the_same(tmp_path_factory, said, fmt):
    where = tmp_path_factory.mktemp("round")
    first = Store(f"sqlite:///{where / 'first.db'}")
    create_schema(first)
    a = open_ledger(first)
    sources = [a.register_source("alice", name=n, kind="monitoring_network", language="ar")["source_id"]
               for n in ("SNHR", "VDC")]
    incidents = [a.record_incident("alice", title=t, valid_from="2019-04-26")["incident_id"] for t in ("I", "H")]
    second = Store(f"sqlite:///{where / 'second.db'}")
    with sqlite3.connect(first.sqlite_path) as src, sqlite3.connect(second.sqlite_path) as dst:
        src.backup(dst)  # the same sources and incidents, no report yet
    by_source: dict[int, list[dict]] = {}
    for incident, metric, part, source, value in said:
        by_source.setdefault(source, []).append({
            "incident_id": incidents[incident], "metric": metric,
            "breakdown": {"victim_group": part} if part else {}, "value": value})
    for source, figures in by_source.items():
        a.file_report("alice", source_id=sources[source], title="Toll", language="ar", figures=figures)
    data = exported(first, a, fmt)

    b = open_ledger(second)
    try:
        plan, outcome = imports.run(b, "bob", data, name=f"figures.{fmt}",
                                    mapping=Mapping(fixed={"report_title": "Re-filed", "language": "ar"}))
        assert plan.problems == [] and outcome is not None and outcome.reports == len(by_source)
        for incident, metric, part, source, _ in said:
            fid = figure_id(incidents[incident], metric, {"victim_group": part} if part else {})
            was, now = a.figure(fid), b.figure(fid)
            assert now.current == was.current  # qualifier, number, bounds and words
            assert set(now.claims) == set(was.claims) == {sources[source]}
            assert now.claims[sources[source]]["value"] == was.claims[sources[source]]["value"]
    finally:
        a.close()
        b.close()


@st.composite
def claimed(draw: st.DrawFn) -> list[tuple[tuple[int, str, str], list[tuple[int, dict, bool, dict | None]]]]:
    """Figures, each with the claims of one to three sources in the order made: (source, value,
    adopt, citation by that source or None)."""
    keys = draw(st.lists(st.tuples(st.integers(0, 1), st.sampled_from(sorted(METRICS)),
                                   st.sampled_from(["", "a"])), min_size=1, max_size=6, unique=True))
    citation = st.one_of(st.none(), st.fixed_dictionaries(
        {"url": st.sampled_from(["https://example.org/a", "https://example.org/b"])},
        optional={"quote": WORDS, "page": st.sampled_from(["3", "iv"])}))
    return [(key, [(s, draw(values()), draw(st.booleans()), draw(citation))
                   for s in draw(st.permutations([0, 1, 2]))[:draw(st.integers(1, 3))]]) for key in keys]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(said=claimed(), fmt=st.sampled_from(["csv", "hxl", "xlsx"]))
def test_exported_claims_import_back_with_their_reports_and_citations(tmp_path_factory, said, fmt):
    from api.imports.claims import CLAIM_COLUMNS, claim_rows

    where = tmp_path_factory.mktemp("claims")
    first = Store(f"sqlite:///{where / 'first.db'}")
    create_schema(first)
    a = open_ledger(first)
    sources = [a.register_source("alice", name=n, kind="monitoring_network", language="ar")["source_id"]
               for n in ("SNHR", "VDC", "Airwars")]
    incidents = [a.record_incident("alice", title=t, valid_from="2019-04-26")["incident_id"] for t in ("I", "H")]
    second = Store(f"sqlite:///{where / 'second.db'}")
    with sqlite3.connect(first.sqlite_path) as src, sqlite3.connect(second.sqlite_path) as dst:
        src.backup(dst)
    rounds: dict[tuple[int, int], list[dict]] = {}  # (round, source): the report's figures
    fids = []
    for (incident, metric, part), claims in said:
        breakdown = {"victim_group": part} if part else {}
        fids.append(figure_id(incidents[incident], metric, breakdown))
        for i, (s, value, adopt, _) in enumerate(claims):
            rounds.setdefault((i, s), []).append({"incident_id": incidents[incident], "metric": metric,
                                                  "breakdown": breakdown, "value": value, "adopt": adopt})
    for (i, s), figures in sorted(rounds.items()):
        a.file_report("alice", source_id=sources[s], title=f"R{s}-{i}", language="ar", published_on="2019-06-01",
                      figures=figures)
    for fid, (_, claims) in zip(fids, said):
        for s, _, _, citation in claims:
            if citation is not None:
                a.cite("alice", target_id=str(fid), source_id=sources[s], **citation)
    reader, follower = open_read_side(first, a)
    try:
        follower.catch_up()
        data = b"".join(write(fmt, CLAIM_COLUMNS, claim_rows(reader), {"ledger_position": follower.position()},
                              "claims"))
    finally:
        reader.close()

    def cited(ledger_reader, fid):
        return sorted((c["source"]["source_id"], c["url"], c["quote"], c["page"])
                      for c in ledger_reader.citations(str(fid), include_withdrawn=False))

    b = open_ledger(second)
    try:
        plan, outcome = imports.run(b, "bob", data, name=f"claims.{fmt}")
        assert plan.problems == [] and outcome is not None and outcome.reports == len(rounds)
        reader_a, reader_b = open_read_side(first, a)[0], open_read_side(second, b)
        reader_b[1].catch_up()
        try:
            for fid in fids:
                was, now = a.figure(fid), b.figure(fid)
                assert now.current == was.current
                assert {s: c["value"] for s, c in now.claims.items()} == {s: c["value"] for s, c in was.claims.items()}
                assert cited(reader_b[0], fid) == cited(reader_a, fid)
        finally:
            reader_a.close()
            reader_b[0].close()
    finally:
        a.close()
        b.close()
