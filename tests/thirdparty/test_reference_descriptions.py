"""Cross-check against the published CDS Hooks API descriptions: official 1.0 (Swagger 2.0), draft 1.1.

The service implements CDS Hooks 2.0; these older descriptions are not its contract, so the service is
not bent to them. What must hold: requests generated from them never cause a 5xx, and our 200 answers
(discovery, cards, feedback) fit their response schemas, so a client built on them can read us. Where
they differ from 2.0 (undeclared 400/404/412/413, no feedback in 1.0, ...) is written down in
docs/conformance.md. The descriptions live in `shared/reference/`, beside the clone in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.builders import bcr_abl1, days_after, hook_request, tki_statement
from tests.thirdparty.service_process import RunningService, running_service

REPO = Path(__file__).resolve().parents[2]
# In a developer's checkout shared/ is beside the repository as well (/work/shared next to /work/main).
REFERENCE = REPO.parent / "shared" / "reference"
DESCRIPTIONS = {
    "1.0": REFERENCE / "cds-hooks-api-1.0.swagger.yaml",
    "1.1-draft": REFERENCE / "cds-hooks-api-1.1-draft.openapi.yaml",
}
SERVICE_ID = "cml-tki-resistance"


@pytest.fixture(scope="module")
def service() -> Iterator[RunningService]:
    with running_service() as running:
        yield running


def _load(name: str) -> Any:
    path = DESCRIPTIONS[name]
    if not path.exists():
        pytest.skip(f"{path} is absent: the CDS Hooks reference descriptions come with shared/ beside the clone")
    return schemathesis.openapi.from_path(str(path))


def _operations(schema: Any) -> dict[tuple[str, str], Any]:
    ops = (result.ok() for result in schema.get_all_operations())
    return {(op.method.upper(), op.path): op for op in ops}


def _path_parameter(path: str) -> str | None:
    """The service-id parameter's name: `id` in 1.0, `serviceId` in 1.1."""
    found = re.search(r"\{([^}]+)\}", path)
    return found.group(1) if found else None


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _failing_request() -> dict[str, Any]:
    """A 2.0 request that is also valid 1.0/1.1 (uuid hookInstance, Bearer), answered with a card."""
    from datetime import UTC, datetime

    start = days_after(datetime.now(UTC).date(), -7)
    return hook_request(
        transcripts=[bcr_abl1(days_after(start, 3), 30.0), bcr_abl1(days_after(start, 6), 25.0)],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )


@pytest.mark.parametrize("name", sorted(DESCRIPTIONS))
def test_our_answers_fit_the_reference_response_schemas(name: str, service: RunningService) -> None:
    schema = _load(name)
    ops = _operations(schema)
    call_path = next(path for (method, path) in ops if method == "POST" and not path.endswith("/feedback"))
    param = _path_parameter(call_path)
    session = _session()

    discovery = ops["GET", "/cds-services"].Case()
    discovery.validate_response(
        discovery.call(base_url=service.base_url, session=session), checks=[response_schema_conformance]
    )

    call = ops["POST", call_path].Case(path_parameters={param: SERVICE_ID}, body=_failing_request())
    response = call.call(base_url=service.base_url, session=session)
    assert response.status_code == 200, response.text
    assert response.json()["cards"], "the scenario must produce a card to check"
    call.validate_response(response, checks=[response_schema_conformance])

    feedback_path = f"{call_path}/feedback"
    if ("POST", feedback_path) in ops:  # 1.1 only: 1.0 has no feedback endpoint
        card = response.json()["cards"][0]["uuid"]
        item = {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}
        feedback = ops["POST", feedback_path].Case(path_parameters={param: SERVICE_ID}, body={"feedback": [item]})
        answer = feedback.call(base_url=service.base_url, session=session)
        assert answer.status_code == 200, answer.text
        feedback.validate_response(answer, checks=[response_schema_conformance])


@pytest.mark.parametrize("name", sorted(DESCRIPTIONS))
def test_requests_generated_from_the_reference_descriptions_never_5xx(name: str, service: RunningService) -> None:
    """Bodies shaped by another reading of the API (1.0/1.1 schemas); their status codes differ by design."""
    schema = _load(name)
    session = _session()
    statuses: dict[str, int] = {}
    for (method, path), operation in sorted(_operations(schema).items()):
        param = _path_parameter(path)
        fixed = {param: SERVICE_ID} if param else None
        # Discovery has no input to negate: Hypothesis would find negative generation unsatisfiable.
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if method == "POST" else (GenerationMode.POSITIVE,)
        for mode in modes:
            _send_generated(operation, mode, fixed, f"{method} {path} {mode.value}", service, session, statuses)
    print(f"\n{name}: " + ", ".join(f"{k}: {n}" for k, n in sorted(statuses.items())))
    assert sum(statuses.values()) >= 40


def _send_generated(
    operation: Any,
    mode: GenerationMode,
    fixed: dict[str, str] | None,
    label: str,
    service: RunningService,
    session: requests.Session,
    statuses: dict[str, int],
) -> None:
    @settings(
        max_examples=40,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, path_parameters=fixed))
    def send(case: Any) -> None:
        response = case.call(base_url=service.base_url, session=session)
        key = f"{label} {response.status_code}"
        statuses[key] = statuses.get(key, 0) + 1
        case.validate_response(response, checks=[not_a_server_error])

    send()
