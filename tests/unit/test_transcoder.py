from datetime import UTC, datetime

from ledger.transcoder import OrjsonTranscoder


def transcoder() -> OrjsonTranscoder:
    from eventsourcing.persistence import DatetimeAsISO

    t = OrjsonTranscoder()
    t.register(DatetimeAsISO())
    return t


def test_top_level_and_nested_datetimes_round_trip():
    t = transcoder()
    when = datetime(2019, 4, 26, 12, 0, 0, 123456, tzinfo=UTC)
    for state in (
        {"timestamp": when, "value": {"low": 1, "high": None}},
        {"timestamp": when, "nested": {"at": when, "list": [when, {"x": when}]}},
        {"plain": "مئات", "n": 3},
    ):
        assert t.decode(t.encode(state)) == state


def test_a_payload_that_merely_mentions_the_marker_is_left_alone():
    t = transcoder()
    state = {"quote": 'the text "_type_" appears here', "timestamp": datetime(2020, 1, 1, tzinfo=UTC)}
    assert t.decode(t.encode(state)) == state


def test_an_event_payload_decodes_as_the_library_json_transcoder_decodes_it():
    """The direct timestamp path gives exactly what the generic restore gives."""
    from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder

    library = JSONTranscoder()
    library.register(DatetimeAsISO())
    t = transcoder()
    when = datetime(2019, 4, 26, 12, 0, 0, 123456, tzinfo=UTC)
    for state in (
        {"timestamp": when, "actor": "a", "value": {"qualifier": "exact", "number": 3}, "evidence": []},
        {"timestamp": when, "note": {"_type_": "not-ours"}, "x": 1},  # a second marker: generic path
        {"when": when, "timestamp": "not wrapped"},
    ):
        encoded = t.encode(state)
        decoded = t.decode(encoded)
        assert decoded == state == library.decode(library.encode(state))
        assert type(decoded["timestamp"]) is type(state["timestamp"])
