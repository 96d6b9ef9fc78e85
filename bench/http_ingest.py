"""Ingest through HTTP: the same commands as bench.ingest, sent to the API as an officer's
client would send them (POST with an Idempotency-Key, If-Match on corrections), against the
bare application saving the same events in the same run.

One client, one keep-alive connection, one request at a time: the same sequential shape as
the bare replay it is compared with, so the ratio is the share of the raw store speed that
a command keeps once it has gone through HTTP, JSON, validation, auth and the application.
Slices of SLICE commands alternate with their bare replay, as in bench.ingest, and with a
second baseline: the same saves posted one request each to a bare FastAPI endpoint that
saves them on the bare store (``bench.bare_api``, same uvicorn workers, same client). That
one is the floor any command through HTTP stands on; its events get other ids (the bare
store already holds the first copy).
"""

from __future__ import annotations

import os
import sys
from typing import Any
from uuid import UUID

import httpx

from bench import web
from bench.baseline import Bare, Padder, Shape, replay
from bench.ingest import slices
from bench.stats import clock, median_runs, rate
from bench.workload import ADOPTION_REASON, ACTORS, BREAKDOWNS, Ids, Op, Workload


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
                        "value": value, "adopt": adopt, **({"reason": ADOPTION_REASON} if adopt else {})}
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


_OTHER = 0x5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A


def _post_bare(client: httpx.Client, saves: list[list[Shape]]) -> float:
    bodies = [[[str(UUID(int=s.originator_id.int ^ _OTHER)), s.version, s.size] for s in save] for save in saves]
    t0 = clock()
    for body in bodies:
        r = client.post("/bare/save", json=body)
        if r.status_code != 201:
            raise RuntimeError(f"bare save answered {r.status_code}: {r.text[:300]}")
    return clock() - t0


def window(commands: HttpCommands, bare_http: httpx.Client, ledger, bare: Bare, padder: Padder,
           n_ops: int) -> dict[str, Any]:
    existing = len(commands.wl.figure_keys)
    ops = commands.wl.take_ops(n_ops)
    _known_versions(ledger, commands.wl, commands.ids, ops, existing, commands.versions)
    seconds = bare_seconds = http_bare_seconds = 0.0
    n_events = bare_events = 0
    for took_ledger, saves in slices(ledger, ops, commands.run):
        seconds += took_ledger
        n_events += sum(len(save) for save in saves)
        got, took = replay(bare, padder, saves)
        bare_events += got
        bare_seconds += took
        http_bare_seconds += _post_bare(bare_http, saves)
    ledger_rate, bare_rate = rate(n_events, seconds), rate(bare_events, bare_seconds)
    http_bare_rate = rate(bare_events, http_bare_seconds)
    return {"commands": n_ops, "events": n_events, "ledger_events_per_s": ledger_rate,
            "bare_events_per_s": bare_rate, "ratio": ledger_rate / bare_rate,
            "bare_http_events_per_s": http_bare_rate, "ratio_to_bare_http": ledger_rate / http_bare_rate,
            "ms_per_command": 1000 * seconds / n_ops}


def measure(opts, store, bare_store, ledger, bare: Bare, padder: Padder, wl: Workload, ids: Ids,
            say) -> dict[str, Any]:
    keys = {actor: ledger.issue_key("bench-admin", owner=actor, role="officer")[0] for actor in ACTORS}
    env = {**os.environ, "LEDGER_DB": store.url, "BENCH_BARE_DB": bare_store.url, "PYTHONPATH": web.ROOT}
    env.pop("CIPHER_KEY", None)
    # One SQLite file serves one process (`ledger serve` refuses several workers on it).
    workers = opts.http_workers if store.kind == "postgres" else 1
    ports = {"api": web._free_port(), "bare": web._free_port()}
    procs = []
    try:
        for name, target in (("api", ["api.app:app_from_environment", "--factory"]), ("bare", ["bench.bare_api:app"])):
            procs.append(web._start([sys.executable, "-m", "bench.nodelay", *target, "--port", str(ports[name]),
                                     "--workers", str(workers)], env, ports[name], say))
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as client, \
                httpx.Client(base_url=f"http://127.0.0.1:{ports['bare']}", timeout=30) as bare_http:
            commands = HttpCommands(client, keys, wl, ids, {})
            runs = []
            for k in range(opts.runs):
                runs.append(window(commands, bare_http, ledger, bare, padder, opts.window))
                r = runs[-1]
                say(f"  http ingest run {k + 1}: {r['ledger_events_per_s']:,.0f} ev/s vs bare "
                    f"{r['bare_events_per_s']:,.0f} ev/s ({r['ratio']:.0%}), bare over HTTP "
                    f"{r['bare_http_events_per_s']:,.0f} ev/s ({r['ratio_to_bare_http']:.0%})")
    finally:
        for proc in procs:
            web._stop(proc)
    return {"workers": workers, "client": "httpx, 1 connection, sequential", **median_runs(runs, [
        "ledger_events_per_s", "bare_events_per_s", "ratio", "bare_http_events_per_s", "ratio_to_bare_http"])}
