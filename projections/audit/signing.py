"""The log's identity: its origin and its Ed25519 signing key, fixed once by ``install``.

- The private key is a PKCS#8 PEM file at ``LEDGER_SIGNING_KEY``; by default
  ``signing-key.pem`` next to the SQLite file (``var/`` for the default store), or
  ``./var/signing-key.pem`` for PostgreSQL. ``install`` creates it (mode 0600) if missing,
  never overwrites one. Keep it out of the database and the repository.
- The origin names the log in every checkpoint and is the verifier key's name:
  ``LEDGER_ORIGIN`` at install time, or ``incident-ledger/<16 random hex digits>``.
- Both are recorded in ``audit_meta`` at install. From then on a process that signs checks
  that its key and origin are the recorded ones (a replaced key file or a changed
  LEDGER_ORIGIN would orphan every checkpoint signed so far), and a process without the key
  (a web worker) can still publish the verifier key.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.keys import (
    VerifierKey,
    check_key_name,
    encode_verifier_key,
    generate_private_key,
    load_private_key,
    parse_verifier_key,
    save_private_key,
)
from ledger.store import Store
from projections.audit.tables import kept_statements
from projections.db import Db

ENV_KEY = "LEDGER_SIGNING_KEY"
ENV_ORIGIN = "LEDGER_ORIGIN"
KEY_FILE = "signing-key.pem"
ORIGIN_PREFIX = "incident-ledger/"


class AuditConfigError(RuntimeError):
    """The signing key or origin is missing, or is not the one this ledger was installed with."""


def key_path(store: Store) -> Path:
    """Where the signing key lives for ``store`` (LEDGER_SIGNING_KEY overrides)."""
    configured = os.environ.get(ENV_KEY)
    if configured:
        return Path(configured)
    if store.kind == "sqlite":
        path = store.url[len("sqlite:///"):]
        if path and path != ":memory:" and "mode=memory" not in path:
            return Path(path).parent / KEY_FILE
    return Path("var") / KEY_FILE


def configured_origin() -> str | None:
    origin = os.environ.get(ENV_ORIGIN) or None
    if origin is not None:
        try:
            check_key_name(origin)
        except ValueError as error:
            raise AuditConfigError(f"{ENV_ORIGIN}: {error}") from None
    return origin


def ensure_private_key(path: Path) -> Ed25519PrivateKey:
    """Load the key at ``path``, creating it (0600, in a 0700 directory if new) when absent."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            save_private_key(generate_private_key(), path)
        except FileExistsError:  # another process made it first: use theirs
            pass
    return load_private_key(path)


def read_meta(db: Db, cursor: Any) -> dict[str, str]:
    return {k: v for k, v in db.all(cursor, "SELECT key, value FROM {meta}")}


def _put_meta(db: Db, cursor: Any, key: str, value: str) -> str:
    db.run(cursor, "INSERT INTO {meta} (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
    value = db.value(cursor, "SELECT value FROM {meta} WHERE key = ?", (key,))
    assert value is not None
    return value


def install_identity(db: Db, path: Path, origin: str | None = None) -> dict[str, str]:
    """Create the kept tables and record origin and verifier key (idempotent)."""
    wanted = origin or configured_origin()
    if wanted is not None:
        check_key_name(wanted)
    private_key = ensure_private_key(path)
    with db.transaction(commit=True) as cursor:
        for statement in kept_statements(db):
            cursor.execute(statement)
        meta = read_meta(db, cursor)
        recorded_origin = _put_meta(db, cursor, "origin",
                                    meta.get("origin") or wanted or f"{ORIGIN_PREFIX}{uuid.uuid4().hex[:16]}")
        if wanted is not None and wanted != recorded_origin:
            raise AuditConfigError(f"{ENV_ORIGIN}={wanted!r}, but this ledger's checkpoints are signed for origin"
                                   f" {recorded_origin!r} (recorded at install); the origin cannot change")
        verifier = _put_meta(db, cursor, "verifier_key", encode_verifier_key(recorded_origin, private_key.public_key()))
        _check_key(private_key, recorded_origin, verifier, path)
    return {"origin": recorded_origin, "verifier_key": verifier, "key_path": str(path)}


def _check_key(private_key: Ed25519PrivateKey, origin: str, verifier: str, path: Path) -> None:
    mine = encode_verifier_key(origin, private_key.public_key())
    if mine != verifier:
        raise AuditConfigError(
            f"the signing key at {path} is not this ledger's key: checkpoints verify with {verifier},"
            f" the file's key is {mine}. Restore the original key file (or point {ENV_KEY} at it)."
        )


class Identity:
    """The recorded origin and verifier key, and (loaded on first use) the private key."""

    def __init__(self, origin: str, verifier_key: str, path: Path) -> None:
        self.origin = origin
        self.verifier_key = verifier_key
        self.path = Path(path)
        self._private: Ed25519PrivateKey | None = None

    @classmethod
    def from_meta(cls, meta: dict[str, str], path: Path) -> Identity:
        if "origin" not in meta or "verifier_key" not in meta:
            raise AuditConfigError("the audit trail is not installed on this store: run the schema step (ledger init)")
        wanted = configured_origin()
        if wanted is not None and wanted != meta["origin"]:
            raise AuditConfigError(f"{ENV_ORIGIN}={wanted!r}, but this ledger's origin is {meta['origin']!r}")
        return cls(meta["origin"], meta["verifier_key"], path)

    def verifier(self) -> VerifierKey:
        return parse_verifier_key(self.verifier_key)

    def private_key(self) -> Ed25519PrivateKey:
        if self._private is None:
            if not self.path.exists():
                raise AuditConfigError(f"no signing key at {self.path} (set {ENV_KEY}); this process cannot sign")
            key = load_private_key(self.path)
            _check_key(key, self.origin, self.verifier_key, self.path)
            self._private = key
        return self._private
