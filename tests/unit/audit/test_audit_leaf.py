import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.leaf import LEAF_PREFIX, LeafRecord, format_recorded_at, leaf_bytes, parse_recorded_at

PLUS_TWO = timezone(timedelta(hours=2))
EXAMPLE = LeafRecord(
    position=1,
    originator_id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    version=2,
    topic="ledger.domain:IncidentReported",
    state=b'{"a":1}',
    recorded_at=datetime(2019, 4, 26, 2, 0, tzinfo=PLUS_TWO),
)
EXAMPLE_JSON = {
    "position": 1,
    "originator_id": "12345678-1234-5678-1234-567812345678",
    "version": 2,
    "topic": "ledger.domain:IncidentReported",
    "state": "eyJhIjoxfQ==",
    "recorded_at": "2019-04-26T00:00:00.000000Z",
}

offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
aware_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets.map(timezone)
)
records = st.builds(
    LeafRecord,
    position=st.integers(0, 2**64 - 1),
    originator_id=st.uuids(),
    version=st.integers(0, 2**64 - 1),
    topic=st.text(),
    state=st.binary(),
    recorded_at=aware_datetimes,
)
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def decode(data: bytes) -> tuple:
    """An independent reading of the layout in ledger/audit/leaf.py's docstring."""
    assert data.startswith(b"incident-ledger/leaf/v1\n")
    rest = data[24:]
    position, originator, version, rest = rest[:8], rest[8:24], rest[24:32], rest[32:]
    fields = []
    for _ in range(3):
        length = int.from_bytes(rest[:4], "big")
        fields.append(rest[4 : 4 + length])
        rest = rest[4 + length :]
    assert rest == b"", "trailing bytes"
    topic, state, recorded_at = fields
    return (
        int.from_bytes(position, "big"),
        uuid.UUID(bytes=originator),
        int.from_bytes(version, "big"),
        topic.decode("utf-8"),
        state,
        recorded_at.decode("ascii"),
    )


def test_known_answer_layout() -> None:
    expected = (
        b"incident-ledger/leaf/v1\n"
        + bytes.fromhex("0000000000000001")
        + bytes.fromhex("12345678123456781234567812345678")
        + bytes.fromhex("0000000000000002")
        + bytes.fromhex("0000001e")
        + b"ledger.domain:IncidentReported"
        + bytes.fromhex("00000007")
        + b'{"a":1}'
        + bytes.fromhex("0000001b")
        + b"2019-04-26T00:00:00.000000Z"
    )
    assert LEAF_PREFIX == b"incident-ledger/leaf/v1\n"
    assert EXAMPLE.leaf_bytes() == expected
    assert EXAMPLE.leaf_hash() == hashlib.sha256(b"\x00" + expected).digest()
    # Pinned so that every backend can check itself against one fixed value.
    assert EXAMPLE.leaf_hash().hex() == "18b7e5748a87d9504eb9f24d0eaf4b14ee037dc3124512749fcccfbd006c38e4"


@PROPERTY
@given(records)
def test_leaf_bytes_decode_back_to_the_record(record: LeafRecord) -> None:
    # A layout that decodes unambiguously cannot map two records to one leaf.
    assert decode(record.leaf_bytes()) == (
        record.position,
        record.originator_id,
        record.version,
        record.topic,
        record.state,
        format_recorded_at(record.recorded_at),
    )


@PROPERTY
@given(records)
def test_json_round_trip_is_exact(record: LeafRecord) -> None:
    line = orjson.dumps(record.to_json())
    parsed = LeafRecord.from_json(orjson.loads(line))
    assert parsed == record
    assert parsed.leaf_bytes() == record.leaf_bytes()
    assert orjson.dumps(parsed.to_json()) == line


@PROPERTY
@given(aware_datetimes)
def test_the_same_instant_gives_the_same_bytes_in_any_zone(moment: datetime) -> None:
    in_utc = moment.astimezone(UTC)
    assert format_recorded_at(moment) == format_recorded_at(in_utc)
    assert parse_recorded_at(format_recorded_at(moment)) == moment


def test_time_rendering() -> None:
    assert EXAMPLE.to_json() == EXAMPLE_JSON
    assert format_recorded_at(datetime(2019, 4, 26, 0, 0, 0, 5, tzinfo=UTC)) == "2019-04-26T00:00:00.000005Z"
    assert format_recorded_at(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"
    assert format_recorded_at(datetime(2019, 4, 26, 1, 30, tzinfo=PLUS_TWO)) == "2019-04-25T23:30:00.000000Z"


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2019, 4, 26)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_recorded_at(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        leaf_bytes(1, EXAMPLE.originator_id, 1, "t", b"", naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        LeafRecord(1, EXAMPLE.originator_id, 1, "t", b"", naive)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"position": -1}, ValueError),
        ({"position": 2**64}, ValueError),
        ({"position": True}, ValueError),
        ({"version": 1.0}, ValueError),
        ({"originator_id": "12345678-1234-5678-1234-567812345678"}, TypeError),
        ({"state": "text"}, TypeError),
        ({"state": bytearray(b"x")}, TypeError),
        ({"topic": b"bytes"}, TypeError),
        ({"topic": "\ud800"}, ValueError),
    ],
    ids=lambda value: repr(value) if isinstance(value, dict) else value.__name__,
)
def test_invalid_fields_are_refused(changes: dict, error: type) -> None:
    fields = {**EXAMPLE_JSON, "originator_id": EXAMPLE.originator_id, "state": EXAMPLE.state}
    fields["recorded_at"] = EXAMPLE.recorded_at
    fields.update(changes)
    with pytest.raises(error):
        LeafRecord(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"extra": 1},
        {"position": "1"},
        {"position": 1.0},
        {"version": True},
        {"version": None},
        {"originator_id": "12345678123456781234567812345678"},
        {"originator_id": "12345678-1234-5678-1234-567812345678".upper().replace("1234", "ABCD")},
        {"originator_id": "{12345678-1234-5678-1234-567812345678}"},
        {"originator_id": "not a uuid"},
        {"state": "eyJhIjoxfQ"},
        {"state": "eyJhIjoxfR=="},
        {"state": "eyJhIjox fQ=="},
        {"state": b"eyJhIjoxfQ=="},
        {"recorded_at": "2019-04-26T00:00:00Z"},
        {"recorded_at": "2019-04-26T00:00:00.000000+00:00"},
        {"recorded_at": "2019-04-26 00:00:00.000000Z"},
        {"recorded_at": "2019-02-30T00:00:00.000000Z"},
        {"recorded_at": "\uff12019-04-26T00:00:00.000000Z"},  # a fullwidth digit
        {"topic": 5},
    ],
    ids=repr,
)
def test_from_json_accepts_only_what_to_json_writes(changes: dict) -> None:
    assert LeafRecord.from_json(EXAMPLE_JSON) == EXAMPLE
    with pytest.raises(ValueError):
        LeafRecord.from_json({**EXAMPLE_JSON, **changes})


def test_from_json_requires_every_field() -> None:
    for name in EXAMPLE_JSON:
        partial = {key: value for key, value in EXAMPLE_JSON.items() if key != name}
        with pytest.raises(ValueError, match="fields must be exactly"):
            LeafRecord.from_json(partial)
