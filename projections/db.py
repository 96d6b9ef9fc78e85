"""The projection's own handle on the ledger's database: one datastore, two dialects.

The view tables live beside the events (same SQLite file, same PostgreSQL schema) and are
reached through eventsourcing's own factory and a tracking recorder, so that a view update
and the tracking of the event it came from commit in one transaction, on the same
connection the library uses for tracking.

Statements are written once, with ``?`` placeholders and ``{table}`` names; this module
turns them into each dialect. Text columns on PostgreSQL are declared ``COLLATE "C"`` so
that ORDER BY and keyset comparisons are bytewise, as they are on SQLite: pages, digests
and tie-breaks then come out identical on both stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from ledger.store import IDLE_TIMEOUT, Store
from projections.sealed_columns import SEALED
from projections.sealing import SealPlan, Sealer, open_rows

#: "Still current" in recording time: the largest value both stores hold in a 64-bit integer,
#: so an open interval is an ordinary range bound and needs no NULL test (which would defeat
#: the index).
OPEN = 2**63 - 1

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TABLE_REF = re.compile(r"\{([a-z_]+)\}")
#: ``INSERT INTO {table} (columns) VALUES (?, ...)`` and nothing more (no ON CONFLICT, no RETURNING).
_PLAIN_INSERT = re.compile(r"^INSERT INTO \{([a-z_]+)\} \(([a-z0-9_, ]+)\) VALUES \(\?(?:, \?)*\)$")
#: From this many rows on, PostgreSQL gets a plain INSERT as COPY (below it, a round trip either way).
_COPY_FROM = 20
#: Seconds a transaction of the views may stay idle between two statements before PostgreSQL ends
#: it; the ledger's own connections keep theirs (ledger/store.py, 5 by default). A follower works
#: out a batch in Python between its reads and its writes: a rebuild's 20,000 events take ~3 s on
#: an idle core and more than 5 s on a busy one (a 1M rebuild was ended at 340k events so).
VIEWS_IDLE_SECONDS = 120


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"projection name must be lower-case letters, digits and _ (got {name!r})")
    return name


class SQLiteViewTracking(SQLiteTrackingRecorder):
    """The library's SQLite tracking recorder, on a table of this projection's own.

    The stock recorder writes every follower's position into one ``tracking`` table keyed
    by the *upstream* application's name, so two projections of the same ledger in one file
    would overwrite each other's position. PostgreSQL already names the table after the
    projection (``{name}_tracking``); this does the same on SQLite.
    """

    tracking_table_name = "tracking"

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        t = self.tracking_table_name
        self.insert_tracking_statement = (
            f"INSERT INTO {t} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {t}.notification_id < :notification_id RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = f"SELECT MAX(notification_id) FROM {t} WHERE application_name=?"

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tracking_table_name} (application_name TEXT, "
            "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID"
        ]


class PostgresViewTracking(PostgresTrackingRecorder):
    """The library's PostgreSQL tracking recorder; the factory names its table ``{name}_tracking``."""


def _sqlite_tracking_class(name: str) -> type[SQLiteViewTracking]:
    return type(f"SQLiteViewTracking_{name}", (SQLiteViewTracking,), {"tracking_table_name": f"{name}_tracking"})


