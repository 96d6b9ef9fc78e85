"""Where the ledger is kept: one URL, turned into eventsourcing's own configuration.

``sqlite:///path/to/ledger.db`` (the embedded default) or
``postgresql://user:password@host:port/dbname?schema=name``. Both go through the library's
persistence modules; nothing here talks SQL to the event store itself.

The schema is made in one explicit step (``ledger init``), never implicitly at start-up:
several processes constructing the application against one PostgreSQL at once would race
on ``CREATE OR REPLACE FUNCTION`` (see docs/operations.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_URL = "sqlite:///var/ledger.db"
TRANSCODER_TOPIC = "ledger.transcoder:OrjsonTranscoder"
#: The one place the idle-in-transaction limit is read from (seconds, whole; 0 = none).
IDLE_TIMEOUT = "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"


@dataclass(frozen=True)
class Store:
    url: str
    #: AES-GCM key (base64, 16/24/32 bytes) for the library's cipher: encrypts event state at rest.
    cipher_key: str | None = None

    @classmethod
    def from_environment(cls) -> Store:
        return cls(os.environ.get("LEDGER_DB", DEFAULT_URL), os.environ.get("CIPHER_KEY") or None)

    @property
    def kind(self) -> str:
        scheme = urlsplit(self.url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgresql", "postgres"):
            return "postgres"
        raise ValueError(f"LEDGER_DB must start with sqlite:/// or postgresql://, got {self.url!r}")

    @property
    def sqlite_path(self) -> str:
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        path = self.url[len("sqlite:///"):]
        if path != ":memory:" and "mode=memory" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def postgres_schema(self) -> str:
        return parse_qs(urlsplit(self.url).query).get("schema", [""])[0]

    def connect_postgres(self):  # -> psycopg.Connection
        """A plain autocommit connection to this PostgreSQL store, for schema work and admin tasks.

        The event store itself always goes through eventsourcing's persistence module.
        """
        import psycopg

        env = self.environment()
        return psycopg.connect(
            dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
        )

    def environment(self, *, create_table: bool = False) -> dict[str, str]:
        """The eventsourcing environment for the ledger application."""
        env = {
            "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
            "CREATE_TABLE": "y" if create_table else "n",
            # Without a cache every command replays the whole history of a hot figure. How
            # the ledger reads through it, and why that stays right with several processes
            # writing, is in ledger/loading.py and ledger/once.py (Ledger._get, Ledger._run): reads whose
            # current state decides are brought up to date from the store; commands change
            # private copies, and a change made on a stale copy fails on the store's unique
            # (id, version) and is done again on fresh reads.
            "AGGREGATE_CACHE_MAXSIZE": os.environ.get("LEDGER_AGGREGATE_CACHE", "10000"),
        }
        if self.cipher_key:
            # The library's own AES-GCM cipher on the `cryptography` package (already a dependency
            # for checkpoint signing), rather than its default that needs pycryptodome.
            env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
            env["CIPHER_KEY"] = self.cipher_key
        if self.kind == "sqlite":
            env.update(PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=self.sqlite_path,
                       SQLITE_LOCK_TIMEOUT=os.environ.get("SQLITE_LOCK_TIMEOUT", "10"))
            return env
        parts = urlsplit(self.url)
        env.update(
            PERSISTENCE_MODULE="ledger.store:PostgresFactory",
            POSTGRES_DBNAME=parts.path.lstrip("/") or "postgres",
            POSTGRES_HOST=parts.hostname or "127.0.0.1",
            POSTGRES_PORT=str(parts.port or 5432),
            POSTGRES_USER=unquote(parts.username or "postgres"),
            POSTGRES_PASSWORD=unquote(parts.password or ""),
            POSTGRES_SCHEMA=self.postgres_schema,
            # The library's default, 0, waits forever on the table lock that serialises writers.
            POSTGRES_LOCK_TIMEOUT=os.environ.get("POSTGRES_LOCK_TIMEOUT", "10"),
            POSTGRES_POOL_SIZE=os.environ.get("POSTGRES_POOL_SIZE", "5"),
            # While the database is down a request should fail soon (the API answers 503), not wait
            # the library's 5 s for each of its retries; a pooled connection is checked before use,
            # so the first requests after a restart do not meet connections the restart broke.
            POSTGRES_CONNECT_TIMEOUT=os.environ.get("POSTGRES_CONNECT_TIMEOUT", "1"),
            POSTGRES_PRE_PING=os.environ.get("POSTGRES_PRE_PING", "y"),
            POSTGRES_POOL_WAIT=os.environ.get("POSTGRES_POOL_WAIT", ""),
            # A transaction left open this many seconds between two statements is ended by the
            # server (the library's default, 5): a hung process then holds no lock for long. The
            # views' connections, which work out whole batches between statements, set their own
            # (projections/db.py), and the end of a replay lifts it for itself (projections/views.py).
            POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT=os.environ.get(IDLE_TIMEOUT, "5"),
        )
        return env


@cache
def _postgres_factory() -> type:
    from eventsourcing.postgres import PostgresFactory as LibraryFactory

    class PostgresFactory(LibraryFactory):
        """The library's PostgreSQL persistence, with a pool wait finer than whole seconds.

        The library retries each database call 10 times, 0.2 s apart, and each attempt waits
        POSTGRES_CONNECT_TIMEOUT (whole seconds, 1 at least; 0 fails every attempt) for a pooled
        connection: ~12 s per call before a 503 while the database is down. POSTGRES_POOL_WAIT
        (seconds, a fraction allowed) replaces that wait when set; unset, nothing changes.
        """

        def __init__(self, env) -> None:  # noqa: ANN001 (the library's Environment)
            super().__init__(env)
            pool = self.datastore.pool
            wait = self.env.get("POSTGRES_POOL_WAIT")
            if wait:
                pool.timeout = float(wait)
            if pool._check is not None:  # POSTGRES_PRE_PING: psycopg_pool's check, a round trip per use
                _check_after_idle(pool)

    return PostgresFactory


#: A pooled connection handed back less than this many seconds ago is handed out again unchecked.
FRESH_SECONDS = 1.0


def _check_after_idle(pool) -> None:  # noqa: ANN001 (a psycopg_pool.ConnectionPool)
    """Check a pooled connection before use only when it has been idle for FRESH_SECONDS.

    The check (an empty query) is one more round trip on every checkout, as much as a small
    read itself: most requests make one such read. It is there for the connections a
    database restart broke while they sat in the pool; a restart takes longer than
    FRESH_SECONDS, so a connection that worked that recently was not idle across one. A
    connection that fails in use anyway is discarded by the pool when handed back (the
    request answers 503, as while the database is down).
    """
    from time import monotonic

    check, reset = pool._check, pool._reset

    def check_if_idle(conn) -> None:  # noqa: ANN001
        if monotonic() - getattr(conn, "_ledger_returned_at", float("-inf")) >= FRESH_SECONDS:
            check(conn)

    def reset_and_stamp(conn) -> None:  # noqa: ANN001
        if reset is not None:
            reset(conn)
        conn._ledger_returned_at = monotonic()

    # psycopg_pool keeps its callbacks as these attributes (psycopg_pool 3.2-3.3); the library
    # builds the pool, so they are replaced here rather than passed in.
    pool._check, pool._reset = check_if_idle, reset_and_stamp


def __getattr__(name: str) -> type:
    # Resolved by the library from PERSISTENCE_MODULE; built on first use, so SQLite-only
    # processes never import the PostgreSQL driver.
    if name == "PostgresFactory":
        return _postgres_factory()
    raise AttributeError(name)
