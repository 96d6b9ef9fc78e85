"""A receipt: proof that a request key was used, and what the command answered.

Saved in the same transaction as the command's own events, so a retried request (from
this process or another) either finds the receipt and gets the first answer back, or
races the first attempt and loses on the receipt's version, recording nothing twice.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
from eventsourcing.domain import Aggregate

from ledger.errors import RequestKeyReused
from ledger.event import LedgerCreated

RECEIPT_NAMESPACE = uuid.UUID("0b9e3c1d-7a44-4f0e-8f6e-52d1c0a4e7aa")


class ContentKey(str):
    """A request key made from what a command records rather than chosen by its sender (an
    import's rows: api/imports/record.py): its receipt is the ledger's, not the actor's, so the
    same content sent by any officer records once. Only code makes one; a key from a request
    (an API call's Idempotency-Key) is a plain str and stays its caller's."""


def receipt_id(actor: str, request_key: str) -> uuid.UUID:
    # Keys are scoped to the actor, so two clients that happen to pick the same key never
    # collide; a content key to no one (null: no actor is empty), so that it is one ledger-wide.
    scope = None if isinstance(request_key, ContentKey) else actor
    return uuid.uuid5(RECEIPT_NAMESPACE, orjson.dumps([scope, str(request_key)]).decode())


def fingerprint(command: str, arguments: dict[str, Any]) -> str:
    payload = orjson.dumps([command, arguments], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(payload).hexdigest()


class Replayed(dict):  # type: ignore[type-arg]
    """A command's answer given again from its receipt: this call recorded nothing. Read as
    the same dict (the API answers it unchanged); a caller counting what it filed tells the
    two apart, even when two processes sent one key at once (api/imports/record.py)."""


def replayed(answer: dict[str, Any]) -> bool:
    """Whether ``answer`` came from an earlier call's receipt rather than from this call's work."""
    return isinstance(answer, Replayed)


class Receipt(Aggregate):
    class Issued(LedgerCreated):
        request_key: str
        command: str
        fingerprint: str
        result: dict[str, Any]

    def __init__(self, *, actor: str, request_key: str, command: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.actor = actor
        self.request_key = request_key
        self.command = command
        self.fingerprint = fingerprint
        self.result = result

    @classmethod
    def issue(cls, actor: str, request_key: str, command: str, fingerprint: str, result: dict[str, Any]) -> Receipt:
        return cls._create(
            cls.Issued, id=receipt_id(actor, request_key), actor=actor, request_key=str(request_key),
            command=command, fingerprint=fingerprint, result=result,
        )

    def replay(self, fingerprint: str) -> dict[str, Any]:
        if fingerprint != self.fingerprint:
            raise RequestKeyReused(self.request_key)
        return Replayed(self.result)
