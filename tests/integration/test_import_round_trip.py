"""Round trip into an empty ledger: what a ledger exports imports into a fresh one, and reads back the same.

The second ledger starts empty (its schema and built-in vocabulary, nothing else). The import
registers the sources and records the incidents the file names by ids that ledger has not,
from the file's own columns (api/imports/plan.py), so records get new ids there: figures are
matched by what they count (the incident's title, metric, breakdown, population) and claims
and citations by their source's name.

The claims export (``ledger export claims``) carries every source's latest claim, its report,
its citation and the figure's correction; the figure export carries current values only, so
what must come back from it is each figure's value, its words, and one claim by its source.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from api import imports
from api.bootstrap import create_schema, open_ledger, open_read_side
from api.exports import rows as export_rows, spreadsheet
from api.exports.negotiate import write
from api.imports.claims import CLAIM_COLUMNS, claim_rows
from api.imports.columns import Mapping
from ledger.errors import InvalidInput
from ledger.figure import figure_id
from ledger.store import Store
from ledger.value import APPROXIMATORS, VAGUE_TERMS
from ledger.vocabulary import METRICS

NUMBER = st.integers(0, 10**6)
ARABIC = ["قتلى مدنيون", "نحو ٣٠ شخصاً", "أطفال ونساء", "مجزرة في السوق", "=قصف", "-غارة"]
WORDS = st.one_of(
    st.sampled_from(ARABIC),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
            max_size=30).filter(str.strip))

#: (name, name_en, kind, language): names in Arabic with an English one, and one in English only.
SOURCES = [("الشبكة السورية لحقوق الإنسان", "Syrian Network for Human Rights", "monitoring_network", "ar"),
           ("مركز توثيق الانتهاكات", "Violations Documentation Center", "monitoring_network", "ar"),
           ("Airwars", None, "monitoring_network", "en")]
#: (title, title_en, valid_from, valid_to, places)
INCIDENTS = [("مجزرة معرة النعمان", "Maarat al-Numan market strike", "2019-07-22", "2019-07-22",
              ["معرة النعمان", "إدلب"]),
             ("قصف حلب", None, "2016-09-19", None, ["Aleppo"])]
PARTS = ["", "أطفال", "women"]


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


def _setup(ledger) -> tuple[list[str], list[str]]:
    sources = [ledger.register_source("alice", name=n, name_en=e, kind=k, language=lang)["source_id"]
               for n, e, k, lang in SOURCES]
    incidents = [ledger.record_incident("alice", title=t, title_en=e, valid_from=f, valid_to=to, places=p)[
        "incident_id"] for t, e, f, to, p in INCIDENTS]
    return sources, incidents


def _fresh(where: Path, name: str) -> Store:
    store = Store(f"sqlite:///{where / name}")
    create_schema(store)
    return store


def _by_title(reader) -> dict[str, str]:
    """The new ledger's incident ids by title (the round trip's way of naming a record across ledgers)."""
    return {i["title"]: i["incident_id"] for i in reader.incidents(limit=50)["items"]}


def _names(ledger, ids) -> dict[str, str]:
    return {str(s): ledger.source(s).name for s in ids}


@st.composite
def claimed(draw: st.DrawFn):
    """Figures, each with the claims of one to three sources in the order made (source, value, adopt,
    citation by that source or None), and a correction made after them, or None."""
    keys = draw(st.lists(st.tuples(st.integers(0, 1), st.sampled_from(sorted(METRICS)), st.sampled_from(PARTS),
                                   st.sampled_from(["counted", "identified"])),
                         min_size=1, max_size=6, unique=True))
    citation = st.one_of(st.none(), st.fixed_dictionaries(
        {"url": st.sampled_from(["https://example.org/a", "https://example.org/b"])},
        optional={"quote": WORDS, "quote_en": WORDS, "page": st.sampled_from(["3", "iv"])}))
    return [(key, [(s, draw(values()), draw(st.booleans()), draw(citation))
                   for s in draw(st.permutations([0, 1, 2]))[:draw(st.integers(1, 3))]],
             draw(st.one_of(st.none(), values()))) for key in keys]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(said=claimed(), fmt=st.sampled_from(["csv", "hxl", "xlsx"]))
def test_exported_claims_import_into_an_empty_ledger_the_same(tmp_path_factory, said, fmt):
    where = tmp_path_factory.mktemp("claims")
    first = _fresh(where, "first.db")
    a = open_ledger(first)
    sources, incidents = _setup(a)
    rounds: dict[tuple[int, int], list[dict]] = {}  # (round, source): the report's figures
    keys = []
    for (incident, metric, part, population), claims, _ in said:
        breakdown = {"victim_group": part} if part else {}
        keys.append((INCIDENTS[incident][0], metric, breakdown, population))
        for i, (s, value, adopt, _) in enumerate(claims):
            rounds.setdefault((i, s), []).append({"incident_id": incidents[incident], "metric": metric,
                                                  "breakdown": breakdown, "population": population,
                                                  "value": value, "adopt": adopt,
                                                  **({"reason": "a later count"} if adopt else {})})
    for (i, s), figures in sorted(rounds.items()):
        a.file_report("alice", source_id=sources[s], title=f"حصيلة {s}-{i}", title_en=f"Toll {s}-{i}",
                      language=SOURCES[s][3], published_on="2019-08-01", figures=figures)
    fids = [figure_id(incidents[incident], metric, {"victim_group": part} if part else {}, population)
            for (incident, metric, part, population), _, _ in said]
    for fid, (_, claims, correction) in zip(fids, said):
        for s, _, _, citation in claims:
            if citation is not None:
                a.cite("alice", target_id=str(fid), source_id=sources[s], **citation)
        if correction is not None:
            try:
                a.correct_figure("alice", str(fid), value=correction, reason="a recount by the team")
            except InvalidInput:  # the figure already reads that value
                pass
    reader_a, follower = open_read_side(first, a)
    follower.catch_up()
    data = b"".join(write(fmt, CLAIM_COLUMNS, claim_rows(reader_a), {"ledger_position": follower.position()},
                          "claims"))

    second = _fresh(where, "second.db")  # empty: no source, incident or report
    b = open_ledger(second)
    reader_b, follower_b = open_read_side(second, b)
    try:
        assert reader_b.incidents(limit=1)["items"] == [] and reader_b.sources(limit=1)["items"] == []
        plan, outcome = imports.run(b, "bob", data, name=f"claims.{fmt}")
        assert plan.problems == [] and outcome is not None and outcome.problems == []
        assert outcome.reports == len(rounds) and outcome.created == len(
            {s for _, claims, _ in said for s, *_ in claims}) + len({k[0] for k in keys})
        assert outcome.corrections == sum(1 for fid in fids if a.figure(fid).claims and all(
            c["value"] != a.figure(fid).current for c in a.figure(fid).claims.values()))
        follower_b.catch_up()
        titled = _by_title(reader_b)
        names_a = _names(a, sources)

        def cited(reader, fid, names):
            return sorted((names[str(c["source"]["source_id"])], c["url"], c["quote"], c["quote_en"], c["page"])
                          for c in reader.citations(str(fid), include_withdrawn=False))

        for fid, (title, metric, breakdown, population) in zip(fids, keys):
            was = a.figure(fid)
            now = b.figure(figure_id(titled[title], metric, breakdown, population))
            names_b = _names(b, now.claims)
            assert now.current == was.current  # the value: qualifier, number, bounds, term and words
            assert ({names_b[s]: c["value"] for s, c in now.claims.items()}
                    == {names_a[s]: c["value"] for s, c in was.claims.items()})
            assert cited(reader_b, now.id, names_b) == cited(reader_a, fid, names_a)
        # The sources and incidents come back with their words in both languages.
        used = {s for _, claims, _ in said for s, *_ in claims}
        assert sorted((s["name"], s["name_en"], s["language"]) for s in reader_b.sources(limit=50)["items"]) == sorted(
            (SOURCES[i][0], SOURCES[i][1], SOURCES[i][3]) for i in used)
        for incident in reader_b.incidents(limit=50)["items"]:
            original = next(x for x in INCIDENTS if x[0] == incident["title"])
            assert (incident["title_en"], incident["valid_from"], incident["valid_to"], incident["places"]) == (
                original[1], original[2], original[3], original[4])

        again, second_outcome = imports.run(b, "bob", data, name=f"claims.{fmt}")  # idempotent
        assert again.problems == [] and second_outcome is not None
        assert (second_outcome.reports, second_outcome.created, second_outcome.citations,
                second_outcome.corrections) == (0, 0, 0, 0)
    finally:
        reader_a.close()
        reader_b.close()
        a.close()
        b.close()


#: Each figure (incident, metric, part, population) stated once, by one of two sources.
statements = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(sorted(METRICS)), st.sampled_from(PARTS),
              st.sampled_from(["counted", "identified"]), st.integers(0, 1), values()),
    min_size=1, max_size=12, unique_by=lambda s: s[:4])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(said=statements, fmt=st.sampled_from(["csv", "hxl", "xlsx"]), limit=st.integers(2, 5))
def test_exported_figures_import_into_an_empty_ledger_the_same(tmp_path_factory, said, fmt, limit):
    """The figure export names each figure's source and incident with what re-creating them takes
    but a source's kind and language, which the import's mapping ``set`` gives. An XLSX export
    goes on over further sheets past the sheet limit (lowered to ``limit`` rows here, as the
    export's own test does): the import reads them all."""
    where = tmp_path_factory.mktemp("round")
    first = _fresh(where, "first.db")
    a = open_ledger(first)
    sources, incidents = _setup(a)
    by_source: dict[int, list[dict]] = {}
    for incident, metric, part, population, source, value in said:
        by_source.setdefault(source, []).append({
            "incident_id": incidents[incident], "metric": metric, "population": population,
            "breakdown": {"victim_group": part} if part else {}, "value": value})
    for source, figures in by_source.items():
        a.file_report("alice", source_id=sources[source], title="Toll", language="ar", figures=figures)
    reader, follower = open_read_side(first, a)
    follower.catch_up()
    items = export_rows.figure_items(lambda after, size: reader.figures(cursor=after, limit=size))
    rows = export_rows.figure_rows(items, reader.incidents_by_id, reader.terms.places)
    saved, spreadsheet.SHEET_ROWS = spreadsheet.SHEET_ROWS, limit  # hypothesis runs examples without fixtures
    try:
        data = b"".join(write(fmt, export_rows.FIGURE_COLUMNS, rows, {"ledger_position": follower.position()},
                              "figures"))
    finally:
        spreadsheet.SHEET_ROWS = saved
    reader.close()

    second = _fresh(where, "second.db")
    b = open_ledger(second)
    reader_b, follower_b = open_read_side(second, b)
    try:
        plan, outcome = imports.run(b, "bob", data, name=f"figures.{fmt}", mapping=Mapping(fixed={
            "report_title": "Re-filed", "language": "ar", "source_kind": "monitoring_network",
            "source_language": "ar"}))
        assert plan.problems == [] and outcome is not None and outcome.reports == len(by_source)
        follower_b.catch_up()
        titled = _by_title(reader_b)
        for incident, metric, part, population, source, _ in said:
            breakdown = {"victim_group": part} if part else {}
            was = a.figure(figure_id(incidents[incident], metric, breakdown, population))
            now = b.figure(figure_id(titled[INCIDENTS[incident][0]], metric, breakdown, population))
            assert now.current == was.current  # qualifier, number, bounds and words
            (claim_source, claim), = now.claims.items()
            # The export names a source by its English name where it has one.
            assert b.source(claim_source).name == (SOURCES[source][1] or SOURCES[source][0])
            assert claim["value"] == was.claims[sources[source]]["value"]
    finally:
        reader_b.close()
        a.close()
        b.close()
