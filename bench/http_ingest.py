"""Ingest through HTTP: the same commands as bench.ingest, sent to the API as an officer's
client would send them (POST with an Idempotency-Key, If-Match on corrections), against the
bare application saving the same events in the same run.

One client, one keep-alive connection, one request at a time: the same sequential shape as
the bare replay it is compared with, so the ratio is the share of the raw store speed that
a command keeps once it has gone through HTTP, JSON, validation, auth and the application.
Slices of SLICE commands alternate with their bare replay, as in bench.ingest.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx

from bench import web
from bench.baseline import Bare, Padder, group, replay, shapes_since
from bench.ingest import SLICE
from bench.stats import clock, median, rate
from bench.workload import ACTORS, BREAKDOWNS, Ids, Op, Workload


class HttpCommands:
    """Turns workload operations into API requests; keeps each figure's version from the answers."""

    def __init__(self, client: httpx.Client, keys: dict[str, str], wl: Workload, ids: Ids,
                 versions: dict[str, int]) -> None:
        self.client, self.keys, self.wl, self.ids, self.versions = client, keys, wl, ids, versions

    def _post(self, op: Op, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        h = {"Authorization": f"Bearer {self.keys[op.actor]}", **(headers or {})}
        if op.request_key is not None:
            h["Idempotency-Key"] = op.request_key
        r = self.client.post(path, json=body, headers=h)
        if r.status_code not in (200, 201):
            raise RuntimeError(f"{op.kind}: POST {path} answered {r.status_code}: {r.text[:300]}")
        return r.json()

    def run(self, op: Op) -> None:
        ids, wl = self.ids, self.wl
        if op.kind == "incident":
            ids.incidents.append(self._post(op, "/incidents", op.fields)["incident_id"])
        elif op.kind == "report":
            figures = [{"incident_id": ids.incidents[inc], "metric": metric, "breakdown": BREAKDOWNS[b],
                        "value": value, "adopt": adopt}
                       for (_f, _new, inc, metric, b, value, adopt) in op.statements]
            body = {k: v for k, v in op.fields.items() if v is not None}
            result = self._post(op, "/reports", {**body, "source_id": ids.sources[op.source], "figures": figures})
            ids.reports.append(result["report_id"])
            for (f, new, *_rest) in op.statements:
                if new:
                    ids.figure(wl.figure_keys, f)
            for changed in result["figures"]:
                self.versions[changed["figure_id"]] = changed["version"]
        elif op.kind == "correct":
            fid = ids.figure(wl.figure_keys, op.figure)
            body = {**op.fields, "evidence": [ids.citations[c] for c in op.evidence]}
            result = self._post(op, f"/figures/{fid}/corrections", body,
                                {"If-Match": f'"{self.versions[fid]}"'})
            self.versions[fid] = result["version"]
        elif op.kind == "cite":
            target = ids.figure(wl.figure_keys, op.figure) if op.figure >= 0 else ids.reports[op.report]
            body = {k: v for k, v in op.fields.items() if v is not None}
            result = self._post(op, "/citations", {**body, "target_id": target, "source_id": ids.sources[op.source]})
            ids.citations.append(result["citation_id"])
        else:  # pragma: no cover - the window has no source registrations
            raise ValueError(op.kind)


def _known_versions(ledger, wl: Workload, ids: Ids, ops: list[Op], existing: int, versions: dict[str, int]) -> None:
    """Versions of the figures made before the window that it will correct: what an officer read first."""
    for op in ops:
        if op.kind == "correct" and op.figure < existing:
            fid = ids.figure(wl.figure_keys, op.figure)
            if fid not in versions:
                versions[fid] = ledger.figure(fid).version


def window(base: str, commands: HttpCommands, ledger, bare: Bare, padder: Padder, n_ops: int) -> dict[str, Any]:
    existing = len(commands.wl.figure_keys)
    ops = commands.wl.take_ops(n_ops)
    _known_versions(ledger, commands.wl, commands.ids, ops, existing, commands.versions)
    seconds = bare_seconds = 0.0
    n_events = bare_events = 0
    for i in range(0, len(ops), SLICE):
        part = ops[i:i + SLICE]
        start = ledger.recorder.max_notification_id() or 0
        t0 = clock()
        for op in part:
            commands.run(op)
        seconds += clock() - t0
        events = sum(op.events for op in part)
        n_events += events
        saves = group(shapes_since(ledger.recorder, start, events), [op.events for op in part])
        got, took = replay(bare, padder, saves)
        bare_events += got
        bare_seconds += took
    ledger_rate, bare_rate = rate(n_events, seconds), rate(bare_events, bare_seconds)
    return {"commands": n_ops, "events": n_events, "ledger_events_per_s": ledger_rate,
            "bare_events_per_s": bare_rate, "ratio": ledger_rate / bare_rate,
            "ms_per_command": 1000 * seconds / n_ops}


def measure(opts, store, ledger, bare: Bare, padder: Padder, wl: Workload, ids: Ids, say) -> dict[str, Any]:
    keys = {actor: ledger.issue_key("bench-admin", owner=actor, role="officer")[0] for actor in ACTORS}
    env = {**os.environ, "LEDGER_DB": store.url, "PYTHONPATH": web.ROOT}
    env.pop("CIPHER_KEY", None)
    port = web._free_port()
    proc = web._start([sys.executable, "-m", "bench.nodelay", "api.app:app_from_environment", "--factory",
                       "--port", str(port), "--workers", str(opts.http_workers)], env, port, say)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            commands = HttpCommands(client, keys, wl, ids, {})
            runs = []
            for k in range(opts.runs):
                runs.append(window(base, commands, ledger, bare, padder, opts.window))
                say(f"  http ingest run {k + 1}: {runs[-1]['ledger_events_per_s']:,.0f} ev/s vs bare "
                    f"{runs[-1]['bare_events_per_s']:,.0f} ev/s ({runs[-1]['ratio']:.0%})")
    finally:
        web._stop(proc)
    return {"workers": opts.http_workers, "client": "httpx, 1 connection, sequential",
            "ledger_events_per_s": median([r["ledger_events_per_s"] for r in runs]),
            "bare_events_per_s": median([r["bare_events_per_s"] for r in runs]),
            "ratio": median([r["ratio"] for r in runs]), "runs": runs}
