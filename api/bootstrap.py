"""The one place that wires the ledger to its store, its read models and its audit trail.

Everything that starts the product (the CLI, the web server, the tests, the benchmarks)
goes through here, so the schema step, the transcoder and the cipher are set the same way
everywhere.
"""

from __future__ import annotations

from ledger.application import Ledger
from ledger.store import Store


def create_schema(store: Store) -> None:
    """Create every table once, before any worker starts (idempotent)."""
    if store.kind == "postgres" and store.postgres_schema:
        from psycopg import sql

        with store.connect_postgres() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(store.postgres_schema)))
    ledger = Ledger(env=store.environment(create_table=True))
    ledger.close()
    # Imported here so that the domain and the application service never import the read side.
    from projections.audit import install as install_audit
    from projections.views_schema import create_tables

    create_tables(store)
    install_audit(store)


def open_ledger(store: Store | None = None) -> Ledger:
    """The ledger application on an existing schema (run create_schema first)."""
    store = store or Store.from_environment()
    ledger = Ledger(env=store.environment(create_table=False))
    from projections.audit.coverage import covering

    # Every event a command reads is then one the audit trail covers (or has yet to follow).
    ledger.coverage = covering(store, ledger)
    return ledger
