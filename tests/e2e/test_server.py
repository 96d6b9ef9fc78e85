"""The API under a real uvicorn server on loopback: one worker on SQLite, two on PostgreSQL.

Through two workers (each request pinned to a known worker by its keep-alive connection),
conflicting corrections sent at once: exactly one wins, the others get 412; an idempotent
retry reaching either worker records once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.bootstrap import open_ledger
from api.serve import FORWARDED_ENV
from ledger.store import Store
from tests.conftest import make_store
from tests.e2e.conftest import build_world, count_events

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(store: Store, workers: int, log: Path, log_level: str = "warning", *,
                   args: Sequence[str] = (), env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``python -m api.serve`` in its own process group; stop it (and only it) at the end."""
    port = free_port()
    env = {**os.environ, "LEDGER_DB": store.url}
    env.pop("CIPHER_KEY", None)
    env.pop(FORWARDED_ENV, None)
    env.update(env_extra or {})
    if store.cipher_key:
        env["CIPHER_KEY"] = store.cipher_key
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers), "--log-level", log_level, *args],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()  # uvicorn stops its workers gracefully on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started, by its id
            proc.wait(timeout=5)


def pinned_clients(base: str, headers: dict[str, str], per_worker: int, workers: int) -> dict[str, list[httpx.Client]]:
    """Clients that each hold one keep-alive connection, grouped by the worker that accepted it."""
    by_worker: dict[str, list[httpx.Client]] = {}
    spare: list[httpx.Client] = []
    deadline = time.monotonic() + 20
    while len(by_worker) < workers or any(len(c) < per_worker for c in by_worker.values()):
        if time.monotonic() > deadline:
            pytest.fail(f"could not reach {workers} workers: {({k: len(v) for k, v in by_worker.items()})}")
        batch = [httpx.Client(base_url=base, headers=headers, timeout=30,
                              limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
                 for _ in range(4)]
        tokens: list[str] = [""] * len(batch)

        def ask(i: int) -> None:
            tokens[i] = batch[i].get("/health").json()["worker"]

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(batch))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for client, token in zip(batch, tokens):
            group = by_worker.setdefault(token, [])
            (group if len(group) < per_worker else spare).append(client)
    for client in spare:
        client.close()
    return by_worker


def all_at_once(calls: list) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as e:  # reported below
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if not isinstance(r, httpx.Response):
            raise AssertionError(f"a request failed: {r!r}")
    return results  # type: ignore[return-value]


def test_real_server(store: Store, tmp_path: Path) -> None:
    workers = 2 if store.kind == "postgres" else 1
    ledger = open_ledger(store)
    try:
        key, _ = ledger.issue_key("test-admin", owner="officer-1", role="officer")
        reader, _ = ledger.issue_key("test-admin", owner="reader-1", role="reader")
        world = build_world(ledger)
        with running_server(store, workers, tmp_path / "server.log") as base:
            auth = {"Authorization": f"Bearer {key}"}
            clients = pinned_clients(base, auth, per_worker=3, workers=workers)
            everyone = [c for group in clients.values() for c in group]
            try:
                # The basics, over the wire.
                first = everyone[0]
                assert first.get("/figures/" + world.figure).headers["etag"] == '"2"'
                unauthorised = httpx.get(f"{base}/figures/{world.figure}")
                assert unauthorised.status_code == 401
                assert unauthorised.headers["content-type"] == "application/problem+json"
                hidden = httpx.get(f"{base}/sources/{world.protected_source}",
                                   headers={"Authorization": f"Bearer {reader}"})
                assert hidden.status_code == 404 and world.protected_source not in hidden.text
                assert first.get("/docs").status_code == 200

                # Conflicting corrections, all naming version 2, through every worker at once.
                before = count_events(ledger)
                path = f"/figures/{world.figure}/corrections"
                calls = [
                    (lambda c=c, n=n: c.post(path, headers={"If-Match": '"2"'},
                                             json={"value": {"qualifier": "exact", "number": 200 + n},
                                                   "reason": f"officer {n}'s recount"}))
                    for n, c in enumerate(everyone)
                ]
                answers = all_at_once(calls)
                statuses = sorted(r.status_code for r in answers)
                assert statuses == [200] + [412] * (len(everyone) - 1), [r.text for r in answers]
                for r in answers:
                    if r.status_code == 412:
                        assert r.json()["current_version"] == 3
                assert count_events(ledger) == before + 1
                assert ledger.figure(world.figure).version == 3
                # Every worker's queries see the winner at once (the views catch up before answering).
                winner = next(r for r in answers if r.status_code == 200)
                number = 200 + answers.index(winner)
                for c in everyone:
                    tally = c.get("/tallies/civilians_killed").json()
                    assert (tally["sum"]["low"], tally["sum"]["high"]) == (number, number)

                # One idempotent retry, sent at once through every worker, then again one by one.
                before = count_events(ledger)
                retry = {"Idempotency-Key": "grade-after-recount", "If-Match": '"3"'}
                body = {"grade": "fair", "reason": "one credible list"}
                answers = all_at_once([(lambda c=c: c.post(f"/figures/{world.figure}/grades", headers=retry,
                                                           json=body)) for c in everyone])
                answers += [c.post(f"/figures/{world.figure}/grades", headers=retry, json=body) for c in everyone]
                assert {(r.status_code, r.content) for r in answers} == {
                    (200, b'{"figure_id":"%s","version":4}' % world.figure.encode())}
                assert count_events(ledger) == before + 2  # the grade and its receipt
                assert ledger.figure(world.figure).grade == "fair"

                # Each pinned client was still talking to the worker it was grouped under.
                for token, group in clients.items():
                    for c in group:
                        assert c.get("/health").json()["worker"] == token
            finally:
                for c in everyone:
                    c.close()
        assert "Traceback" not in (tmp_path / "server.log").read_text()
    finally:
        ledger.close()


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    from api.serve import serve

    with pytest.raises(ValueError, match="PostgreSQL"):
        serve(Store(f"sqlite:///{tmp_path / 'x.db'}"), "127.0.0.1", free_port(), workers=2)


def _visit_cookie_secure(base: str, headers: dict[str, str]) -> bool:
    """Whether the sign-in page's visitor cookie, asked for with these headers, is marked Secure."""
    answer = httpx.get(f"{base}/web/sign-in", headers={"Accept": "text/html", **headers})
    assert answer.status_code == 200, answer.text
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("ledger_visit=")]
    return "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}


def test_cookies_are_secure_behind_a_named_tls_proxy_only(tmp_path: Path) -> None:
    """A proxy that terminates TLS says so in X-Forwarded-Proto; the server believes it only from the addresses named."""
    store = next(make_store("sqlite", tmp_path))
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    servers = [  # (how it was started, whether this loopback client's X-Forwarded-Proto counts)
        ({"env_extra": {FORWARDED_ENV: "127.0.0.1"}}, True),
        ({"args": ["--forwarded-allow-ips", "127.0.0.1,10.0.0.0/8"]}, True),
        ({}, False),  # not configured: no forwarded header is believed, loopback's neither
        ({"env_extra": {FORWARDED_ENV: "10.1.2.3"}}, False),  # another proxy's address: not ours
    ]
    for n, (how, believed) in enumerate(servers):
        with running_server(store, 1, tmp_path / f"server-{n}.log", **how) as base:
            assert _visit_cookie_secure(base, https) is believed, how
            assert _visit_cookie_secure(base, {}) is False, how  # plain http stays plain
