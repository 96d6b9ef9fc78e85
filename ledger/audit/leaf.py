r"""Canonical leaf bytes of one stored event.

SQLite, PostgreSQL and an auditor's NDJSON mirror must all produce the same
bytes for the same event, or their Merkle roots diverge. The encoding is
therefore defined here once, independent of any driver's types. Changing it
changes every leaf hash: introduce a new prefix version rather than editing v1.

Layout, v1 (integers are unsigned big-endian)::

    size    field
    24      prefix        b"incident-ledger/leaf/v1\n" (ASCII, ends in 0x0A)
    8       position      the event's position in the log, 0 <= position < 2**64
    16      originator_id the UUID's 16 raw bytes (uuid.UUID.bytes, RFC 4122 order)
    8       version       originator version, 0 <= version < 2**64
    4       len(topic)    byte length of the next field
    n       topic         UTF-8
    4       len(state)    byte length of the next field
    m       state         the stored state bytes exactly as persisted
    4       len(time)     byte length of the next field (always 27 in practice)
    t       recorded_at   UTF-8 "YYYY-MM-DDTHH:MM:SS.ffffffZ", in UTC

    leaf hash = SHA-256(0x00 || leaf bytes)        (RFC 9162 §2.1.1)

Known answer, for checking another implementation: position 1, originator_id
12345678-1234-5678-1234-567812345678, version 2, topic
"ledger.domain:IncidentReported", state b'{"a":1}', recorded_at
2019-04-26T00:00:00.000000Z give the leaf hash
18b7e5748a87d9504eb9f24d0eaf4b14ee037dc3124512749fcccfbd006c38e4.

Every variable-length field carries its length, so no two distinct records
share an encoding. The prefix keeps these bytes from ever being valid under
another scheme or a later version of this one.

``recorded_at`` must be timezone-aware: a naive datetime means different
instants on machines with different local zones, so it is refused. It is
converted to UTC and rendered with exactly six fractional digits, the
precision of PostgreSQL's timestamptz and of Python's datetime; a backend
must store at least that precision (SQLite has no timestamp type: keep the
canonical string itself) or leaf bytes change on a round trip.

``state`` is committed as stored, not as decoded: if the application encrypts
or compresses state, the leaf commits to the ciphertext, so re-encrypting
stored events later breaks the audit trail.
"""

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.audit.hasher import hash_leaf

LEAF_PREFIX = b"incident-ledger/leaf/v1\n"

_U64_LIMIT = 1 << 64
_U32_LIMIT = 1 << 32
_TIME_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_JSON_FIELDS = frozenset({"position", "originator_id", "version", "topic", "state", "recorded_at"})


def format_recorded_at(recorded_at: datetime) -> str:
    """Render as the canonical UTC string, e.g. ``2019-04-26T00:00:00.000000Z``."""
    if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ValueError(f"recorded_at must be timezone-aware, got naive {recorded_at!r}")
    utc = recorded_at.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_recorded_at(text: str) -> datetime:
    """Inverse of format_recorded_at; accepts only the canonical form."""
    if not _TIME_PATTERN.fullmatch(text):
        raise ValueError(f"recorded_at {text!r} is not of the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def leaf_bytes(
    position: int,
    originator_id: uuid.UUID,
    version: int,
    topic: str,
    state: bytes,
    recorded_at: datetime,
) -> bytes:
    if not isinstance(originator_id, uuid.UUID):
        raise TypeError(f"originator_id must be a uuid.UUID, got {type(originator_id).__name__}")
    if not isinstance(topic, str):
        raise TypeError(f"topic must be a str, got {type(topic).__name__}")
    if not isinstance(state, bytes):
        raise TypeError(f"state must be bytes, got {type(state).__name__}")
    return b"".join(
        (
            LEAF_PREFIX,
            _u64("position", position),
            originator_id.bytes,
            _u64("version", version),
            _length_prefixed("topic", topic.encode("utf-8")),
            _length_prefixed("state", state),
            _length_prefixed("recorded_at", format_recorded_at(recorded_at).encode("ascii")),
        )
    )


def _u64(name: str, value: int) -> bytes:
    # bool is an int subclass; True as a position is a bug, not a 1.
    if type(value) is not int or not 0 <= value < _U64_LIMIT:
        raise ValueError(f"{name} must be an int in [0, 2**64), got {value!r}")
    return value.to_bytes(8, "big")


def _length_prefixed(name: str, data: bytes) -> bytes:
    if len(data) >= _U32_LIMIT:
        raise ValueError(f"{name} is {len(data)} bytes; the leaf encoding allows < 2**32")
    return len(data).to_bytes(4, "big") + data


@dataclass(frozen=True)
class LeafRecord:
    """One stored event as committed to the audit log."""

    position: int
    originator_id: uuid.UUID
    version: int
    topic: str
    state: bytes
    recorded_at: datetime

    def __post_init__(self) -> None:
        # Fail where a bad record is built, not later inside the appender.
        self.leaf_bytes()

    def leaf_bytes(self) -> bytes:
        return leaf_bytes(
            self.position, self.originator_id, self.version, self.topic, self.state, self.recorded_at
        )

    def leaf_hash(self) -> bytes:
        return hash_leaf(self.leaf_bytes())

    def to_json(self) -> dict[str, int | str]:
        """A JSON-ready dict for one NDJSON mirror line; from_json inverts it exactly."""
        return {
            "position": self.position,
            "originator_id": str(self.originator_id),
            "version": self.version,
            "topic": self.topic,
            "state": base64.b64encode(self.state).decode("ascii"),
            "recorded_at": format_recorded_at(self.recorded_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> "LeafRecord":
        """Parse a to_json dict, refusing anything to_json would not have produced.

        Strictness matters: an auditor recomputes leaf hashes from mirror
        lines, so two spellings of one value must not both be accepted.
        """
        if set(data) != _JSON_FIELDS:
            raise ValueError(f"leaf record fields must be exactly {sorted(_JSON_FIELDS)}, got {sorted(data)}")
        originator_id = _json_str(data, "originator_id")
        state = _json_str(data, "state")
        try:
            parsed_id = uuid.UUID(originator_id)
            parsed_state = base64.b64decode(state, validate=True)
        except (ValueError, binascii.Error) as error:
            raise ValueError(f"malformed leaf record: {error}") from None
        if str(parsed_id) != originator_id:
            raise ValueError(f"originator_id {originator_id!r} is not in canonical form {str(parsed_id)!r}")
        if base64.b64encode(parsed_state).decode("ascii") != state:
            raise ValueError("state is not canonical padded standard base64")
        return cls(
            position=_json_int(data, "position"),
            originator_id=parsed_id,
            version=_json_int(data, "version"),
            topic=_json_str(data, "topic"),
            state=parsed_state,
            recorded_at=parse_recorded_at(_json_str(data, "recorded_at")),
        )


def _json_str(data: Mapping[str, object], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a JSON string, got {value!r}")
    return value


def _json_int(data: Mapping[str, object], name: str) -> int:
    value = data[name]
    if type(value) is not int:
        raise ValueError(f"{name} must be a JSON integer, got {value!r}")
    return value
