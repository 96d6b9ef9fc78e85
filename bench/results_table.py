"""The results: one table on stdout, and the whole record as JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
from typing import Any

TARGETS = {
    "ingest_ratio": 0.50,          # ledger commands >= 50% of the bare application
    "rebuild_ratio": 0.50,         # rebuild >= 50% of the raw notification read
    "catch_up_ratio": 0.50,
    "tally_p99_ms": 5.0,           # at 1M events, in-process
    "as_of_p99_ms": 20.0,
    "proof_p99_ms": 2.0,
    "http_ratio": 0.50,            # tally over HTTP >= 50% of a bare endpoint
    # issue 11 (one read path), at 100k events on PostgreSQL:
    "breakdown_p99_ms": 5.0,       # GET /tallies/{metric}?by=..., in-process
    "history_p99_ms": 10.0,        # GET /figures/{id}/history, first page, in-process
    "http_figure_ratio": 0.80,     # GET /figures/{id} over HTTP >= 80% of a bare endpoint
}


def machine(postgres_version: str | None) -> dict[str, Any]:
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    import eventsourcing

    return {
        "nproc": os.cpu_count(),
        "memory_mib": mem,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": postgres_version,
        "eventsourcing": getattr(eventsourcing, "__version__", "9.5"),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
    }


def _f(value: Any, spec: str = ",.0f") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return format(value, spec)


def _verdict(value: float | None, target: float, higher_is_better: bool) -> str:
    if value is None:
        return ""
    ok = value >= target if higher_is_better else value < target
    return "met" if ok else "MISSED"


def rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    """(store, scale, measure, value, baseline, ratio/p99, target, verdict)."""
    out: list[tuple[str, ...]] = []
    for block in results["blocks"]:
        store, scale = block["store"], f"{block['events']:,}"
        b = block.get("build")
        if b:
            out.append((store, scale, "build log (bulk insert)", f"{_f(b['events_per_s'])} ev/s",
                        f"{b['seconds']:.1f} s", f"hot figure {b['hot_figure_events']:,} ev", "", ""))
        i = block.get("ingest")
        if i:
            ratio = i["ratio"]
            out.append((store, scale, "ingest (commands)", f"{_f(i['ledger_events_per_s'])} ev/s",
                        f"bare {_f(i['bare_events_per_s'])} ev/s", f"{ratio:.0%}",
                        "≥ 50%", _verdict(ratio, TARGETS["ingest_ratio"], True)))
        hi = block.get("http_ingest")
        if hi:
            if "missing" in hi:
                out.append((store, scale, "ingest through HTTP", "not measured", "", hi["missing"][:60], "", ""))
            else:
                out.append((store, scale, f"ingest through HTTP ({hi['workers']} worker{'s' if hi['workers'] > 1 else ''}, 1 client)",
                            f"{_f(hi['ledger_events_per_s'])} ev/s", f"bare {_f(hi['bare_events_per_s'])} ev/s",
                            f"{hi['ratio']:.0%}", "", ""))
                out.append((store, scale, "ingest through HTTP vs the bare store behind a bare endpoint",
                            f"{_f(hi['ledger_events_per_s'])} ev/s", f"bare+HTTP {_f(hi['bare_http_events_per_s'])} ev/s",
                            f"{hi['ratio_to_bare_http']:.0%}", "", ""))
        r = block.get("raw_read")
        if r:
            out.append((store, scale, "raw notification read", f"{_f(r['events_per_s'])} ev/s", "",
                        f"+decode {_f(r.get('decode_events_per_s'))} ev/s", "", ""))
        p = block.get("projection")
        if p is not None:
            if "missing" in p:
                out.append((store, scale, "projection", "not measured", "", p["missing"][:60], "", ""))
            ic = p.get("initial_catch_up")
            if ic:
                out.append((store, scale, "projection: first catch-up, whole log", f"{_f(ic['events_per_s'])} ev/s",
                            "", f"{ic['ratio']:.0%} of raw read", "", ""))
            for key, label, target in (("catch_up", "projection catch-up (after each window)", "catch_up_ratio"),
                                       ("rebuild", "projection rebuild", "rebuild_ratio")):
                m = p.get(key)
                if m:
                    out.append((store, scale, label, f"{_f(m['events_per_s'])} ev/s",
                                f"raw {_f(m['raw_events_per_s'])} ev/s", f"{m['ratio']:.0%}",
                                "≥ 50%", _verdict(m["ratio"], TARGETS[target], True)))
        rd = block.get("reads")
        if rd is not None:
            for k in ("reader_missing", "proofs_missing"):
                if rd.get(k):
                    out.append((store, scale, "reads", "not measured", "", rd[k][:60], "", ""))
            for name, lat in rd.get("latency", {}).items():
                if "error" in lat:
                    out.append((store, scale, f"read: {name}", "error", "", lat["error"][:60], "", ""))
                    continue
                target = {"tally": "tally_p99_ms", "as_of_tally": "as_of_p99_ms", "inclusion_proof": "proof_p99_ms",
                          "consistency_proof": "proof_p99_ms", "breakdown": "breakdown_p99_ms",
                          "figure_history": "history_p99_ms"}.get(name)
                t = TARGETS.get(target) if target else None
                n = f" (n={lat['n']}{', cut short' if lat.get('cut_short_after_s') else ''}"
                if lat.get("skipped_over_max_versions"):
                    n += f", {lat['skipped_over_max_versions']} calls on figures > 5,000 versions left out"
                n += ")"
                out.append((store, scale, f"read: {name}{n}", f"p50 {lat['p50_ms']:.2f} ms",
                            f"p95 {lat['p95_ms']:.2f} ms", f"p99 {lat['p99_ms']:.2f} ms",
                            f"< {t:g} ms" if t else "", _verdict(lat["p99_ms"], t, False) if t else ""))
        m = block.get("audit_catch_up")
        if m:
            out.append((store, scale, "audit tree: first catch-up, whole log", f"{_f(m['events_per_s'])} ev/s",
                        f"raw {_f(m['raw_events_per_s'])} ev/s", f"{m['ratio']:.0%}", "", ""))
        h = block.get("http")
        if h is not None:
            if "missing" in h:
                out.append((store, scale, "http", "not measured", "", h["missing"][:60], "", ""))
            if h.get("tally_missing"):
                out.append((store, scale, "http: tally", "not measured", "", h["tally_missing"][:60], "", ""))
            for name, e in h.get("endpoints", {}).items():
                wanted = TARGETS["http_ratio" if name == "tally" else "http_figure_ratio"]
                out.append((store, scale, f"http: GET {e['path']} ({h['workers']} workers, {h['client']})",
                            f"{_f(e['requests_per_s'])} req/s", f"bare {_f(e['bare_requests_per_s'])} req/s",
                            f"{e['ratio']:.0%}", f"≥ {wanted:.0%}", _verdict(e["ratio"], wanted, True)))
                out.append((store, scale, f"http: GET {e['path']}, API as shipped (api.serve)",
                            f"{_f(e['shipped_requests_per_s'])} req/s", "", "same client, shipped launcher",
                            "", ""))
    return out


def growth(results: dict[str, Any]) -> str:
    """Each read's p50 / p99 (ms) at every log size measured, per store: flat reads stay level,
    proofs should grow like log2(n). Empty when one size was measured."""
    scales = sorted({b["events"] for b in results["blocks"]})
    if len(scales) < 2:
        return ""
    lines = ["| store | read | " + " | ".join(f"{n:,} events (p50 / p99 ms)" for n in scales) + " |",
             "|---|---|" + "---|" * len(scales)]
    for store in dict.fromkeys(b["store"] for b in results["blocks"]):
        blocks = {b["events"]: b for b in results["blocks"] if b["store"] == store}
        names = dict.fromkeys(n for b in blocks.values() for n in (b.get("reads") or {}).get("latency", {}))
        for name in names:
            cells = []
            for n in scales:
                lat = ((blocks.get(n) or {}).get("reads") or {}).get("latency", {}).get(name)
                cells.append("-" if not lat or "error" in lat else f"{lat['p50_ms']:.2f} / {lat['p99_ms']:.2f}")
            lines.append(f"| {store} | {name} | " + " | ".join(cells) + " |")
        lines.append(f"| {store} | log2(n) | " + " | ".join(f"{math.log2(n):.1f}" for n in scales) + " |")
    return "\n".join(lines) + "\n"


def table(results: dict[str, Any]) -> str:
    header = ("store", "events", "measure", "median", "baseline", "ratio / p99", "target", "")
    body = rows(results)
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    runs = results["options"]["runs"]
    head = (f"incident-ledger benchmark — medians over {runs} run(s), seed {results['seed']}, Zipf s={results['zipf_s']}; "
            f"{results['machine']['nproc']} cores, Python {results['machine']['python']}, "
            f"SQLite {results['machine']['sqlite']}, PostgreSQL {results['machine']['postgres'] or '-'}")
    return "\n".join([head, line(header), line(tuple("-" * w for w in widths)), *map(line, body)])


def write_json(results: dict[str, Any], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, default=str)
        f.write("\n")


def markdown(results: dict[str, Any]) -> str:
    """The same rows as a Markdown table (what docs/performance.md quotes)."""
    header = ("store", "events", "measure", "median", "baseline", "ratio / p99", "target", "")
    body = rows(results)
    esc = lambda c: str(c).replace("|", "\\|")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in body]
    text = "\n".join(lines) + "\n"
    more = growth(results)
    return text + ("\n" + more if more else "")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.results_table A.json B.json ...``: one Markdown table (and growth table) from
    several runs' records, e.g. the 10k/100k run and the separate 1M runs."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.results_table", description=main.__doc__)
    p.add_argument("files", nargs="+")
    a = p.parse_args(argv)
    merged: dict[str, Any] | None = None
    for path in a.files:
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        if merged is None:
            merged = r
        else:
            merged["blocks"] += r["blocks"]
    assert merged is not None
    merged["blocks"].sort(key=lambda b: (b["events"], b["store"] != "sqlite"))
    print(markdown(merged), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
