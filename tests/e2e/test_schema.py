"""Schemathesis against a live server: every check, every phase, the allowances in schemathesis.toml.

The same run as the full one in docs/guides.md (``schemathesis run ... --checks all --phases
examples,coverage,fuzzing,stateful``), bounded: few examples per operation, a fixed seed. It runs
the schemathesis command itself against a real uvicorn on loopback, on a store seeded with the
shared world and an officer's key, so the checks, the phases and the per-operation allowances
are exactly those of the full run (the toml is passed as the config file, never copied here).
Set LEDGER_FUZZ_EXAMPLES (e.g. 50) for a longer run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.bootstrap import open_ledger
from ledger.store import Store
from tests.e2e.conftest import build_world
from tests.e2e.test_server import REPO_ROOT, running_server

pytestmark = pytest.mark.slow  # ~2.5 min per store

EXAMPLES = os.environ.get("LEDGER_FUZZ_EXAMPLES", "3")
CPYTHON_AST_BUG = "AST constructor recursion depth mismatch"


def schemathesis_command() -> list[str]:
    beside = Path(sys.executable).with_name("schemathesis")  # the one installed with these tests
    return [str(beside if beside.exists() else shutil.which("schemathesis"))]


def test_the_api_keeps_its_whole_contract(store: Store, tmp_path: Path) -> None:
    ledger = open_ledger(store)
    try:
        key, _ = ledger.issue_key("test-admin", owner="officer-1", role="officer")
        build_world(ledger)  # so listings, tallies and checks answer with records, not empty pages
    finally:
        ledger.close()
    workers = 2 if store.kind == "postgres" else 1
    with running_server(store, workers, tmp_path / "server.log") as base:
        command = [*schemathesis_command(), "--config-file", str(REPO_ROOT / "schemathesis.toml"), "--no-color",
                   "run", f"{base}/openapi.json", "--checks", "all", "--phases",
                   "examples,coverage,fuzzing,stateful", "-H", f"Authorization: Bearer {key}",
                   "--max-examples", EXAMPLES, "--seed", "10", "--workers", "2", "--suppress-health-check", "all"]
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
        for _ in range(3):
            if not (run.returncode and CPYTHON_AST_BUG in run.stdout and "Failures:" not in run.stdout):
                break
            # CPython 3.11's compiler can raise this SystemError from ast.parse in a threaded
            # process (hypothesis parses lambdas' source to name them); it says nothing of the API.
            # It has struck two runs in a row in CI, so up to three more; the last run's result stands.
            run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"schemathesis found the API breaking its contract:\n{run.stdout}\n{run.stderr}"
    assert "Stateful" in run.stdout and " passed" in run.stdout, run.stdout  # every phase ran, and tested
