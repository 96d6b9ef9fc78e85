"""verify's scratch stores: removed however the run ends, and cleared by the next run after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ledger.store import Store
from projections.audit import verify
from projections.audit.scratch import SCHEMA_PREFIX, clear_stale_directories, clear_stale_schemas, scratch_store
from tests.conftest import REPO_ROOT

ON_POSTGRES = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)

HOLD = """
import sys, time
from ledger.store import Store
from projections.audit.scratch import scratch_store
{before}
with scratch_store(Store(sys.argv[1])) as scratch:
    print(scratch.postgres_schema or scratch.sqlite_path, flush=True)
    time.sleep(120)
"""


def schemas(store: Store) -> set[str]:
    with store.connect_postgres() as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (SCHEMA_PREFIX,))
        return {r[0] for r in rows.fetchall()}


def holding(store: Store, tmp_path: Path, before: str = "") -> tuple[subprocess.Popen, str]:
    """A process inside scratch_store, and the schema (or SQLite file) it made."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLD.format(before=before)), store.url],
                               stdout=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT)
    return process, process.stdout.readline().strip()


def session_gone(store: Store, schema: str) -> None:
    """Wait (bounded) until PostgreSQL has ended the killed process's session and so freed its lock."""
    with store.connect_postgres() as conn:
        for _ in range(200):
            held = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND"
                                " objid = (hashtextextended(%s, 0) & 4294967295)::oid", (schema,)).fetchone()[0]
            if not held:
                return
            conn.execute("SELECT pg_sleep(0.05)")
    raise AssertionError(f"the session holding {schema} did not end")


@ON_POSTGRES
def test_a_killed_run_leaves_its_schema_and_the_next_run_drops_it(store, ledger, trail, tmp_path):
    process, schema = holding(store, tmp_path)
    try:
        assert schema.startswith(SCHEMA_PREFIX) and schema in schemas(store)
        assert schema not in clear_stale_schemas(store)  # its maker is alive: left alone
        assert schema in schemas(store)
    finally:
        process.kill()  # SIGKILL: no finally, no clean-up
        process.wait()
    session_gone(store, schema)
    assert schema in schemas(store)  # left behind by the crash
    report = verify(store, progress=False, ledger=ledger, projections=False)  # even one that rebuilds nothing
    assert report.ok, report.summary()
    assert schema not in schemas(store)  # the next verification cleared it


@ON_POSTGRES
def test_a_terminated_cli_run_removes_its_own_schema(store, tmp_path):
    process, schema = holding(store, tmp_path, "from api.audit_cli import _exit_on_sigterm; _exit_on_sigterm()")
    assert schema in schemas(store)
    process.send_signal(signal.SIGTERM)
    assert process.wait() == 128 + signal.SIGTERM
    assert schema not in schemas(store)


@ON_POSTGRES
def test_a_failed_rebuild_removes_its_schema(store):
    with pytest.raises(RuntimeError), scratch_store(store) as scratch:
        made = scratch.postgres_schema
        assert made in schemas(store)
        raise RuntimeError("the rebuild failed")
    assert made not in schemas(store)


def test_a_killed_run_leaves_its_sqlite_directory_and_the_next_run_removes_it(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    process, path = holding(store, tmp_path)
    directory = Path(path).parent
    assert directory.parent == tmp_path and directory.is_dir()
    assert clear_stale_directories(str(tmp_path)) == []  # alive: left alone
    process.kill()
    process.wait()
    assert directory.is_dir()
    assert clear_stale_directories(str(tmp_path)) == [str(directory)]
    assert not directory.exists()
