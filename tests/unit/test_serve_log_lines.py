"""The server's log tells an exception by its type and frames, never its message: uvicorn logs
the exception Starlette re-raises after a 500 ("Exception in ASGI application") with the
configuration api/serve.py gives it, and a message may quote stored data."""

from __future__ import annotations

import logging
import logging.config

from api.serve import log_config

SECRET = "Witness-Seven-Alias"


def test_a_crash_logged_by_uvicorn_says_its_type_and_frames_not_its_message(capfd) -> None:
    kept = {name: (lg.handlers[:], lg.propagate, lg.level, lg.filters[:])
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            for lg in [logging.getLogger(name)]}
    try:
        logging.config.dictConfig(log_config("info"))
        try:
            raise ValueError(f"duplicate key value: (name)=({SECRET})")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("uvicorn.error").info("Started server process")
    finally:
        for name, (handlers, propagate, level, filters) in kept.items():
            lg = logging.getLogger(name)
            lg.handlers[:], lg.propagate, lg.filters[:] = handlers, propagate, filters
            lg.setLevel(level)
    err = capfd.readouterr().err
    assert "Exception in ASGI application: ValueError at test_serve_log_lines.py:" in err, err
    assert SECRET not in err and "Traceback" not in err, err
    assert "Started server process" in err  # a line without an exception is as uvicorn wrote it
