"""Encryption at rest means what it says: with CIPHER_KEY, no source's words anywhere in the store.

The store is loaded with the seed case, a protected source with a report, figures with
quotes, corrections, citations with URLs, quotes and pages, a withdrawal, a period revision
and a protection change, every projection caught up (views and audit) and a figure taken
past its snapshot interval. Then every text and blob column of every table the store holds
(listed by the database itself, not by hand) is searched for each of those words, as UTF-8
and as JSON would escape them. With the key: none. Without it, the same scan finds them,
in the views as well as in the events, so the scan can fail. And the questions give the
same answers either way.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import audit_trail, create_tables, open_ledger
from ledger.application import Ledger
from ledger.loading import FIGURE_SNAPSHOT_INTERVAL
from ledger.seed import case_data, load_case
from ledger.store import Store
from projections.audit import AuditTrail
from projections.audit.tree_digest import audit_digest
from projections.db import Db
from projections.views_digest import digest
from projections.follower import Follower
from projections.rebuild import rebuild
from projections.reader import Reader
from projections.views_schema import TABLES
from projections.views import Views
from tests.conftest import make_store, postgres_url_or_skip
from tests.integration.projections.helpers import answers, copy_events, notifications

KEY = base64.b64encode(os.urandom(32)).decode()
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

PLACE = "Qaryat-Marker-Zayn"  # a place as written; looked up case-blind
#: Words of the protected source and of the records around it: none may be stored in the clear.
MARKERS = {
    "source name": "شاهد محمي علامة",
    "source English name": "Marker Witness Qx7",
    "source URL": "https://marker-witness-qx7.example.org/",
    "report title": "Marker report title Qx7",
    "report English title": "Marker report English Qx7",
    "report URL": "https://marker-report-qx7.example.org/r/1",
    "report reference": "Marker-reference-Qx7",
    "report place": "Marker-Report-Place-Qx7",
    "incident title": "Marker incident title Qx7",
    "incident English title": "Marker incident English Qx7",
    "incident description": "Marker incident description Qx7",
    "incident place": PLACE,
    "quote": "قتل سبعة مدنيين علامة",
    "quote in English": "Marker seven civilians Qx7",
    "correction quote": "Marker correction quote Qx7",
    "correction reason": "Marker correction reason Qx7",
    "citation URL": "https://marker-citation-qx7.example.org/c",
    "citation quote": "Marker citation quote Qx7",
    "citation quote in English": "Marker citation English Qx7",
    "citation page": "Marker-page-Qx7",
    "citation sha256": "9f" * 32,
    "withdrawal reason": "Marker withdrawal reason Qx7",
    "period reason": "Marker period reason Qx7",
    "protection reason": "Marker protection reason Qx7",
    "grading reason": "Marker grading reason Qx7",
}


def _seed_words() -> dict[str, str]:
    """The seed case's own words: sources, incidents, reports, quotes, citations."""
    data = case_data()
    words: dict[str, str] = {}

    def take(label: str, fields: dict[str, Any], names: tuple[str, ...]) -> None:
        for name in names:
            if isinstance(fields.get(name), str) and len(fields[name]) >= 10:
                words[f"seed {label} {name}"] = fields[name]

    for key, source in data["sources"].items():
        take(f"source {key}", source, ("name", "name_en", "url"))
    for key, incident in data["incidents"].items():
        take(f"incident {key}", incident, ("title", "title_en", "description"))
    for key, report in data["reports"].items():
        take(f"report {key}", report, ("title", "title_en", "url", "reference"))
        for n, figure in enumerate(report.get("figures", ())):
            take(f"report {key} figure {n}", figure["value"], ("quote", "quote_en"))
    take("evidence", data.get("evidence", {}), ("title_en", "sha256"))
    return words


ALL_WORDS = {**MARKERS, **_seed_words()}


