"""Signed checkpoints (https://c2sp.org/tlog-checkpoint): the log's signed tree heads.

A checkpoint is a signed note (see ledger.audit.note) whose text is::

    <origin>
    <tree size, ASCII decimal, no leading zeros>
    <base64 of the 32-byte RFC 9162 root hash>
    time <UTC time, YYYY-MM-DDTHH:MM:SSZ>        (optional extension line)

then a blank line and signature lines
``— <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>``.
Example: the Certificate Transparency test tree of 8 leaves, signed with the
Ed25519 seed bytes(range(32)), verifier key
``incident-ledger.example/log+77ffa3e0+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4``::

    incident-ledger.example/log
    8
    XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=
    time 2026-11-25T16:31:14Z

    — incident-ledger.example/log d/+j4AKwJweMkLYaql7dSeS5alqRM23PP0Nd29Yq63ePnbfE6Vt4yvPr4gfpfr5YWNLY1xl6LhxNxNTzuIMnDJhw5wM=

The time line is the log's own claim about when it signed. It is covered by
the log's Ed25519 signature, but the spec marks extension lines as opaque and
not auditable: witnesses co-signing the checkpoint vouch for the first three
lines only. Any extension line other than one ``time`` line is refused, since
this module could not reproduce it.

Trust: a valid signature shows only that the key holder signed this tree
head. It is the consistency proofs between successive checkpoints, checked
by someone other than the log, that show history was not rewritten.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.hasher import HASH_SIZE
from ledger.audit.keys import VerifierKey
from ledger.audit.note import NoteError, NoteSignature, sign_note, split_note, verify_note

_U64_LIMIT = 1 << 64
_SIZE = re.compile(r"0|[1-9][0-9]*")
_TIME_PREFIX = "time "
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class CheckpointError(NoteError):
    """A note whose text is not a well-formed checkpoint of the expected log."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    time: datetime | None = None

    def __post_init__(self) -> None:
        if not self.origin or any(char < " " for char in self.origin):
            raise CheckpointError(f"origin {self.origin!r} must be non-empty, on one line, without control characters")
        if type(self.size) is not int or not 0 <= self.size < _U64_LIMIT:
            raise CheckpointError(f"tree size must be an int in [0, 2**64), got {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes")
        if self.time is not None:
            if self.time.tzinfo is None or self.time.utcoffset() is None:
                raise CheckpointError("checkpoint time must be timezone-aware")
            # The time line has whole seconds; finer values would not survive a round trip.
            if self.time.microsecond:
                raise CheckpointError("checkpoint time must be whole seconds (use .replace(microsecond=0))")

    def body(self) -> str:
        """The note text that gets signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        if self.time is not None:
            utc = self.time.astimezone(UTC).replace(tzinfo=None)
            lines.append(_TIME_PREFIX + utc.isoformat(timespec="seconds") + "Z")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_body(cls, text: str) -> "Checkpoint":
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise CheckpointError("checkpoint text must be at least three non-empty lines")
        origin, size, root_b64, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise CheckpointError(f"tree size {size!r} is not a decimal without leading zeros")
        try:
            root_hash = base64.b64decode(root_b64, validate=True)
        except binascii.Error:
            raise CheckpointError(f"root hash {root_b64!r} is not base64") from None
        if base64.b64encode(root_hash).decode("ascii") != root_b64:
            raise CheckpointError(f"root hash {root_b64!r} is not canonical base64")
        return cls(origin, int(size), root_hash, _parse_extensions(extensions))


def _parse_extensions(extensions: list[str]) -> datetime | None:
    if not extensions:
        return None
    if len(extensions) > 1 or not extensions[0].startswith(_TIME_PREFIX):
        raise CheckpointError(f"unsupported checkpoint extension lines {extensions!r}")
    value = extensions[0][len(_TIME_PREFIX) :]
    if not _TIME.fullmatch(value):
        raise CheckpointError(f"checkpoint time {value!r} is not of the form YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise CheckpointError(f"checkpoint time {value!r} is not a valid date and time") from None


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """The complete signed note. C2SP asks that key_name match the origin."""
    return sign_note(checkpoint.body(), private_key, key_name)


def parse_note(text: str) -> tuple[Checkpoint, list[NoteSignature]]:
    """Parse a signed checkpoint without verifying it: for display and debugging only."""
    body, signatures = split_note(text)
    return Checkpoint.from_body(body), signatures


def verify_checkpoint(text: str, verifier_key: VerifierKey, origin: str | None = None) -> Checkpoint:
    """The checkpoint, if verifier_key signed it and it is for the expected log.

    The expected origin defaults to the key's name. Checking it stops a
    checkpoint that the same key signed for another log from being passed off
    as one of this log's.
    """
    checkpoint = Checkpoint.from_body(verify_note(text, verifier_key))
    expected = verifier_key.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointError(f"checkpoint is for origin {checkpoint.origin!r}, expected {expected!r}")
    return checkpoint