class Db:
    """A projection's database: its datastore, its tracking recorder and its SQL dialect."""

    def __init__(self, store: Store, name: str, *, pool_size: int | None = None, durable: bool = False) -> None:
        """``durable``: every commit survives a power cut, as the ledger's own do (a table that is
        not rebuilt from the log, such as the web's sessions); else commits are relaxed (_tune_sqlite)."""
        self.name = check_name(name)
        self.kind = store.kind
        env = Environment(name, store.environment())
        if pool_size is not None:
            env["POSTGRES_POOL_SIZE"] = str(pool_size)
        env[IDLE_TIMEOUT] = str(VIEWS_IDLE_SECONDS)
        self.factory = InfrastructureFactory.construct(env)
        if self.kind == "sqlite":
            self.tracking = self.factory.tracking_recorder(_sqlite_tracking_class(name))
            self.schema = ""
            _tune_sqlite(self.tracking.datastore.pool, durable)
        else:
            self.tracking = self.factory.tracking_recorder(PostgresViewTracking)
            self.schema = self.tracking.datastore.schema
        self.datastore = self.tracking.datastore
        self.tracking_table = self.table("tracking")
        self._statements: dict[str, str] = {}
        #: With CIPHER_KEY, what every statement seals and opens (projections/sealing.py).
        self.sealer = Sealer(store.cipher_key) if store.cipher_key else None
        self._plans: dict[str, SealPlan] = {}
        self._openers: dict[str, tuple[tuple[int, str], ...]] = {}

    # ---- names and statements ----------------------------------------------------------

    def table(self, short: str) -> str:
        """The quoted, schema-qualified name of this projection's table ``short``."""
        full = f"{self.name}_{short}"
        if self.kind == "sqlite":
            return f'"{full}"'
        return '"' + self.schema.replace('"', '""') + '"."' + full + '"'

    def has_table(self, cursor: Any, short: str) -> bool:
        """Whether this projection's table ``short`` exists (asked, not tried: a failed statement
        would end a PostgreSQL transaction, and a lost connection must not read as "no table")."""
        if self.kind == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (f"{self.name}_{short}",))
        else:
            cursor.execute("SELECT to_regclass(%s)", (self.table(short),))
        row = cursor.fetchone()
        return row is not None and _row(row)[0] is not None

    def sql(self, text: str) -> str:
        """``text`` with ``{table}`` names qualified and ``?`` placeholders in this dialect."""
        cached = self._statements.get(text)
        if cached is None:
            # psycopg reads % as the start of a placeholder; no statement here needs a literal one.
            assert "%" not in text, text
            cached = _TABLE_REF.sub(lambda m: self.table(m.group(1)), text)
            if self.kind == "postgres":
                cached = cached.replace("?", "%s")
            self._statements[text] = cached
        return cached

    def plan(self, text: str) -> SealPlan:
        plan = self._plans.get(text)
        if plan is None:
            plan = self._plans[text] = SealPlan.of(text, SEALED)
        return plan

    def sealed_params(self, text: str, params: Sequence[Any]) -> Sequence[Any]:
        """``params`` with those bound to sealed columns sealed (as they are without the key)."""
        return params if self.sealer is None else self.plan(text).seal(self.sealer, params)

    def opened(self, text: str, cursor: Any, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """``rows`` that ``text`` read on ``cursor``, with their sealed columns opened."""
        if self.sealer is None:
            return rows
        positions = self._openers.get(text)
        if positions is None:
            # The library's SQLite cursor wraps sqlite3's and does not pass its description on.
            description = getattr(cursor, "sqlite_cursor", cursor).description
            positions = self._openers[text] = self.plan(text).opener(description)
        return open_rows(self.sealer, positions, rows)

    # ---- running statements ------------------------------------------------------------

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            if commit and self.kind == "postgres":
                # As with SQLite's synchronous=NORMAL (see _tune_sqlite): the commit is atomic and
                # ordered, only its flush to disk is not awaited. A crash can lose the last batches,
                # views and position together, and the follower applies them again.
                cursor.execute("SET LOCAL synchronous_commit = off")
            yield cursor

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A read-only transaction in which every statement sees the same committed state."""
        if self.kind == "sqlite":
            with self.datastore.transaction(commit=False) as cursor:
                yield cursor
            return
        # READ COMMITTED would let a follower's commit land between two statements of one answer.
        # The level goes with BEGIN itself (psycopg's transaction() sends BEGIN, then SET
        # TRANSACTION, a round trip each), and in pipeline mode BEGIN waits for nothing: it goes
        # out with the first read, and the first fetch brings both answers back. A history page
        # waited for five round trips, now four; each is a wait to be scheduled again on a busy
        # machine (paired calls at 100k events, load average 10: 0.81x the time).
        with self.datastore.get_connection() as conn:  # autocommit: the library's pool
            # Plain tuples, as oneshot reads them: no dict made per row only to be unpacked again.
            cursor = conn.cursor(row_factory=tuple_row)
            with conn.pipeline():
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    yield cursor
                finally:
                    # Read only: nothing to keep. After a failed statement the connection comes
                    # back idle all the same, and the statement's own error is the one raised.
                    cursor.execute("ROLLBACK")

    def run(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> None:
        cursor.execute(self.sql(text), tuple(self.sealed_params(text, params)))

    def run_many(self, cursor: Any, text: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.sealer is not None and self.plan(text).params:
            plan, sealer = self.plan(text), self.sealer
            rows = [plan.seal(sealer, row) for row in rows]
        if self.kind == "postgres" and len(rows) >= _COPY_FROM:
            copy = self._copy_statement(text)
            if copy is not None:
                # A plain INSERT of many rows: COPY streams them in one statement, where even a
                # pipelined executemany binds and executes each row apart (5-10x slower).
                with cursor.copy(copy) as stream:
                    write = stream.write_row
                    for row in rows:
                        write(row)
                return
        # Lists and tuples alike: both drivers take any sequence of sequences as it is.
        cursor.executemany(self.sql(text), rows)

    def _copy_statement(self, text: str) -> str | None:
        key = "COPY " + text
        if key not in self._statements:
            match = _PLAIN_INSERT.match(text)
            self._statements[key] = None if match is None else (  # type: ignore[assignment]
                f"COPY {self.table(match.group(1))} ({match.group(2)}) FROM STDIN")
        return self._statements[key]

    def all(self, cursor: Any, text: str, params: Sequence[Any] = (), *, as_stored: bool = False,
            shape: type[Any] | None = None) -> list[Any]:
        """The rows of a query; ``as_stored``: sealed columns left sealed, parameters taken as stored;
        ``shape``: each row as this named tuple of its columns (named_rows.py)."""
        if as_stored:
            cursor.execute(self.sql(text), tuple(params))
            rows = [_row(r) for r in cursor.fetchall()]
        else:
            cursor.execute(self.sql(text), tuple(self.sealed_params(text, params)))
            rows = self.opened(text, cursor, [_row(r) for r in cursor.fetchall()])
        return rows if shape is None else [shape._make(r) for r in rows]

    def all_together(self, cursor: Any, *reads: tuple[str, Sequence[Any], type[Any] | None]) -> list[list[Any]]:
        """The rows of several independent queries ``(text, params, shape)``, as ``all`` gives each.
        In a PostgreSQL snapshot (pipeline mode) they go out together and come back in one round
        trip; on SQLite they run in turn."""
        if self.kind != "postgres":
            return [self.all(cursor, text, params, shape=shape) for text, params, shape in reads]
        # A cursor each (the snapshot's own may still hold BEGIN's result, not yet fetched).
        cursors = [cursor.connection.cursor(row_factory=tuple_row) for _ in reads]
        for c, (text, params, _) in zip(cursors, reads):
            c.execute(self.sql(text), tuple(self.sealed_params(text, params)))
        out = []
        for c, (text, _, shape) in zip(cursors, reads):
            rows = self.opened(text, c, c.fetchall())  # tuple_row: tuples already
            out.append(rows if shape is None else [shape._make(r) for r in rows])
        return out

    def read_at_once(self, *reads: tuple[str, Sequence[Any], type[Any] | None]) -> list[list[Any]]:
        """Several independent queries ``(text, params, shape)`` read in one snapshot of their own,
        as ``all_together`` gives them. On PostgreSQL BEGIN, the reads and ROLLBACK go out at once
        and come back in one round trip, where ``snapshot`` waits once more for its ROLLBACK."""
        if self.kind != "postgres":
            with self.snapshot() as c:
                return self.all_together(c, *reads)
        with self.datastore.get_connection() as conn:  # autocommit: the library's pool
            cursors = [conn.cursor(row_factory=tuple_row) for _ in range(len(reads) + 1)]
            try:
                with conn.pipeline():
                    cursors[0].execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    for c, (text, params, _) in zip(cursors[1:], reads):
                        c.execute(self.sql(text), tuple(self.sealed_params(text, params)))
                    cursors[0].execute("ROLLBACK")
                    out = []
                    for c, (text, _, shape) in zip(cursors[1:], reads):
                        rows = self.opened(text, c, c.fetchall())  # tuple_row: tuples already
                        out.append(rows if shape is None else [shape._make(r) for r in rows])
                return out
            finally:
                # A failed statement skips what follows it, ROLLBACK too: end the transaction here.
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.rollback()

    def one(self, cursor: Any, text: str, params: Sequence[Any] = (), *, shape: type[Any] | None = None) -> Any:
        """The first row of a query (as ``shape``, if given), or None."""
        cursor.execute(self.sql(text), tuple(self.sealed_params(text, params)))
        row = cursor.fetchone()
        if row is None:
            return None
        opened = self.opened(text, cursor, [_row(row)])[0]
        return opened if shape is None else shape._make(opened)

    def value(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> Any:
        """The one column of a query's first row, or None when there is no row."""
        row = self.one(cursor, text, params)
        return None if row is None else row[0]

    def column_type(self, kind: str) -> str:
        """Portable column types: text, int (64-bit), flag (0/1, never a boolean) and sealed
        (text, or its sealed bytes with the cipher on: projections/sealing.py)."""
        if kind == "sealed":
            kind = "blob" if self.sealer is not None else "text"
        if self.kind == "sqlite":
            return {"text": "TEXT", "int": "INTEGER", "flag": "INTEGER", "blob": "BLOB"}[kind]
        return {"text": 'TEXT COLLATE "C"', "int": "BIGINT", "flag": "SMALLINT", "blob": "BYTEA"}[kind]

    def close(self) -> None:
        self.factory.close()


def _tune_sqlite(pool: Any, durable: bool = False) -> None:
    """Settings for the projection's own SQLite connections (never the ledger's).

    ``synchronous=NORMAL`` in WAL mode keeps every commit atomic and the file consistent; a
    power cut may lose the last few commits, views and tracking together, which the
    follower then simply applies again. The ledger's own connections keep FULL. A larger
    page cache keeps the views' indexes in memory across batches. A view batch dirties pages
    of many indexes at once, so the default checkpoint (every 1,000 WAL pages, with an
    fsync) ran every batch or two and was the largest cost of committing one; at 8,192 pages
    (32 MB of WAL) it runs about ten times less often. A ``durable`` table keeps FULL: it is
    not rebuilt from the log, so a commit lost to a power cut is lost for good.
    """
    create = pool._create_connection

    def create_tuned() -> Any:
        connection = create()
        cursor = connection._sqlite_conn.cursor()
        cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA wal_autocheckpoint=8192")
        return connection

    pool._create_connection = create_tuned


def _row(row: Any) -> tuple[Any, ...]:
    # psycopg's dict rows keep the column order; sqlite3.Row iterates as a tuple.
    if isinstance(row, dict):
        return tuple(row.values())
    return tuple(row)
