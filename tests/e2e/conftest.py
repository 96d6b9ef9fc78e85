"""Fixtures for the HTTP tests: the app on each store, keys for each role, and a small world.

The world holds a public source and a PROTECTED one whose identity (name, URL, words, ids)
must never reach an officer's or a reader's response; every marker of it contains
``zqx7741`` so a test can search any response text for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette's TestClient still runs on httpx; the warning is about its future, not our tests.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import make_store
from ledger.application import Ledger
from ledger.store import Store

MARK = "zqx7741"
ROLES = ("officer", "auditor", "reader")


def count_events(ledger: Ledger) -> int:
    """How many events the log holds (PostgreSQL's notification ids can have gaps, so count them)."""
    return len(ledger.recorder.select_notifications(start=None, limit=1_000_000))


@dataclass
class Api:
    client: TestClient
    ledger: Ledger
    keys: dict[str, str]

    def headers(self, role: str | None = "officer", **extra: str) -> dict[str, str]:
        h = {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}
        h.update({k.replace("_", "-"): v for k, v in extra.items()})
        return h

    def events(self) -> int:
        return count_events(self.ledger)

    def get(self, path: str, role: str | None = "officer", **headers: str):
        return self.client.get(path, headers=self.headers(role, **headers))

    def post(self, path: str, body: Any = None, role: str | None = "officer", **headers: str):
        return self.client.post(path, json=body, headers=self.headers(role, **headers))


@contextmanager
def open_api(store: Store) -> Iterator[Api]:
    """The app on ``store`` (read side included: the schema step made its tables), a client, a key per role."""
    app = create_app(store)
    ledger: Ledger = app.state.ledger
    keys = {role: ledger.issue_key("test-admin", owner=f"{role}-1", role=role)[0] for role in ROLES}
    revoked, info = ledger.issue_key("test-admin", owner="gone-1", role="officer")
    ledger.revoke_key("test-admin", info["key_id"], reason="left the team")
    keys["revoked"] = revoked
    keys["bogus"] = "ilk_" + "x" * 43
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, ledger, keys)


@pytest.fixture
def api(store: Store) -> Iterator[Api]:
    with open_api(store) as opened:
        yield opened


@dataclass
class World:
    public_source: str
    protected_source: str
    incident: str
    public_report: str
    protected_report: str
    figure: str  # stated by the public source, also claimed by the protected one
    protected_figure: str  # stated by the protected source only
    public_citation: str  # public source, on the figure
    protected_citation: str  # protected source, on the figure
    protected_report_citation: str  # protected source, on its own report
    spare_source: str  # public, for tests that change a source
    public_citation_of_protected_report: str  # public source, on the protected source's report

    def protected_ids(self) -> list[str]:
        return [self.protected_source, self.protected_report, self.protected_citation,
                self.protected_report_citation]

    def protected_markers(self) -> list[str]:
        """Everything that identifies the protected source: its ids, and every text of it (all hold MARK)."""
        return [MARK, *self.protected_ids(), *PROTECTED_TEXTS]


#: The protected source's name, English name and URL; its report's title, URL and reference;
#: its citations' URLs and quotes; the words of its claims (each as build_world records it).
PROTECTED_TEXTS = (
    f"Witness cell {MARK}", f"{MARK} cell", f"https://{MARK}.example/cell",
    f"Field notes {MARK}", f"https://{MARK}.example/r/1", f"{MARK} notebook",
    f"https://{MARK}.example/c", f"{MARK} passage", f"{MARK} report passage",
    f"{MARK} counted 112", f"{MARK} saw 40 to 50 injured", f"{MARK} in English",
)


def build_world(ledger: Ledger) -> World:
    actor = "seed-officer"
    public = ledger.register_source(actor, name="الشبكة السورية لحقوق الإنسان", name_en="SNHR",
                                    kind="monitoring_network", url="https://snhr.org", language="ar")["source_id"]
    protected = ledger.register_source(actor, name=f"Witness cell {MARK}", name_en=f"{MARK} cell", kind="witness",
                                       url=f"https://{MARK}.example/cell", language="ar", protected=True)["source_id"]
    incident = ledger.record_incident(actor, title="Escalation in Idlib and Hama", places=["Idlib", "Hama"],
                                      valid_from="2019-04-26")["incident_id"]
    filed = ledger.file_report(
        actor, source_id=public, title="SNHR report", language="en", url="https://snhr.org/r/1",
        figures=[{"incident_id": incident, "metric": "civilians_killed", "breakdown": {},
                  "value": {"qualifier": "at_least", "number": 108, "quote": "killed at least 108 civilians"}}],
    )
    protected_filed = ledger.file_report(
        actor, source_id=protected, title=f"Field notes {MARK}", language="ar", url=f"https://{MARK}.example/r/1",
        reference=f"{MARK} notebook",
        figures=[
            {"incident_id": incident, "metric": "civilians_killed", "breakdown": {},
             "value": {"qualifier": "exact", "number": 112, "quote": f"{MARK} counted 112"}},
            {"incident_id": incident, "metric": "civilians_injured", "breakdown": {},
             "value": {"qualifier": "range", "low": 40, "high": 50, "quote": f"{MARK} saw 40 to 50 injured",
                       "quote_en": f"{MARK} in English"}},
        ],
    )
    figure = filed["figures"][0]["figure_id"]
    protected_figure = protected_filed["figures"][1]["figure_id"]
    public_citation = ledger.cite(actor, target_id=figure, source_id=public, url="https://snhr.org/r/1",
                                  quote="killed at least 108 civilians")["citation_id"]
    protected_citation = ledger.cite(actor, target_id=figure, source_id=protected, url=f"https://{MARK}.example/c",
                                     quote=f"{MARK} passage")["citation_id"]
    protected_report_citation = ledger.cite(actor, target_id=protected_filed["report_id"], source_id=protected,
                                            quote=f"{MARK} report passage")["citation_id"]
    spare = ledger.register_source(actor, name="Local council", kind="official_body", language="ar")["source_id"]
    # A public source citing the protected one's report: public, but its target must stay hidden.
    public_citation_of_protected_report = ledger.cite(actor, target_id=protected_filed["report_id"],
                                                      source_id=public, url="https://snhr.org/r/3")["citation_id"]
    return World(public, protected, incident, filed["report_id"], protected_filed["report_id"], figure,
                 protected_figure, public_citation, protected_citation, protected_report_citation, spare,
                 public_citation_of_protected_report)


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api.ledger)


@pytest.fixture
def cli_world(store: Store, api: Api, monkeypatch: pytest.MonkeyPatch) -> World:
    """The world, with ``ledger``'s commands pointed at its store (LEDGER_DB, CIPHER_KEY)."""
    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    return build_world(api.ledger)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, World]]:
    """One app and world per store for a whole test module (for tests that record nothing, or
    whose successes are written to succeed in any order). Same stores as ``store``."""
    tmp = tmp_path_factory.mktemp("shared")
    with pytest.MonkeyPatch.context() as env:
        # As tests/conftest.py does per test: this store's own signing key, never one under ./var.
        env.setenv("LEDGER_SIGNING_KEY", str(tmp / "signing-key.pem"))
        stores = make_store(request.param, tmp)
        store = next(stores)
        try:
            with open_api(store) as api:
                yield api, build_world(api.ledger)
        finally:
            stores.close()


def assert_problem(response, status: int, *, field: str | None = None, says: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and field, and words in its detail)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"], body
    if field is not None:
        assert body.get("field") == field, body
    if says is not None:
        assert says.lower() in body["detail"].lower(), body
    return body
