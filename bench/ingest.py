"""Ingest: events recorded per second through the Ledger's commands, against the bare
application saving the same events (same ids, versions, sizes, events per save) on a
store of the same kind and size, in the same run: slice by slice (SLICE commands, then
their saves on the bare app), so both are exposed to the same noise of a shared machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

from bench.baseline import Bare, Padder, Shape, group, replay, shapes_since
from bench.stats import clock, rate
from bench.workload import CommandExecutor, Ids, Workload


def _profiler(path: str | None):
    if not path:
        return nullcontext(None)
    try:
        from pyinstrument import Profiler
    except ImportError:  # pragma: no cover - optional tool, not a dependency
        return nullcontext(None)

    class _Ctx:
        def __enter__(self):
            self.p = Profiler(interval=0.0005)
            self.p.start()
            return self.p

        def __exit__(self, *exc):
            self.p.stop()
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.p.output_text(unicode=True, color=False, show_all=False))
            return False

    return _Ctx()


#: Commands per slice: the ledger's slice and the bare replay of the same saves alternate
#: at this grain, so that both see the same bursts of load from anything else on the machine.
SLICE = 25


def slices(ledger, ops: list, run) -> Iterator[tuple[float, list[list[Shape]]]]:
    """Each slice of SLICE operations carried out by ``run``, timed; with the shapes of the
    saves it made, for the baselines to replay right after it (untimed here)."""
    for i in range(0, len(ops), SLICE):
        part = ops[i:i + SLICE]
        start = ledger.recorder.max_notification_id() or 0
        t0 = clock()
        for op in part:
            run(op)
        seconds = clock() - t0
        per_save = [op.events for op in part]
        yield seconds, group(shapes_since(ledger.recorder, start, sum(per_save)), per_save)


def window(ledger, bare: Bare, padder: Padder, workload: Workload, ids: Ids, n_ops: int,
           *, profile: str | None = None) -> dict[str, Any]:
    """One timed run: n_ops commands on the ledger, each slice of SLICE commands followed at
    once by the same saves on the bare app; times are summed over the slices."""
    ops = workload.take_ops(n_ops)
    executor = CommandExecutor(ledger, workload, ids)
    by_kind: dict[str, list[float]] = {}

    def run(op) -> None:
        t = clock()
        executor.run(op)
        by_kind.setdefault(op.kind, []).append(clock() - t)

    seconds = bare_seconds = 0.0
    n_events = bare_events = 0
    with _profiler(profile):
        for took_ledger, saves in slices(ledger, ops, run):
            seconds += took_ledger
            n_events += sum(len(save) for save in saves)
            got, took = replay(bare, padder, saves)
            bare_events += got
            bare_seconds += took
    assert bare_events == n_events
    ledger_rate, bare_rate = rate(n_events, seconds), rate(bare_events, bare_seconds)
    return {
        "commands": n_ops,
        "events": n_events,
        "ledger_s": seconds,
        "bare_s": bare_seconds,
        "ledger_events_per_s": ledger_rate,
        "bare_events_per_s": bare_rate,
        "ratio": ledger_rate / bare_rate,
        "commands_per_s": n_ops / seconds,
        "ms_per_command": {k: 1000 * sum(v) / len(v) for k, v in sorted(by_kind.items())},
    }
