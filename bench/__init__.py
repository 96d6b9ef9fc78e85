"""Benchmarks of the incident ledger, run apart from the test suite: ``python -m bench``.

Every figure is a ratio against a baseline measured in the same run on the same store
(see docs/performance.md), so the numbers mean something on a shared, noisy machine.

One module per job:

=================  ==============================================================
``config``         options, the fixed seed, the Zipf exponent, smoke/default sizes
``stats``          timers, medians, percentiles
``stores``         fresh SQLite files / PostgreSQL schemas, and their removal
``workload``       the deterministic, Zipf-skewed stream of ledger operations
``build``          a large log, fast: domain events bulk-inserted via the recorder
``baseline``       the bare eventsourcing application and the raw notification read
``ingest``         ledger commands vs bare saves of the same shape
``http_ingest``    the same commands sent through the API (and the bare store behind HTTP)
``projection``     catch-up and rebuild of the read models vs the raw read
``reads``          in-process read latencies (tallies, histories, Merkle proofs)
``web``            requests/s of the API vs a bare FastAPI endpoint (uvicorn workers)
``loadgen``        the HTTP load generator (wrk if installed, else an asyncio client)
``report``         the table on stdout and the JSON file
``runner``         puts the phases together per store and scale
``nodelay``        uvicorn with TCP_NODELAY for the HTTP phase
``bare_api``       the bare FastAPI endpoints (HTTP baselines: a body, a bare save)
=================  ==============================================================
"""
