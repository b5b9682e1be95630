"""Generated adversarial requests (schemathesis) against the running service and its committed document.

Every response must be a non-5xx that matches `openapi/cml-cds.openapi.json` (status code declared,
content type, body schema). Generation is derandomized so CI sees the same requests on every run.
The service runs as `cml-cds serve` (uvicorn) in a subprocess: what is tested is what an EHR reaches.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.thirdparty.fhir_fuzz import fuzzed_prefetch
from tests.thirdparty.service_process import RunningService, running_service

REPO = Path(__file__).resolve().parents[2]
OPENAPI = REPO / "openapi" / "cml-cds.openapi.json"
SERVICE_ID = "cml-tki-resistance"
# The service runs in development mode, where authentication is off and the document's `cdsClientJwt`
# security scheme is not enforced; a fixed (ignored) bearer header keeps negative generation from
# "dropping the required Authorization" and expecting a 401 that development mode rightly never sends.
# Authentication itself is tested in tests/cds_hooks/test_auth*.py.
HEADERS = {"Authorization": "Bearer schemathesis"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Examples per (operation, mode) pass: 2 operations x (2 x 330 + 40) + discovery = 1,401 requests at most
# (Hypothesis stops early when it has exhausted a small input space).
EXAMPLES = 330
FHIR_EXAMPLES = 400
MIN_REQUESTS = 1000


@dataclass
class Tally:
    """What was sent and what came back, for the final assertions and their messages."""

    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def server_errors(self) -> int:
        return sum(n for key, n in self.statuses.items() if key.rsplit(" ", 1)[-1].startswith("5"))


@pytest.fixture(scope="module")
def service() -> Iterator[RunningService]:
    with running_service() as running:
        yield running


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_path(str(OPENAPI))


def _operation(schema: Any, method: str, path: str) -> Any:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    raise AssertionError(f"{method} {path} is not in {OPENAPI}")


def _run(
    label: str,
    strategy: st.SearchStrategy[Any],
    service: RunningService,
    tally: Tally,
    checks: list[Any],
    examples: int = EXAMPLES,
) -> None:
    """Send `examples` generated cases (derandomized), recording every status and check failure."""
    session = requests.Session()
    session.trust_env = False  # a developer's proxy must not capture 127.0.0.1

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: Any) -> None:
        response = case.call(base_url=service.base_url, session=session)
        tally.statuses[f"{label} {response.status_code}"] += 1
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup: keep it with its request
            if len(tally.failures) < 20:
                body = json.dumps(case.body)[:800] if case.body is not None else ""
                where = f"{case.method} {case.path} {case.path_parameters or ''}"
                tally.failures.append(f"{label}: {where} -> {response.status_code} body={body}\n{exc}"[:3000])

    send()
    session.close()


def _steer(case: Any, prefetch: dict[str, Any]) -> Any:
    """A valid patient-view envelope around hostile prefetch, so cases get past the 400/412 gate."""
    case.body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/fuzz", "patientId": "cml-1"},
        "prefetch": prefetch,
    }
    return case


def _assert_clean(tally: Tally, minimum: int) -> None:
    summary = "\n".join(f"  {key}: {n}" for key, n in sorted(tally.statuses.items()))
    print(f"\nschemathesis: {tally.total} requests\n{summary}")
    assert tally.total >= minimum, f"only {tally.total} requests were generated:\n{summary}"
    assert tally.server_errors() == 0, f"{tally.server_errors()} 5xx answers:\n" + "\n\n".join(tally.failures[:5])
    assert not tally.failures, f"{len(tally.failures)}+ responses do not match the document:\n" + "\n\n".join(
        tally.failures[:5]
    )


def test_generated_requests_never_5xx_and_match_the_document(schema: Any, service: RunningService) -> None:
    """Schema-driven generation over all three operations, valid (positive) and invalid (negative) data."""
    tally = Tally()
    discovery = _operation(schema, "GET", "/cds-services")
    call = _operation(schema, "POST", "/cds-services/{service_id}")
    feedback = _operation(schema, "POST", "/cds-services/{service_id}/feedback")
    fixed = {"service_id": SERVICE_ID}
    negative_checks = [*CHECKS, negative_data_rejection]

    _run("discovery", discovery.as_strategy(headers=HEADERS), service, tally, CHECKS, examples=20)
    for name, operation in (("service", call), ("feedback", feedback)):
        positive = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed, headers=HEADERS)
        negative = operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed, headers=HEADERS)
        _run(f"{name}+", positive, service, tally, CHECKS)
        _run(f"{name}-", negative, service, tally, negative_checks)
        # Generated service ids too (unknown ids, odd characters, percent-encoding): 404, never 5xx.
        _run(
            f"{name}?id",
            operation.as_strategy(GenerationMode.POSITIVE, headers=HEADERS),
            service,
            tally,
            CHECKS,
            examples=40,
        )
    _assert_clean(tally, MIN_REQUESTS)


def test_hostile_fhir_prefetch_never_5xx(schema: Any, service: RunningService) -> None:
    """A valid patient-view envelope around generated hostile FHIR (see fhir_fuzz.py) reaches the mapping."""
    tally = Tally()
    call = _operation(schema, "POST", "/cds-services/{service_id}")
    cases = call.as_strategy(GenerationMode.POSITIVE, path_parameters={"service_id": SERVICE_ID}, headers=HEADERS)
    _run("service+fhir", st.builds(_steer, cases, fuzzed_prefetch()), service, tally, CHECKS, examples=FHIR_EXAMPLES)
    _assert_clean(tally, FHIR_EXAMPLES // 2)
