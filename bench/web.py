"""HTTP: requests/s of the ledger's API against a bare FastAPI endpoint, same run.

Both are served by uvicorn with the same number of worker processes on this machine, and
loaded from this machine on 127.0.0.1 by the same client (see loadgen), alternately in
one-second slices (the other server idle), so both meet the same bursts of other work. Both run through ``bench.nodelay`` (uvicorn with TCP_NODELAY, see there); the API is also
measured as shipped (``python -m api.serve``). The API's routes are found in its OpenAPI schema: the tally route when
the projections' reader is wired in, and ``GET /figures/{id}`` (one figure, read from the
views) always. Paths rotate over figures chosen by the same Zipf spread
as the writes. The bare endpoint returns a body of the median size of the API's answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

from bench import loadgen
from bench.stats import median
from bench.workload import Zipf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(cmd: list[str], env: dict[str, str], port: int, say, cwd: str = ROOT) -> subprocess.Popen:
    # stderr to a file, not a pipe: a pipe nobody reads blocks a server once it has logged 64 KB.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited: {' '.join(cmd)}\n{log.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(f"server did not answer /health within 60 s: {' '.join(cmd)}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)   # the server and its own workers, nothing else
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _routes(base: str) -> dict[str, str]:
    schema = httpx.get(f"{base}/openapi.json", timeout=10).json()
    found = {}
    for path, ops in schema.get("paths", {}).items():
        if "get" not in ops:
            continue
        if "tall" in path and "tally" not in found:
            found["tally"] = path
        if path.startswith("/figures/{") and path.count("{") == 1 and path.endswith("}"):
            found["figure"] = path
    return found


def _fill(template: str, values: dict[str, str]) -> str | None:
    import re

    names = re.findall(r"\{(\w+)\}", template)
    if any(n not in values for n in names):
        return None
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


#: Seconds of one slice of load: a run alternates API and baseline slice by slice.
SLICE_SECONDS = 1.0


def _paired(base: str, paths: list[str], headers: dict[str, str], bare_base: str, bare_paths: list[str],
            seconds: float, conns: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """``seconds`` of load on each of the API and the bare endpoint, alternated in one-second
    slices (API first, then bare first, and so on), so that both meet the same bursts of
    whatever else runs on the machine; requests and errors summed over the slices."""
    sides: dict[str, dict[str, Any]] = {
        side: {"requests": 0, "seconds": 0.0, "non_2xx": 0, "socket_errors": 0, "slices": []}
        for side in ("api", "bare")}
    order = [("api", base, paths, headers), ("bare", bare_base, bare_paths, {})]
    for k in range(max(1, round(seconds / SLICE_SECONDS))):
        for side, b, ps, h in (order if k % 2 == 0 else order[::-1]):
            r = loadgen.run(b, ps, h, SLICE_SECONDS, conns)
            out = sides[side]
            out["requests"] += r["requests"]
            out["seconds"] += r["requests"] / r["requests_per_s"] if r["requests_per_s"] else SLICE_SECONDS
            out["non_2xx"] += r["non_2xx"]
            out["socket_errors"] += r["socket_errors"]
            out["slices"].append(r["requests_per_s"])
            if "wrk_output" in r:
                out["wrk_output"] = r["wrk_output"]
    for out in sides.values():
        out["requests_per_s"] = out["requests"] / out["seconds"] if out["seconds"] else 0.0
        out["client"] = loadgen.client_name()
        out["connections"] = conns
    return sides["api"], sides["bare"]


def measure(opts, store, ledger, wl, ids, proj, say) -> dict[str, Any]:
    key, _ = ledger.issue_key("bench-admin", owner="bench-load", role="reader")
    headers = {"Authorization": f"Bearer {key}"}
    env = {**os.environ, "LEDGER_DB": store.url, "PYTHONPATH": ROOT}
    env.pop("CIPHER_KEY", None)
    workers = str(opts.http_workers)
    ports = {"api": _free_port(), "shipped": _free_port(), "bare": _free_port()}
    servers: dict[str, subprocess.Popen] = {}
    try:
        # The API through the TCP_NODELAY launcher (compared with the bare endpoint), and then as
        # shipped (``python -m api.serve``), which keeps uvicorn's multi-worker Nagle stall. One
        # API server at a time: each worker holds about 15 pooled connections, and the database
        # may be shared (100 connections in all on the bench machine).
        servers["api"] = _start([sys.executable, "-m", "bench.nodelay", "api.app:app_from_environment", "--factory",
                                 "--port", str(ports["api"]), "--workers", workers], env, ports["api"], say)
        base = f"http://127.0.0.1:{ports['api']}"
        routes = _routes(base)
        import random

        rng, zipf = random.Random(7), Zipf()
        n_fig = len(wl.figure_keys)
        figure_ids = [ids.figure(wl.figure_keys, zipf.sample(rng, n_fig)) for _ in range(200)]
        targets: dict[str, list[str]] = {}
        if "tally" in routes:
            values = {"incident_id": ids.incidents[0], "metric": "civilians_killed"}
            path = _fill(routes["tally"], values)
            if path:
                if "{metric}" not in routes["tally"]:
                    path += "?metric=civilians_killed"
                targets["tally"] = [path]
        if "figure" in routes:
            name = routes["figure"].split("{")[1][:-1]
            targets["figure"] = [_fill(routes["figure"], {name: f}) for f in figure_ids]
        sizes: dict[str, int] = {}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for name, paths in targets.items():
                got = [client.get(p) for p in paths[:50]]
                bad = [r.status_code for r in got if r.status_code != 200]
                if bad:
                    raise RuntimeError(f"{name}: API answered {bad[:5]} for {paths[0]}: {got[0].text[:300]}")
                sizes[name] = int(median([len(r.content) for r in got]))
        results: dict[str, Any] = {"workers": opts.http_workers, "client": loadgen.client_name(),
                                   "connections": opts.http_connections, "seconds_per_run": opts.http_seconds,
                                   "routes": routes, "body_bytes": sizes, "endpoints": {}}
        if "tally" not in targets:
            results["tally_missing"] = "the API has no tally route yet (app.state.reader is None)"
        for name, paths in targets.items():
            bare_env = {**env, "BENCH_BARE_BODY_BYTES": str(sizes[name])}
            servers["bare"] = _start([sys.executable, "-m", "bench.nodelay", "bench.bare_api:app", "--port",
                                      str(ports["bare"]), "--workers", workers], bare_env, ports["bare"], say)
            bare_base = f"http://127.0.0.1:{ports['bare']}"
            bare_paths = [f"/bare/{i}" for i in range(len(paths))]
            seconds, conns = opts.http_seconds, opts.http_connections
            for b, ps, h in ((base, paths, headers), (bare_base, bare_paths, {})):   # warm-up
                loadgen.run(b, ps, h, 1.0, conns)
            runs = []
            for k in range(opts.runs):
                api_r, bare_r = _paired(base, paths, headers, bare_base, bare_paths, seconds, conns)
                for label, r in (("api", api_r), ("bare", bare_r)):
                    if r["non_2xx"] or r["socket_errors"]:
                        say(f"  warning: {name} {label}: {r['non_2xx']} non-2xx, {r['socket_errors']} socket errors")
                runs.append({"requests_per_s": api_r["requests_per_s"], "bare_requests_per_s": bare_r["requests_per_s"],
                             "ratio": api_r["requests_per_s"] / bare_r["requests_per_s"], "api": api_r, "bare": bare_r,
                             "slice_ratios": [a / b for a, b in zip(api_r["slices"], bare_r["slices"]) if b]})
                say(f"  http {name} run {k + 1}: {api_r['requests_per_s']:,.0f} req/s vs bare "
                    f"{bare_r['requests_per_s']:,.0f} req/s ({runs[-1]['ratio']:.0%})")
            _stop(servers.pop("bare"))
            results["endpoints"][name] = {
                "path": paths[0] if name == "tally" else routes["figure"],
                "requests_per_s": median([r["requests_per_s"] for r in runs]),
                "bare_requests_per_s": median([r["bare_requests_per_s"] for r in runs]),
                "ratio": median([r["ratio"] for r in runs]),
                "runs": runs,
            }
        _stop(servers.pop("api"))
        servers["shipped"] = _start([sys.executable, "-m", "api.serve", "--host", "127.0.0.1", "--port",
                                     str(ports["shipped"]), "--workers", workers, "--log-level", "warning"],
                                    env, ports["shipped"], say)
        shipped_base = f"http://127.0.0.1:{ports['shipped']}"
        for name, paths in targets.items():
            loadgen.run(shipped_base, paths, headers, 1.0, opts.http_connections)  # warm-up
            shipped = loadgen.run(shipped_base, paths, headers, opts.http_seconds, opts.http_connections)
            if shipped["requests"] == 0 or shipped["non_2xx"] or shipped["socket_errors"]:
                say(f"  warning: {name} as shipped: {shipped.get('wrk_output', shipped)}")
            say(f"  http {name}, API as shipped (api.serve): {shipped['requests_per_s']:,.0f} req/s")
            results["endpoints"][name].update(shipped_requests_per_s=shipped["requests_per_s"], shipped=shipped)
        return results
    finally:
        for proc in servers.values():
            _stop(proc)
