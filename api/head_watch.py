"""Where the log stands for a request: one read of the head, shared by the requests waiting for it.

Every request must see at least every command answered before it arrived, whichever process
answered it; so it needs a read of the log's head that *started after it arrived*. Requests
that arrive while such a read is in flight wait for the next one, which starts as soon as the
one in flight ends: under load one statement serves a whole group of requests (as a group
commit serves a group of writers), and none is answered from a read older than itself.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool


class AtHead:
    """Values valid exactly while the log's head stays where it was read (at most ``limit``, and
    with ``weight``, at most ``budget`` of their weights together).

    ``get`` finds nothing once the head has moved; the first ``put`` at a newer head drops
    everything kept at the older one. A value is never kept under a head older than the newest.
    Once full, a ``put`` makes room by dropping the values least recently put or found, so that
    a client asking many distinct questions pushes out its own, not what every caller asks for;
    a value heavier than the whole budget is not kept.
    """

    def __init__(self, limit: int, budget: int = 0, weight: Callable[[Any], int] | None = None) -> None:
        self.limit, self.budget, self.weight = limit, budget, weight
        self._head = -1
        self._values: OrderedDict[Any, tuple[Any, int]] = OrderedDict()  # least recently used first
        self._spent = 0
        self._lock = threading.Lock()

    def get(self, head: int, key: Any) -> Any:
        if head != self._head:
            return None
        with self._lock:
            if head != self._head or (kept := self._values.get(key)) is None:
                return None
            self._values.move_to_end(key)
            return kept[0]

    def put(self, head: int, key: Any, value: Any) -> None:
        cost = 0 if self.weight is None else self.weight(value)
        with self._lock:
            if head > self._head:
                self._values, self._head, self._spent = OrderedDict(), head, 0
            if head != self._head or key in self._values:
                return  # a key made twice at once keeps its first value: the same, and counted once
            if self.weight is not None and cost > self.budget:
                return
            while self._values and (len(self._values) >= self.limit
                                    or (self.weight is not None and self._spent + cost > self.budget)):
                _, (_, freed) = self._values.popitem(last=False)
                self._spent -= freed
            if self.limit > 0:
                self._values[key] = (value, cost)
                self._spent += cost

    def spent(self) -> tuple[int, int]:
        """How many values are kept, and their weights together."""
        with self._lock:
            return len(self._values), self._spent


class HeadWatch:
    """Reads ``read()`` (in the thread pool) for groups of waiting requests, per event loop."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self.read = read
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = weakref.WeakKeyDictionary()

    async def current(self) -> Any:
        """A value read after this call began."""
        loop = asyncio.get_running_loop()
        group = self._loops.get(loop)
        if group is None:
            group = self._loops[loop] = _Group()
        if group.waiting is None:
            group.waiting = loop.create_future()
            if group.task is None:
                # Held here: the loop keeps only a weak reference to a task, and a reader task
                # collected mid-read would leave every later request of this loop waiting.
                group.task = loop.create_task(self._serve(group))
        return await asyncio.shield(group.waiting)

    async def _serve(self, group: _Group) -> None:
        try:
            while group.waiting is not None:
                future, group.waiting = group.waiting, None  # later arrivals wait for the next read
                try:
                    future.set_result(await run_in_threadpool(self.read))
                except Exception as error:  # noqa: BLE001 - handed to every request of the group
                    future.set_exception(error)
                    future.exception()  # retrieved here too: a group whose requests all went away
        finally:
            group.task = None


class _Group:
    __slots__ = ("waiting", "task")  # a read is in flight exactly while ``task`` is set

    def __init__(self) -> None:
        self.waiting: asyncio.Future[Any] | None = None
        self.task: asyncio.Task[None] | None = None
