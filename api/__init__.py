"""The ledger's HTTP API: a thin FastAPI layer over the application service.

``api.app.create_app(store)`` builds the app; ``api.serve.serve(store, host, port, workers)``
runs it under uvicorn. Every error, whatever raised it, is an RFC 9457 problem
(``application/problem+json``), see ``api.problems``.
"""
