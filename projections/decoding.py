"""Stored events as the views read them: the state's fields, ids as text, recording time as micros.

The library's ``mapper.to_domain_event`` makes a full domain event of every notification:
its UUID, its ``datetime``, every wrapped value restored. The views use none of that as
such (they store ids as text and times as microseconds), and on a replay that work alone
took longer than reading the log. This does the same steps as the mapper, in the same
order, keeping what the views need:

- the cipher and the compressor of the ledger's mapper, when it has them (CIPHER_KEY);
- the ledger's transcoder, except in the usual case where the only wrapped value is the
  event's own timestamp at the top level: that is read straight from its ISO text;
- upcasting: a state stored at an older ``class_version`` goes through the event class's
  ``upcast_vN_vN+1`` methods, as the mapper would (e.g. Source.Registered v1 -> v2).

An ``Event`` carries the state's fields as attributes, ``originator_id`` as text,
``originator_version`` and ``t`` (the timestamp in microseconds since the epoch, UTC) in
place of ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import MapperDeserialisationError, Notification
from eventsourcing.utils import resolve_topic

from projections.times import micros


class Event:
    """A decoded event's fields (see the module docstring). Only ever made by ``decoder``."""

    t: int
    originator_id: str
    originator_version: int


def decoder(mapper: Any) -> Callable[[Notification], Event]:
    """A function from a notification of ``mapper``'s application to an ``Event``."""
    cipher, compressor, transcoder = mapper.cipher, mapper.compressor, mapper.transcoder
    class_versions: dict[str, tuple[int, type]] = {}
    new = object.__new__

    def upcast(topic: str, state: dict[str, Any], stored: int) -> None:
        known = class_versions.get(topic)
        if known is None:
            cls = resolve_topic(topic)
            known = class_versions[topic] = (getattr(cls, "class_version", 1), cls)
        target, cls = known
        while stored < target:
            getattr(cls, f"upcast_v{stored}_v{stored + 1}")(state)
            stored += 1

    def decode(n: Notification) -> Event:
        data = n.state
        try:
            if cipher:
                data = cipher.decrypt(data)
            if compressor:
                data = compressor.decompress(data)
            # The transcoder restores the timestamp directly when it is the one wrapped value.
            state = transcoder.decode(data)
            t = micros(state.pop("timestamp"))
        except Exception as e:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic {n.topic!r}, originator_id"
                f" {n.originator_id!s} and originator_version {n.originator_version}: {e}"
            ) from e
        stored = state.pop("class_version", 1)
        known = class_versions.get(n.topic)
        if known is None or stored < known[0]:
            upcast(n.topic, state, stored)
        state["originator_id"] = str(n.originator_id)
        state["originator_version"] = n.originator_version
        state["t"] = t
        event = new(Event)
        event.__dict__ = state
        return event

    return decode
