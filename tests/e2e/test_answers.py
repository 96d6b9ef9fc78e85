"""What the query routes keep between requests: key checks and rendered answers, valid while
the log's head stays put, and never shared between callers who may see different things."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.bootstrap import open_ledger
from ledger.access import key_id
from ledger.store import Store
from tests.e2e.conftest import Api, World

KILLED = "/tallies/civilians_killed"


def test_a_key_revoked_by_another_process_is_refused_at_once(api: Api, store: Store) -> None:
    assert api.get(KILLED, "reader").status_code == 200
    assert api.get(KILLED, "reader").status_code == 200  # answered from the key check kept in memory
    other = open_ledger(store)  # e.g. the CLI: the server's process hears nothing from it
    try:
        other.revoke_key("admin", str(key_id(api.keys["reader"])), reason="lost laptop")
    finally:
        other.close()
    assert api.get(KILLED, "reader").status_code == 401
    assert api.get("/figures", "reader").status_code == 401
    assert api.get(KILLED, "officer").status_code == 200


def test_a_key_issued_after_a_refusal_is_let_in(api: Api, store: Store) -> None:
    assert api.get(KILLED, "bogus").status_code == 401
    assert api.get(KILLED, "revoked").status_code == 401
    key, _ = api.ledger.issue_key("admin", owner="new-1", role="reader")
    response = api.client.get(KILLED, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


def test_an_answer_moves_as_soon_as_another_process_records(api: Api, world: World, store: Store) -> None:
    first = api.get(KILLED, "reader")
    assert first.json()["sum"]["low"] == 108
    assert api.get(KILLED, "reader").content == first.content  # the same bytes while nothing moves
    other = open_ledger(store)
    try:
        other.correct_figure("officer-elsewhere", world.figure, value={"qualifier": "exact", "number": 120},
                             reason="recount", expected_version=2)
    finally:
        other.close()
    after = api.get(KILLED, "reader")
    assert after.json()["sum"]["low"] == 120
    assert after.headers["ETag"] != first.headers["ETag"]


def test_etag_of_a_tally_is_the_log_position(api: Api, world: World) -> None:
    first = api.get(KILLED, "reader")
    tag = first.headers["ETag"]
    assert first.headers["Vary"] == "Authorization"
    again = api.get(KILLED, "reader", If_None_Match=tag)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == tag
    assert api.get(KILLED, "reader", If_None_Match=f'W/{tag}, "0"').status_code == 304
    assert api.get(KILLED, "reader", If_None_Match='"0"').status_code == 200
    # An auditor's answer may hold more: its tag is not a reader's.
    assert api.get(KILLED, "auditor", If_None_Match=tag).status_code == 200
    api.post(f"/figures/{world.figure}/corrections", {"value": {"qualifier": "exact", "number": 130},
                                                       "reason": "recount"}, If_Match='"2"')
    moved = api.get(KILLED, "reader", If_None_Match=tag)
    assert moved.status_code == 200 and moved.json()["sum"]["low"] == 130
    assert moved.headers["ETag"] != tag


def test_a_kept_answer_never_reaches_a_caller_who_may_see_less(api: Api, world: World, monkeypatch: Any) -> None:
    reader = api.client.app.state.reader
    real = reader.tally

    def tally(*args: Any, include_protected: bool = False, **kwargs: Any) -> dict[str, Any]:
        # A tally names no source; this one says whose eyes it was made for, to see where it goes.
        return {**real(*args, include_protected=include_protected, **kwargs), "made_for_auditor": include_protected}

    monkeypatch.setattr(reader, "tally", tally)
    for first, second in (("auditor", "reader"), ("officer", "auditor")):
        assert api.get(f"{KILLED}?by=perpetrator", first).json()["made_for_auditor"] is (first == "auditor")
        assert api.get(f"{KILLED}?by=perpetrator", second).json()["made_for_auditor"] is (second == "auditor")


def test_figure_ids_are_asked_for(api: Api, world: World) -> None:
    plain = api.get(KILLED, "reader").json()
    assert plain["sum"]["figure_ids"] is None and plain["from_parts"] is None
    listed = api.get(f"{KILLED}?figure_ids=true", "reader").json()
    assert listed["sum"]["figure_ids"] == [world.figure] and listed["from_parts"] == []
    assert {k: v for k, v in listed["sum"].items() if k != "figure_ids"} == \
        {k: v for k, v in plain["sum"].items() if k != "figure_ids"}
    parameters = api.client.get("/openapi.json").json()["paths"]["/tallies/{metric}"]["get"]["parameters"]
    (figure_ids,) = [p for p in parameters if p["name"] == "figure_ids"]
    assert "running tallies" in figure_ids["description"]


def test_requests_share_a_read_of_the_head_but_never_one_older_than_themselves() -> None:
    import asyncio
    import threading

    from api.head_watch import HeadWatch

    started = []
    gate = threading.Event()

    def read() -> int:
        started.append(len(started) + 1)
        gate.wait(5)  # the first read is held in flight while more requests arrive
        return started[-1]

    watch = HeadWatch(read)

    async def scenario() -> tuple[int, list[int]]:
        first = asyncio.create_task(watch.current())
        while not started:
            await asyncio.sleep(0.001)
        later = [asyncio.create_task(watch.current()) for _ in range(5)]  # arrive during read 1
        await asyncio.sleep(0.01)
        gate.set()
        return await first, list(await asyncio.gather(*later))

    first, later = asyncio.run(scenario())
    assert first == 1
    assert later == [2] * 5  # one more read serves all five, and it began after they arrived
    assert len(started) == 2


def test_the_log_head_and_the_views_position_are_read_together(api: Api, world: World) -> None:
    state = api.client.app.state
    state.follower.catch_up()
    head = api.ledger.recorder.max_notification_id()
    assert state.standing() == (head, head)
    api.ledger.register_source("officer", name="Another", kind="witness", language="en")
    assert state.standing() == (api.ledger.recorder.max_notification_id(), head)  # the views are behind now
    assert api.get(KILLED, "reader").status_code == 200  # and this request brought them up
    assert state.follower.position() == api.ledger.recorder.max_notification_id()


def test_an_answer_from_views_that_could_not_catch_up_is_given_but_not_kept(api: Api, world: World,
                                                                            monkeypatch: Any) -> None:
    state = api.client.app.state
    assert api.get(KILLED, "reader").json()["sum"]["low"] == 108
    api.ledger.correct_figure("officer", world.figure, value={"qualifier": "exact", "number": 150},
                              reason="recount", expected_version=2)

    def broken(**_: Any) -> int:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(state.follower, "catch_up", broken)
    stale = api.get(KILLED, "reader")
    assert stale.status_code == 200 and stale.json()["sum"]["low"] == 108  # stale but available
    monkeypatch.undo()
    assert api.get(KILLED, "reader").json()["sum"]["low"] == 150  # not the stale bytes: they were not kept


def test_a_database_found_down_by_the_head_read_answers_503_without_retrying_elsewhere(api, monkeypatch):
    # The head read once fell back on the ledger's own read when it failed for any reason; in an
    # outage that fallback waited out the library's ten retries: GETs took 8-13 s to answer 503.
    from eventsourcing.persistence import OperationalError

    state = api.client.app.state

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    def fallback(*args, **kwargs):
        raise AssertionError("the ledger's read was tried after the database was found down")

    monkeypatch.setattr(state, "standing", down)
    monkeypatch.setattr(type(state.ledger.recorder), "max_notification_id", fallback)
    response = api.get("/tallies/civilians_killed", "reader")
    assert response.status_code == 503 and response.headers["Retry-After"], response.text
    assert response.json()["type"] == "/problems/unavailable"


def test_a_figure_history_is_kept_while_the_log_stands_still(api: Api, world: World, store: Store,
                                                              monkeypatch: Any) -> None:
    reader = api.client.app.state.reader
    real, reads = reader.figure_history, []

    def figure_history(*args: Any, **kwargs: Any) -> dict[str, Any]:
        reads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(reader, "figure_history", figure_history)
    path = f"/figures/{world.figure}/history"
    first = api.get(path, "reader")
    tag = first.headers["ETag"]
    assert api.get(path, "reader").content == first.content and len(reads) == 1  # sent from memory
    again = api.get(path, "reader", If_None_Match=tag)
    assert again.status_code == 304 and again.content == b"" and len(reads) == 1
    assert api.get(f"{path}?limit=1", "reader").json()["versions"] != first.json()["versions"]  # its own page
    other = open_ledger(store)  # another process: the head moves, the kept page goes
    try:
        other.correct_figure("officer-elsewhere", world.figure, value={"qualifier": "exact", "number": 120},
                             reason="recount", expected_version=2)
    finally:
        other.close()
    moved = api.get(path, "reader", If_None_Match=tag)
    assert moved.status_code == 200 and moved.headers["ETag"] != tag
    assert moved.json()["versions"][-1]["value"]["number"] == 120


def test_a_kept_history_never_reaches_a_caller_who_may_see_less(api: Api, world: World) -> None:
    path = f"/figures/{world.figure}/history"
    audited = api.get(path, "auditor")
    assert world.protected_source in audited.text
    for role in ("reader", "officer"):
        seen = api.get(path, role)
        assert seen.status_code == 200 and seen.headers["ETag"] != audited.headers["ETag"]
        assert not any(marker in seen.text for marker in world.protected_markers())
    assert api.get(path, "reader", If_None_Match=audited.headers["ETag"]).status_code == 200


def test_a_full_budget_makes_room_by_dropping_the_answers_least_recently_used() -> None:
    from api.answers import Answers

    answers = Answers(limit=10, budget=100)
    answers.put(1, "a", (b"x" * 60, '"1"', None))
    answers.put(1, "b", (b"x" * 60, '"1"', None))  # 120 bytes in all: "a" goes to make room
    answers.put(1, "c", (b"x" * 40, '"1"', None))
    assert answers.get(1, "a") is None and answers.get(1, "b") is not None and answers.get(1, "c") is not None
    answers.put(1, "c", (b"y" * 40, '"1"', None))  # the same key again: its first answer, counted once
    assert answers.get(1, "c")[0] == b"x" * 40 and answers.spent() == (2, 100)
    assert answers.get(1, "b") is not None  # found: now the most recently used
    answers.put(1, "d", (b"x" * 30, '"1"', None))  # so "c", not "b", makes room
    assert answers.get(1, "b") is not None and answers.get(1, "c") is None and answers.get(1, "d") is not None
    answers.put(1, "e", (b"x" * 101, '"1"', None))  # heavier than the whole budget: not kept, nothing dropped
    assert answers.get(1, "e") is None and answers.spent() == (2, 90)
    answers.put(2, "b", (b"x" * 60, '"2"', None))  # a new head starts a new budget
    assert answers.get(2, "b") is not None and answers.get(2, "d") is None and answers.spent() == (1, 60)


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(0, 6), budget=st.integers(0, 200),
       steps=st.lists(st.tuples(st.sampled_from(["put", "get"]), st.integers(1, 3), st.integers(0, 12),
                                st.integers(0, 120)), max_size=60))
def test_kept_answers_never_pass_their_count_or_byte_bounds(limit: int, budget: int,
                                                             steps: list[tuple[str, int, int, int]]) -> None:
    from api.answers import Answers

    answers, put, head = Answers(limit=limit, budget=budget), {}, -1  # put: each key's bodies at the newest head
    for action, at, key, size in steps:
        if action == "put":
            body = bytes([key]) * size
            answers.put(at, key, (body, '"t"', None))
            if at > head:
                put, head = {}, at
            if at == head:
                put.setdefault(key, set()).add(body)
                if size <= budget and limit > 0:  # the newest put at the newest head is kept (or its twin)
                    assert answers.get(at, key)[0] in put[key]
        else:
            found = answers.get(at, key)
            # Only what was put at the newest head, under that key.
            assert found is None or (at == head and found[0] in put.get(key, ()))
        count, spent = answers.spent()
        assert count <= limit and spent <= budget
        kept = [answers.get(head, k) for k in put]
        assert count == sum(k is not None for k in kept) and spent == sum(len(k[0]) for k in kept if k)


def test_distinct_as_of_answers_do_not_push_out_the_tally_everyone_asks_for(api: Api, world: World,
                                                                           monkeypatch: Any) -> None:
    from api.answers import Answers

    state = api.client.app.state
    monkeypatch.setattr(state, "answers", Answers(limit=8, budget=1 << 20))
    reader, reads = state.reader, []
    real = reader.tally

    def tally(*args: Any, **kwargs: Any) -> dict[str, Any]:
        reads.append(kwargs.get("as_of"))
        return real(*args, **kwargs)

    monkeypatch.setattr(reader, "tally", tally)
    for day in range(1, 21):  # one client, many distinct moments: more answers than are kept
        assert api.get(f"{KILLED}?as_of=2030-01-{day:02d}T00:00:00Z", "reader").status_code == 200
    count, spent = state.answers.spent()
    assert count == 8 and 0 < spent <= 1 << 20
    plain = api.get(KILLED, "reader")
    asked = len(reads)
    again = api.get(KILLED, "reader")
    assert len(reads) == asked and again.content == plain.content  # kept, and served from memory
    auditor = api.get(KILLED, "auditor")  # another visibility: its own answer, never the reader's
    assert auditor.headers["ETag"] != plain.headers["ETag"] and len(reads) == asked + 1
