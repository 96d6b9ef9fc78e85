"""The composition root: the one place that wires the ledger to its store, its read side and its audit trail.

Everything that starts the product (the CLI, the web server, the tests, the benchmarks)
goes through here, so the schema step, the transcoder, the cipher and the audit trail's
coverage check are set the same way everywhere. It lives on the entry side: ``ledger/``
imports nothing of ``projections/`` or ``api/``, and ``projections/`` nothing of ``api/``
(the layers contract in pyproject.toml, checked by tests/unit/test_layers.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ledger.application import Ledger
from ledger.store import Store
from projections.audit import install as install_audit
from projections.audit.coverage import covering
from projections.audit.trail import AuditTrail
from projections.follower import install as install_projection
from projections.views import Views
from projections.views_schema import DEFAULT_NAME

log = logging.getLogger(__name__)


def create_schema(store: Store) -> None:
    """Create every table once, before any worker starts (idempotent)."""
    if store.kind == "postgres" and store.postgres_schema:
        from psycopg import sql

        with store.connect_postgres() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(store.postgres_schema)))
    ledger = Ledger(env=store.environment(create_table=True))
    ledger.close()
    create_tables(store)
    install_audit(store)
    from api.web import session_table  # the web's sessions: a table of the store, no projection

    session_table.create(store)


def record_vocabulary(store: Store) -> int:
    """Record the built-in terms the store's vocabulary lacks (exactly once, however many processes race).

    ``ledger init`` and ``seed`` call it after the schema step, and each worker as it starts (api/app.py);
    the schema step itself records nothing, so a store fresh from it holds an empty log."""
    ledger = open_ledger(store)
    try:
        return ledger.record_built_ins()
    finally:
        ledger.close()


def create_tables(store: Store, name: str = DEFAULT_NAME) -> None:
    """Create the view tables and the tracking table of projection ``name`` (idempotent).

    Part of create_schema: one explicit step before any worker starts, never at start-up
    (concurrent CREATEs race on PostgreSQL). Tests and benchmarks call it for views of their own.
    """
    install_projection(store, Views(name))


#: One table of each part the schema step makes, as (projection name, table): the views', the
#: audit trail's, the web's sessions.
SCHEMA_TABLES = ((DEFAULT_NAME, "tracking"), ("audit", "checkpoints"), ("web", "sessions"))


def schema_missing(store: Store) -> str | None:
    """What of the schema step's work ``store`` lacks (the events' table, or a projection's), or None.

    So that a command on a store never set up (a mistyped LEDGER_DB, a fresh file) says to run
    ``ledger init`` instead of failing deep inside with "no such table"; it creates nothing itself,
    since making the schema is one explicit step (concurrent CREATEs race on PostgreSQL)."""
    from projections.db import Db

    ledger = Ledger(env=store.environment(create_table=False))
    try:
        ledger.recorder.max_notification_id()
    except Exception:  # noqa: BLE001 - no such table (each store's driver names it its own way)
        return "the events' table"
    finally:
        ledger.close()
    for name, short in SCHEMA_TABLES:
        db = Db(store, name, pool_size=1)
        try:
            with db.transaction(commit=False) as cursor:
                cursor.execute(db.sql(f"SELECT 1 FROM {{{short}}} WHERE 1 = 0"))
        except Exception:  # noqa: BLE001 - as above
            return f"{name}_{short}"
        finally:
            db.close()
    return None


def without_schema(store: Store) -> str | None:
    """Why a command cannot run on ``store`` (its schema, or part of it, was never made), or None:
    the one message ``ledger`` and ``python -m api.serve`` give."""
    missing = schema_missing(store)
    return None if missing is None else (f"this store has no ledger schema ({missing} is missing): run `ledger init`"
                                         f" first (LEDGER_DB={store.url.split('@')[-1]})")


class StaleViews(Exception):
    """The views were made by another version of the ledger than this one: they need ``ledger rebuild``."""


def views_stale(store: Store, name: str = DEFAULT_NAME) -> str | None:
    """Why the views ``name`` cannot be read by this version (views_schema.VERSION), or None.

    Views made by an older version lack its tables, columns or rows, and read wrong without an
    error (sources as unknown ids, monthly counts off): so they are refused, never served, until
    rebuilt. Refused rather than rebuilt here: several workers start at once, and at a million
    events a rebuild takes minutes that a server's start (and its health checks) should not hide."""
    from projections.db import Db
    from projections.views_schema import VERSION

    db = Db(store, name, pool_size=1)
    try:
        with db.transaction(commit=False) as cursor:
            found = Views(name).schema_version(db, cursor)
    finally:
        db.close()
    if found == VERSION:
        return None
    made = "an older version of the ledger" if found is None or found < VERSION else "a newer version of the ledger"
    return (f"the views were made by {made} (views schema {found if found is not None else 'unrecorded'},"
            f" this version reads {VERSION}): run `ledger rebuild` once before serving (docs/operations.md)")


