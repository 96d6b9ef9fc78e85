"""The tamper-evident audit trail: a Merkle tree of the log, signed checkpoints, proofs, a mirror.

See docs/audit-trail.md. The pieces:

- ``projection.AuditProjection``: the stored tree (``audit_leaves``, ``audit_nodes``) and the
  audit log (``audit_log``), followed from the log by the generic follower;
- ``trail.AuditTrail``: one store's trail: catch up, proofs, checkpoints, log queries,
  the NDJSON mirror, attestations, a background checkpointer;
- ``replay_check.verify``: replay verification of the whole stored history;
- ``mirror.verify_mirror``: the offline verifier an auditor runs on a mirror;
(the ``ledger`` audit sub-commands are in api/audit_cli.py, on the entry side)

``install`` is the audit trail's part of the schema step (api/bootstrap.py ``create_schema``).
"""

from __future__ import annotations

from pathlib import Path

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
    "NotFoundError", "StoredCheckpoint", "VerificationReport", "install", "key_path", "verify", "verify_mirror",
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
