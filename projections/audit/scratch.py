"""Throw-away stores for ``ledger verify``'s rebuilds, and the clearing of those a crash left behind.

On SQLite a scratch store is a temporary directory, on PostgreSQL a schema in the ledger's
database. Either is removed when the rebuild ends, however it ends (an error, Ctrl-C, a
SIGTERM turned into SystemExit by the CLI). A process killed outright (SIGKILL, a power
cut) runs no clean-up, so every verification first clears what earlier, dead ones left
(``clear_stale``):

- a scratch schema is named ``ledger_verify_<pid>_<unix time>_<random>`` and its maker holds
  a session advisory lock on that name for as long as it uses it. PostgreSQL releases the
  lock when the session ends, whatever ends it, so a schema whose lock can be taken has no
  living owner, on this host or any other, and is dropped;
- a scratch directory is named ``ledger-verify-<pid>-<random>`` in the system's temporary
  directory (always on this host), and is removed when no process of that pid is alive.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ledger.store import Store

SCHEMA_PREFIX = "ledger_verify_"
DIRECTORY_PREFIX = "ledger-verify-"
_SCHEMA = re.compile(rf"^{SCHEMA_PREFIX}\d+_\d+_[0-9a-f]+$")
_DIRECTORY = re.compile(rf"^{DIRECTORY_PREFIX}(\d+)-")
_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))"


def schema_name() -> str:
    return f"{SCHEMA_PREFIX}{os.getpid()}_{int(time.time())}_{uuid.uuid4().hex[:8]}"


def _with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "schema"]
    query.append(("schema", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _drop(conn: Any, schema: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def clear_stale_schemas(store: Store) -> list[str]:
    """Drop the scratch schemas whose maker is gone (its advisory lock is free); return their names."""
    dropped = []
    with store.connect_postgres() as conn:
        names = [nspname for (nspname,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (SCHEMA_PREFIX,)).fetchall()]
        for name in filter(_SCHEMA.match, names):
            (gone,) = conn.execute(_LOCK, (name,)).fetchone()
            if gone:
                try:
                    _drop(conn, name)
                    dropped.append(name)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
    return dropped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clear_stale_directories(root: str | None = None) -> list[str]:
    """Remove the scratch directories of processes that no longer run; return their paths."""
    removed = []
    for entry in Path(root or tempfile.gettempdir()).glob(f"{DIRECTORY_PREFIX}*"):
        match = _DIRECTORY.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(str(entry))
    return removed


def clear_stale(store: Store) -> list[str]:
    """What crashed verifications left on this store's kind: schemas (PostgreSQL) or directories (SQLite)."""
    return clear_stale_directories() if store.kind == "sqlite" else clear_stale_schemas(store)


@contextmanager
def scratch_store(store: Store) -> Iterator[Store]:
    """A throw-away store for rebuilds: a temporary SQLite file, or a temporary PostgreSQL schema."""
    if store.kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{DIRECTORY_PREFIX}{os.getpid()}-") as directory:
            yield Store(f"sqlite:///{directory}/scratch.db", store.cipher_key)
        return
    from psycopg import sql

    schema = schema_name()
    # The lock is taken before the schema exists and held on its own session until the schema is
    # gone: no other run's clearing can ever take a schema in use for a stale one.
    with store.connect_postgres() as owner:
        owner.execute(_LOCK, (schema,))
        owner.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            yield Store(_with_schema(store.url, schema), store.cipher_key)
        finally:
            _drop(owner, schema)