def check_views(store: Store, name: str = DEFAULT_NAME) -> None:
    """Raise StaleViews unless the views ``name`` are the ones this version reads."""
    why = views_stale(store, name)
    if why is not None:
        raise StaleViews(why)


def open_ledger(store: Store | None = None) -> Ledger:
    """The ledger application on an existing schema (run create_schema first)."""
    store = store or Store.from_environment()
    ledger = Ledger(env=store.environment(create_table=False))
    # Every event a command reads is then one the audit trail covers (or has yet to follow).
    ledger.coverage = covering(store, ledger)
    return ledger


def open_read_side(store: Store, ledger: Ledger) -> tuple[Any, Any]:
    """The projections' reader and a follower keeping their views current, or (None, None) without them.

    Raises StaleViews on views another version made (check_views): nothing reads them until rebuilt."""
    try:
        from projections.follower import Follower
        from projections.reader import Reader
        from projections.views import Views
    except ImportError as error:
        log.warning("query routes disabled: projections are not available (%s)", error)
        return None, None
    check_views(store)
    return Reader(store, pool_size=read_pool_size(), terms=ledger.terms), Follower(store, Views(), ledger=ledger)


#: Connections each worker's reader keeps open (LEDGER_READ_POOL; up to 10 more are opened for a
#: burst and closed after 10 idle minutes). A request holds one only for its reads, about a
#: quarter of its time over HTTP (a history page: ~4 ms of reads in ~16 ms), so a worker taking
#: 8 of the bench's 16 HTTP connections keeps 2-3 busy: 4, where 2 made most bursts open more.
#: Not more: each worker also holds the ledger's and the follower's pools, and a PostgreSQL
#: shared by several processes runs out of connections (100 by default) before its cores do.
READ_POOL = 4


def read_pool_size() -> int:
    return int(os.environ.get("LEDGER_READ_POOL") or READ_POOL)


def rebuild_views(store: Store, name: str = DEFAULT_NAME, *, progress: bool = True) -> dict[str, Any]:
    """``ledger rebuild``: empty the views ``name`` and replay the whole log into them (projections/rebuild.py)."""
    from projections.rebuild import rebuild

    # Only the log is read (its recorder and mapper): no command is given, so no coverage check.
    ledger = Ledger(env=store.environment(create_table=False))
    try:
        return rebuild(store, progress=progress, name=name, ledger=ledger)
    finally:
        ledger.close()


@contextmanager
def audit_trail(store: Store, **kwargs: Any) -> Iterator[AuditTrail]:
    """An audit trail on ``store`` with a ledger of its own, both closed on leaving (the CLI's, a script's)."""
    ledger = open_ledger(store)
    try:
        with AuditTrail(store, ledger=ledger, **kwargs) as trail:
            yield trail
    finally:
        ledger.close()