def load_world(ledger: Ledger) -> dict[str, Any]:
    ids = load_case(ledger)
    source = ledger.register_source("officer", name=MARKERS["source name"], name_en=MARKERS["source English name"],
                                    kind="witness", language="ar", url=MARKERS["source URL"],
                                    protected=True)["source_id"]
    incident = ledger.record_incident("officer", title=MARKERS["incident title"],
                                      title_en=MARKERS["incident English title"],
                                      description=MARKERS["incident description"], valid_from="2019-05-01",
                                      places=[PLACE, "Idlib"])["incident_id"]
    report = ledger.file_report(
        "officer", source_id=source, title=MARKERS["report title"], title_en=MARKERS["report English title"],
        language="ar", url=MARKERS["report URL"], reference=MARKERS["report reference"],
        places=[MARKERS["report place"]], figures=[
            {"incident_id": incident, "metric": "civilians_killed",
             "value": {"qualifier": "at_least", "number": 7, "quote": MARKERS["quote"],
                       "quote_en": MARKERS["quote in English"]}},
            {"incident_id": incident, "metric": "civilians_killed", "breakdown": {"victim_group": "children"},
             "value": {"qualifier": "exact", "number": 2, "quote": MARKERS["quote"]}},
        ])
    total, part = (f["figure_id"] for f in report["figures"])
    cited = ledger.cite("officer", target_id=total, source_id=source, url=MARKERS["citation URL"],
                        quote=MARKERS["citation quote"], quote_en=MARKERS["citation quote in English"],
                        page=MARKERS["citation page"], sha256=MARKERS["citation sha256"])["citation_id"]
    ledger.cite("officer", target_id=report["report_id"], source_id=source, url=MARKERS["citation URL"] + "/2")
    ledger.correct_figure("officer", part, value={"qualifier": "at_least", "number": 3,
                                                  "quote": MARKERS["correction quote"]},
                          reason=MARKERS["correction reason"], evidence=[cited])
    ledger.withdraw_citation("officer", cited, reason=MARKERS["withdrawal reason"])
    ledger.revise_incident_period("officer", incident, valid_from="2019-04-30", valid_to=None,
                                  reason=MARKERS["period reason"])
    ledger.change_source_protection("officer", source, protected=True, reason=MARKERS["protection reason"])
    # Past the snapshot interval, so the snapshot table holds this figure (and its claim's quote).
    for n in range(FIGURE_SNAPSHOT_INTERVAL):
        ledger.grade_figure("officer", total, grade=("fair", "weak")[n % 2], reason=MARKERS["grading reason"])
    return {"seed": ids, "source": source, "incident": incident, "report": report["report_id"],
            "figures": [total, part], "citation": cited}


def catch_up_everything(store: Store, ledger: Ledger) -> None:
    with Follower(store, Views(), ledger=ledger) as follower:
        follower.catch_up()
    with AuditTrail(store, ledger=ledger) as trail:
        assert trail.make_checkpoint() is not None


# ---- the scan ---------------------------------------------------------------------------------


def _forms(word: str) -> list[bytes]:
    """The byte strings under which ``word`` could sit in a column: as written, case-folded, JSON-escaped."""
    forms = {word, word.casefold()}
    for text in list(forms):
        escaped = json.dumps(text)[1:-1]  # \\u0634 for Arabic
        forms |= {escaped, escaped.upper().replace("\\U", "\\u")}
    return sorted({f.encode() for f in forms}, key=len)


FORMS = {label: _forms(word) for label, word in ALL_WORDS.items()}


def stored_values(store: Store) -> Iterator[tuple[str, str, bytes]]:
    """(table, column, value as bytes) for every text and blob value of every table in the store."""
    if store.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(store.sqlite_path) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                cursor = conn.execute(f'SELECT * FROM "{table}"')
                names = [d[0] for d in cursor.description]
                for row in cursor:
                    for column, value in zip(names, row):
                        if isinstance(value, str):
                            yield table, column, value.encode()
                        elif isinstance(value, bytes):
                            yield table, column, value
        return
    from psycopg import sql

    with store.connect_postgres() as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND data_type IN ('text', 'bytea', 'character varying', 'character', 'json', 'jsonb', 'xml')",
            (store.postgres_schema,)).fetchall()
        assert columns, "no text or blob columns found in the store's schema"
        for table, column in columns:
            query = sql.SQL("SELECT {} FROM {}.{}")
            for (value,) in conn.execute(query.format(sql.Identifier(column), sql.Identifier(store.postgres_schema),
                                                      sql.Identifier(table))):
                if isinstance(value, str):
                    yield table, column, value.encode()
                elif isinstance(value, (bytes, memoryview)):
                    yield table, column, bytes(value)
                elif value is not None:
                    yield table, column, json.dumps(value).encode()


def plaintext_found(store: Store) -> dict[str, set[str]]:
    """Which words were found, and in which table.column."""
    found: dict[str, set[str]] = {}
    for table, column, value in stored_values(store):
        folded = value.lower()
        for label, forms in FORMS.items():
            if any(f in value or f.lower() in folded for f in forms):
                found.setdefault(label, set()).add(f"{table}.{column}")
    return found


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("cipher", [True, False], ids=["cipher", "plain"])
def test_with_the_key_no_source_words_are_stored_in_the_clear_and_without_it_the_scan_finds_them(
        kind, cipher, tmp_path):
    stores = make_store(kind, tmp_path, KEY if cipher else None)
    store = next(stores)
    try:
        ledger = open_ledger(store)
        load_world(ledger)
        catch_up_everything(store, ledger)
        ledger.close()
        found = plaintext_found(store)
        if cipher:
            assert found == {}
            return
        # The scan sees every word, in the views and the audit log as well as the events.
        assert set(found) == set(ALL_WORDS)
        places = {where for wheres in found.values() for where in wheres}
        views = Db(store, "views", pool_size=1)
        try:
            view_tables = {views.table(t.name).split(".")[-1].strip('"') for t in TABLES}
        finally:
            views.close()
        assert {w.split(".")[0] for w in places} & view_tables
        assert any(w.startswith("audit_log.") for w in places)
        assert any("snapshot" in w for w in found["quote"])
    finally:
        stores.close()


