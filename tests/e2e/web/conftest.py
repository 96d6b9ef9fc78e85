"""The web app under a real uvicorn server on loopback, driven by the system's Chromium.

Debian's ``chromium`` package, driven by Playwright's Python package pointed at it
(``executable_path``): no browser is ever downloaded. With CI=true a missing browser fails
the tests (``.ci/run`` installs it); on a laptop without it they skip.

The ledger holds the seed case plus a PROTECTED source (a claim on the seed's civilians
killed, a report on an incident of its own, a citation), every marker of which contains
``zqx7741``: no page a reader or an officer can reach may show one.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from ledger.application import Ledger
from ledger.seed import case_data, load_case
from ledger.store import Store
from tests.conftest import IN_CI, make_store
from tests.e2e.test_server import free_port

MARK = "zqx7741"
CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@dataclass
class Site:
    base: str
    ledger: Ledger
    keys: dict[str, str]
    seed: dict[str, Any]
    markers: list[str] = field(default_factory=list)
    killed_figure: str = ""


def add_protected_source(ledger: Ledger, seed: dict[str, Any]) -> tuple[list[str], str]:
    actor = "seed-officer"
    killed = next(fid for fid in seed["figures"].values()
                  if (f := ledger.figure(fid)).metric == "civilians_killed" and f.breakdown == {})
    incident = ledger.figure(killed).incident_id
    protected = ledger.register_source(actor, name=f"Witness cell {MARK}", name_en=f"{MARK} cell", kind="witness",
                                       url=f"https://{MARK}.example/cell", language="ar",
                                       protected=True)["source_id"]
    own = ledger.record_incident(actor, title="Shelling of a village", places=["Kafr Nabudah"],
                                 valid_from="2019-05-08")["incident_id"]
    filed = ledger.file_report(
        actor, source_id=protected, title=f"Field notes {MARK}", language="ar", url=f"https://{MARK}.example/r/1",
        reference=f"{MARK} notebook",
        figures=[{"incident_id": str(incident), "metric": "civilians_killed", "breakdown": {},
                  "value": {"qualifier": "exact", "number": 112, "quote": f"{MARK} counted 112"}},
                 {"incident_id": own, "metric": "civilians_detained", "breakdown": {},
                  "value": {"qualifier": "range", "low": 4, "high": 6, "quote": f"{MARK} saw 4 to 6 taken"}}],
    )
    citation = ledger.cite(actor, target_id=killed, source_id=protected, url=f"https://{MARK}.example/c",
                           quote=f"{MARK} passage")["citation_id"]
    return [MARK, protected, filed["report_id"], citation], killed


def browser_or_skip() -> str:
    if shutil.which("chromium") or Path(CHROMIUM).exists():
        return CHROMIUM
    if IN_CI:
        pytest.fail("CI=true but Debian's chromium is not installed: .ci/run installs it with apt")
    pytest.skip("install Debian's chromium (apt-get install chromium fonts-noto-core) to run the browser tests")


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, for as long as the block runs; its base address."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def web_app(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Any]:
    """A new app on a SQLite store of its own (and its own signing key), for a module's site."""
    browser_or_skip()
    tmp = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LEDGER_SIGNING_KEY", str(tmp / "signing-key.pem"))
        stores = make_store("sqlite", tmp)
        try:
            yield create_app(next(stores))
        finally:
            stores.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with web_app(tmp_path_factory, "web") as app:
        ledger: Ledger = app.state.ledger
        seed = load_case(ledger, case_data())
        markers, killed = add_protected_source(ledger, seed)
        app.state.audit.make_checkpoint()
        keys = {role: ledger.issue_key("test-admin", owner=f"{role}-1", role=role)[0]
                for role in ("officer", "auditor", "reader")}
        with served(app) as base:
            yield Site(base, ledger, keys, seed, markers, killed)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser_or_skip(), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(browser: Any, site: Site, role: str, **context: Any) -> Any:
    """A fresh browser context (its own cookies) signed in with ``role``'s key; returns its page."""
    ctx = browser.new_context(base_url=site.base, **context)
    page = ctx.new_page()
    page.goto("/web/sign-in")
    page.fill("#key", site.keys[role])
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    return page


@pytest.fixture
def postgres_store(tmp_path: Path) -> Iterator[Store]:
    """A PostgreSQL store of its own (for the tests that run real servers with several workers on it)."""
    stores = make_store("postgres", tmp_path)
    yield next(stores)
    stores.close()
