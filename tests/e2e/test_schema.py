"""Schemathesis against the app's own OpenAPI: no 5xx, and every answer conforms to the schema.

Each operation gets a bounded number of generated requests with a valid officer key, half
of them aimed at records that exist (so success answers are checked too, not only 404s).
Fast by default; set LEDGER_FUZZ_EXAMPLES (e.g. 300) for a longer run.

(schemathesis.pytest.from_fixture needs a pytest private attribute that pytest 9 removed,
so the operations are parametrised here and each one drives Hypothesis directly.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    unsupported_method,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.routers import audit, citations, figures, incidents, queries, reports, sources
from tests.e2e.conftest import Api, World

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, ignored_auth, unsupported_method]

OPERATIONS = sorted(
    (method, route.path)
    for module in (sources, incidents, reports, figures, citations, queries, audit)
    for route in module.router.routes
    for method in route.methods  # type: ignore[attr-defined]
) + [("GET", "/health")]


def existing(world: World) -> dict[str, str]:
    return {"source_id": world.public_source, "incident_id": world.incident, "report_id": world.public_report,
            "figure_id": world.figure, "citation_id": world.public_citation}


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")  # schemathesis internals
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_its_schema(shared: tuple[Api, World], method: str, path: str) -> None:
    api, world = shared  # generated requests change the world; the checks hold whatever its state
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    operation = schema[path][method]
    known = existing(world)
    names = [p.name for p in operation.path_parameters if p.name in known]
    strategy = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))
    if names:
        strategy = st.one_of(strategy, operation.as_strategy(path_parameters={n: known[n] for n in names}))
    headers = api.headers("officer")

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
