"""The tamper-evident audit trail: a Merkle tree of the log, signed checkpoints, proofs, a mirror.

See docs/audit-trail.md. The pieces:

- ``projection.AuditProjection``: the stored tree (``audit_leaves``, ``audit_nodes``) and the
  audit log (``audit_log``), followed from the log by the generic follower;
- ``trail.AuditTrail``: one store's trail: catch up, proofs, checkpoints, log queries,
  the NDJSON mirror, attestations, a background checkpointer;
- ``replay_check.verify``: replay verification of the whole stored history;
- ``mirror.verify_mirror``: the offline verifier an auditor runs on a mirror;
(the ``ledger`` audit sub-commands are in api/audit_cli.py, on the entry side)

The functions here are one-shot conveniences over ``AuditTrail`` for the CLI and scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ledger.store import Store
from projections.audit.mirror import MirrorError, MirrorReport, verify_mirror
from projections.audit.projection import AuditProjection
from projections.audit.tables import NAME
from projections.audit.signing import AuditConfigError, key_path
from projections.audit.trail import (
    AuditIntegrityError,
    AuditRequestError,
    AuditTrail,
    NotFoundError,
    StoredCheckpoint,
)
from projections.audit.replay_check import VerificationReport, verify

__all__ = [
    "AuditConfigError", "AuditIntegrityError", "AuditProjection", "AuditRequestError", "AuditTrail", "MirrorError", "MirrorReport",
    "NotFoundError", "StoredCheckpoint", "VerificationReport", "attestation", "install", "key_path",
    "make_checkpoint", "mirror", "public_key", "verify", "verify_mirror",
]


def install(store: Store, *, key_file: Path | str | None = None, origin: str | None = None) -> dict[str, str]:
    """The explicit schema step for the audit trail (idempotent): tables, tracking, origin and signing key.

    Creates the audit projection's tables and tracking, ``audit_checkpoints`` and ``audit_meta``,
    the Ed25519 key file if missing (``LEDGER_SIGNING_KEY``, see signing.key_path), and records
    the origin (``LEDGER_ORIGIN`` or ``incident-ledger/<random id>``) and verifier key. Returns
    ``{"origin", "verifier_key", "key_path"}``.
    """
    from projections.audit.signing import install_identity
    from projections.db import Db
    from projections.follower import install as install_projection

    install_projection(store, AuditProjection())
    db = Db(store, NAME, pool_size=1)
    try:
        return install_identity(db, Path(key_file) if key_file is not None else key_path(store), origin)
    finally:
        db.close()


def make_checkpoint(store: Store, *, key_file: Path | str | None = None) -> StoredCheckpoint | None:
    """Catch the tree up with the log and sign a checkpoint of it (None while the log is empty)."""
    with AuditTrail(store, key_file=key_file) as trail:
        return trail.make_checkpoint()


def public_key(store: Store) -> dict[str, str]:
    """``{"origin", "verifier_key"}``: the signed-note verifier key, e.g. ``incident-ledger/ab12…+1a2b3c4d+AQ…``."""
    with AuditTrail(store) as trail:
        return trail.public_key()


def mirror(store: Store, start: int = 0) -> Iterator[bytes]:
    """The NDJSON mirror from ``start`` up to the latest checkpoint, which its last line carries."""
    trail = AuditTrail(store)
    try:
        lines = trail.mirror(start)
    except BaseException:
        trail.close()
        raise
    try:
        yield from lines
    finally:
        trail.close()


def attestation(store: Store, **kwargs: Any) -> dict[str, Any]:
    """``{"position", "tree_size", "root", "checkpoint", "checkpoint_size", "state_digest"}`` for the live views."""
    with AuditTrail(store) as trail:
        return trail.attestation(**kwargs)