# ---- the same answers --------------------------------------------------------------------------


def _copy_events(source: Ledger, target: Ledger) -> None:
    """Every event of ``source`` into ``target`` as ``target`` would store it (re-encrypted)."""
    items = notifications(source)
    events = [source.mapper.to_domain_event(n) for n in items]
    target.recorder.insert_events([target.mapper.to_stored_event(e) for e in events])


def test_the_questions_give_the_same_answers_with_and_without_the_cipher(kind, tmp_path):
    plain_stores = make_store(kind, tmp_path / "plain", None)
    cipher_stores = make_store(kind, tmp_path / "cipher", KEY)
    plain, sealed = next(plain_stores), next(cipher_stores)
    try:
        create_tables(plain)
        create_tables(sealed)
        plain_ledger, sealed_ledger = open_ledger(plain), open_ledger(sealed)
        world = load_world(plain_ledger)
        _copy_events(plain_ledger, sealed_ledger)
        catch_up_everything(plain, plain_ledger)
        catch_up_everything(sealed, sealed_ledger)
        figure_ids = [*world["figures"], *world["seed"]["figures"].values()]
        results = []
        for store in (plain, sealed):
            with Reader(store) as reader:
                out = {}
                for include_protected in (True, False):
                    out[include_protected] = answers(reader, include_protected=include_protected,
                                                     figure_ids=figure_ids)
                    out[(include_protected, "place")] = [
                        reader.incidents(place=PLACE.upper(), include_protected=include_protected),
                        reader.figures(place=PLACE.lower(), include_protected=include_protected),
                        reader.tally("civilians_killed", place=PLACE, figure_ids=True),
                        reader.tally_history("civilians_killed", place=PLACE),
                        reader.breakdown_checks(place=PLACE),
                        reader.incidents(place="Idlib"),
                    ]
                out["source"] = reader.source(world["source"], include_protected=True)
                out["report"] = reader.report(world["report"], include_protected=True)
                out["incident"] = reader.incident(world["incident"])
                out["citations"] = reader.citations(world["report"], include_protected=True)
                results.append(out)
            with audit_trail(store) as trail:
                log = trail.log(limit=500)
                assert log["next_cursor"] is None
                results[-1]["log"] = log["items"]
        assert results[0] == results[1]
        # The protected source's words are there to read, through the key, for those entitled to them.
        assert results[1]["source"]["name"] == MARKERS["source name"]
        assert results[1][(True, "place")][0]["items"][0]["places"] == [PLACE, "Idlib"]
        assert any(x["reason"] == MARKERS["protection reason"] for x in results[1]["log"])
        # A rebuild under the key writes the same sealed rows: one digest, live and rebuilt.
        assert rebuild(sealed, progress=False, name="copy", ledger=sealed_ledger)["digest"] == digest(sealed)["sha256"]
        plain_ledger.close()
        sealed_ledger.close()
    finally:
        plain_stores.close()
        cipher_stores.close()


def test_one_history_under_one_key_gives_one_digest_on_sqlite_and_postgresql(tmp_path):
    postgres_url_or_skip()
    built = make_store("sqlite", tmp_path / "built", KEY)
    copies = [make_store("sqlite", tmp_path / "sqlite", KEY), make_store("postgres", tmp_path / "postgres", KEY)]
    origin = next(built)
    try:
        ledger = open_ledger(origin)
        load_world(ledger)
        items = notifications(ledger)
        ledger.close()
        digests = []
        for stores in copies:
            store = next(stores)
            create_tables(store)
            copy = open_ledger(store)
            # The very bytes stored, so the audit leaves (which commit to ciphertext) are equal too.
            copy_events(ledger, copy, items)
            catch_up_everything(store, copy)
            with audit_trail(store) as trail:
                digests.append((digest(store)["sha256"], audit_digest(trail.db)["sha256"]))
            copy.close()
        assert digests[0] == digests[1]
    finally:
        built.close()
        for stores in copies:
            stores.close()
