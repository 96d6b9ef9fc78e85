"""The audit tree caught up behind the auditors' page instead of in front of it.

A store whose tree is far behind its log (a first start on a large ledger, a restored copy)
took the first ``/web/audit`` the whole catch-up to answer: 6.7 s at 20,000 events, 47 s at
100,000 (docs/performance.md). A page now catches up inline only when few events are missing;
otherwise one thread per trail catches up and the page answers at once with how far it has
got, until the tree has caught up.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from ledger.failure_lines import failure

log = logging.getLogger("api")

#: Events a page waits for (caught up inline, a few tens of milliseconds); more are built behind it.
INLINE = 1_000


@dataclass(frozen=True)
class Progress:
    """How far the tree has got: ``done`` of ``head`` log positions; ``ready`` once it is caught up."""

    done: int
    head: int
    ready: bool

    @property
    def percent(self) -> int:
        return 100 if not self.head else min(100, self.done * 100 // self.head)


_lock = threading.Lock()
_building: dict[Any, threading.Thread] = {}  # by trail: one build each


def _build(trail: Any) -> None:
    try:
        trail.catch_up()
    except Exception as error:  # noqa: BLE001 - the next page starts another; the log says why
        log.warning("audit tree catch-up in the background failed: %s", failure(error))
    finally:
        with _lock:
            _building.pop(trail, None)


def progress(trail: Any) -> Progress:
    """Catch the tree up inline when it is nearly there, else (once per trail) in the background."""
    head = trail.ledger.recorder.max_notification_id() or 0
    done = trail.position()
    with _lock:
        if trail not in _building and head - done > INLINE:
            _building[trail] = threading.Thread(target=_build, args=(trail,), name="audit-tree-build", daemon=True)
            _building[trail].start()
        building = trail in _building
    if building:
        return Progress(done, head, False)
    trail.catch_up()
    return Progress(head, head, True)


def wait(trail: Any, timeout: float | None = None) -> None:
    """Until the background build of ``trail`` (if any) has ended: for tests and the bench."""
    with _lock:
        thread = _building.get(trail)
    if thread is not None:
        thread.join(timeout)
