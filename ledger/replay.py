"""How the application service rebuilds aggregates and hands out private copies of cached ones.

Both exist for speed, measured on the ingest bench (docs/performance.md):

* ``replay`` is the library's ``project_aggregate`` without its per-event
  ``assert isinstance(event, CanMutateProtocol)``: a runtime Protocol check that took about
  40% of replay time on CPython 3.11. Every stored ledger event (and the library's snapshot)
  has the ``mutate`` it calls.
* ``detached`` replaces the library's ``deepcopy`` of a cached aggregate, which walked every
  claim of a hot figure and was the largest single cost of a command. It copies the
  aggregate's own attributes and the dicts and lists they hold, one level down. That is
  enough because every ``apply`` in the domain assigns attributes or replaces an item of such
  a dict (``figure.claims[source] = {...}``), never changes a nested value in place
  (tests/unit/test_replay.py holds every aggregate to that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

A = TypeVar("A")


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def detached(aggregate: A) -> A:
    """A copy a command may change without touching the cached original."""
    state = {k: v.copy() if type(v) in (dict, list) else v for k, v in aggregate.__dict__.items()}
    state["_pending_events"] = []
    twin = object.__new__(type(aggregate))
    object.__setattr__(twin, "__dict__", state)
    return twin
