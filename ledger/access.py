"""Access keys: who may do what. Issuing and revoking a key are events like any other.

Only the SHA-256 of a key is stored. A key reads ``ilk_<secret>``; its aggregate id is
derived from the hash, so authenticating is one lookup, with no table to scan.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.errors import InvalidInput
from ledger.event import LedgerCreated, LedgerEvent
from ledger.limits import MAX_ACTOR

ROLES = {
    "officer": "files reports, cites sources, corrects, supersedes, retracts and grades figures; reads everything public",
    "auditor": "reads everything, protected sources and the audit trail included; records nothing",
    "reader": "reads public projections only",
}
#: Who may do what beyond reading the public record, in one place: the API's guards read it here.
GIVES_COMMANDS = ("officer",)
SEES_PROTECTED = ("auditor",)  # protected sources and whatever would identify them
READS_AUDIT_TRAIL = ("auditor",)
KEY_NAMESPACE = uuid.UUID("a3f4d5e6-1b2c-4d8e-9f01-23456789abcd")
PREFIX = "ilk_"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id(key: str) -> uuid.UUID:
    return uuid.uuid5(KEY_NAMESPACE, key_hash(key))


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


class AccessKey(Aggregate):
    class Issued(LedgerCreated):
        owner: str
        role: str
        key_hash: str

    class Revoked(LedgerEvent):
        reason: str

        def apply(self, key: AccessKey) -> None:
            key.revoked = True

    def __init__(self, *, actor: str, owner: str, role: str, key_hash: str) -> None:
        self.issued_by = actor
        self.owner = owner
        self.role = role
        self.key_hash = key_hash
        self.revoked = False

    @classmethod
    def issue(cls, actor: str, *, owner: object, role: object, key: str) -> AccessKey:
        if role not in ROLES:
            raise InvalidInput(f"role {role!r} is not known; use one of: {', '.join(ROLES)}", field="role")
        return cls._create(
            cls.Issued, id=key_id(key), actor=checks.actor(actor),
            owner=checks.text(owner, "owner", max_length=MAX_ACTOR), role=role, key_hash=key_hash(key),
        )

    def revoke(self, actor: str, *, reason: object) -> None:
        if self.revoked:
            raise InvalidInput("the key is already revoked", field="key_id")
        self.trigger_event(self.Revoked, actor=checks.actor(actor), reason=checks.reason(reason))

    def matches(self, key: str) -> bool:
        return not self.revoked and secrets.compare_digest(self.key_hash, key_hash(key))
