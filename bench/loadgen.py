"""HTTP load from this machine to 127.0.0.1 only: wrk when it is installed (apt-get install
wrk), else a small asyncio HTTP/1.1 keep-alive client. Bounded in time (``seconds``) and in
requests (``max_requests``, asyncio client; wrk is bounded by time alone). Both rotate
through a list of paths, so reads are spread (Zipf) over figures as they would be."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit


def client_name() -> str:
    return "wrk" if shutil.which("wrk") else "asyncio"


def run(base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int,
        *, max_requests: int = 500_000) -> dict[str, Any]:
    if not base.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError("load is generated against 127.0.0.1 only")
    if shutil.which("wrk"):
        return _wrk(base, paths, headers, seconds, connections)
    return asyncio.run(_asyncio(base, paths, headers, seconds, connections, max_requests))


_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i])
end
"""


def _wrk(base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    threads = max(1, min(2, connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_LUA % ", ".join(f'"{p}"' for p in paths))
        script = f.name
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", script]
        for k, v in headers.items():
            cmd += ["-H", f"{k}: {v}"]
        cmd.append(base + paths[0])
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False).stdout
    finally:
        os.unlink(script)
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or not rps:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result = {"client": "wrk", "requests": int(m.group(1)), "requests_per_s": float(rps.group(1)),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, sock.groups())) if sock else 0,
            "connections": connections, "threads": threads}
    if result["requests"] == 0 or result["non_2xx"] or result["socket_errors"]:
        result["wrk_output"] = out[-2000:]
    return result


async def _asyncio(base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int,
                   max_requests: int) -> dict[str, Any]:
    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode() for p in paths]
    counts = {"ok": 0, "bad": 0}
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        try:
            while time.perf_counter() < deadline and counts["ok"] + counts["bad"] < max_requests:
                writer.write(requests[i % len(requests)])
                i += 1
                status = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                counts["ok" if status[9:10] in (b"2", b"3") else "bad"] += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k * 7) for k in range(connections)))
    elapsed = time.perf_counter() - t0
    total = counts["ok"] + counts["bad"]
    return {"client": "asyncio", "requests": total, "requests_per_s": total / elapsed, "non_2xx": counts["bad"],
            "socket_errors": 0, "connections": connections}
