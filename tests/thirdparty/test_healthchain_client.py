"""healthchain 0.16.1 — a CDS Hooks client we did not write — as the EHR against the running service.

Proves the wire format against someone else's reading of the specification: healthchain builds the
requests with its own models, sends them with its own SandboxClient, and every answer is validated with
its `CDSResponse` (and discovery with `CDSServiceInformation`). The service runs as `cml-cds serve`
(uvicorn) in a subprocess; healthchain runs in its own venv (see `healthchain_env.py`).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.builders import bcr_abl1, condition, days_after, hook_request, kd_variant, patient, tki_statement
from tests.fhir_server import running_fhir_server
from tests.thirdparty.healthchain_env import ensure_healthchain_installed
from tests.thirdparty.service_process import RunningService, running_service

DRIVER = Path(__file__).with_name("healthchain_driver.py")
SERVICE_ID = "cml-tki-resistance"
CONTEXT = {"userId": "Practitioner/example", "patientId": "cml-1"}


def _today() -> date:
    """The service under test runs with the real clock, so scenarios are dated from it."""
    return datetime.now(UTC).date()


@pytest.fixture(scope="module")
def healthchain_python() -> Path:
    return ensure_healthchain_installed()


@pytest.fixture(scope="module")
def service() -> Iterator[RunningService]:
    with running_service() as running:
        yield running


def _drive(python: Path, service: RunningService, scenarios: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    spec = tmp / "scenarios.json"
    spec.write_text(json.dumps({"service_url": service.base_url, "service_id": SERVICE_ID, "scenarios": scenarios}))
    proc = subprocess.run([str(python), str(DRIVER), str(spec)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"driver failed:\n{proc.stderr[-4000:]}\nservice log:\n{service.log_text()}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _scenario(name: str, hook_instance: str, **parts: Any) -> dict[str, Any]:
    return {"name": name, "hookInstance": hook_instance, "context": CONTEXT, **parts}


def _failing_resources(start: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Imatinib for 7 months, 30% IS at 3 months and 25% at 6: an ELN 2020 failure."""
    transcripts = [bcr_abl1(days_after(start, 3), 30.0), bcr_abl1(days_after(start, 6), 25.0)]
    return transcripts, [tki_statement("imatinib", start, dose_mg=400)]


def _prefetch_scenarios() -> list[dict[str, Any]]:
    start = days_after(_today(), -7)
    transcripts, medications = _failing_resources(start)
    failing = hook_request(transcripts=transcripts, medications=medications)["prefetch"]
    optimal = hook_request(
        transcripts=[bcr_abl1(days_after(start, 3), 5.0), bcr_abl1(days_after(start, 6), 0.5)],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )["prefetch"]
    mutated = hook_request(
        transcripts=transcripts,
        medications=[tki_statement("dasatinib", start, dose_mg=100)],
        variants=[kd_variant(days_after(start, 6), "Thr315Ile", vaf=0.4)],
        conditions=[condition("19829001", "Disorder of lung", icd10="J98.4")],
    )["prefetch"]
    return [
        _scenario("prefetch-failure", "0b4a2a84-7d2f-4c2b-9b51-5e2a0b3f6f01", prefetch=failing),
        _scenario("prefetch-optimal", "0b4a2a84-7d2f-4c2b-9b51-5e2a0b3f6f02", prefetch=optimal),
        _scenario("prefetch-t315i", "0b4a2a84-7d2f-4c2b-9b51-5e2a0b3f6f03", prefetch=mutated),
    ]


def _assert_conforming(call: dict[str, Any], service: RunningService) -> None:
    assert call["status"] == 200, f"{call['name']}: {call['body']}\n{service.log_text()}"
    assert call["cds_response_error"] is None, f"{call['name']}: healthchain rejects: {call['cds_response_error']}"
    assert call["sandbox_parsed"], f"{call['name']}: SandboxClient fell back to the raw body: {call['sandbox_result']}"


def test_discovery_and_prefetch_calls_conform_to_healthchain(
    healthchain_python: Path, service: RunningService, tmp_path: Path
) -> None:
    result = _drive(healthchain_python, service, _prefetch_scenarios(), tmp_path)
    assert result["healthchain"] == "0.16.1"

    assert result["discovery"]["status"] == 200
    assert result["discovery"]["error"] is None
    [descriptor] = [s for s in result["discovery"]["services"] if s["id"] == SERVICE_ID]
    assert descriptor["hook"] == "patient-view"
    assert {"patient", "bcrAbl1", "medicationStatements"} <= set(descriptor["prefetch"])

    calls = {call["name"]: call for call in result["calls"]}
    for call in calls.values():
        _assert_conforming(call, service)
        assert all(code for code in call["finding_codes"]), "every card carries org.cmlcds.finding.code"
    assert "milestone-failure" in calls["prefetch-failure"]["finding_codes"]
    assert not [c for c in calls["prefetch-optimal"]["finding_codes"] if c.startswith("milestone")]
    # What healthchain kept of the failure card after its own parsing is what we sent.
    sandbox_summaries = [card["summary"] for card in calls["prefetch-failure"]["sandbox_result"]["cards"]]
    assert sandbox_summaries == [card["summary"] for card in calls["prefetch-failure"]["body"]["cards"]]

    feedback = result["feedback"]
    assert feedback is not None, "no card to give feedback on"
    assert feedback["statuses"] == [200, 200]
    assert feedback["bodies"] == [{"stored": 1, "duplicates": 0}, {"stored": 0, "duplicates": 1}]


@pytest.mark.fhir_server
def test_fhir_server_only_call_reads_the_real_fhir_server(
    healthchain_python: Path, service: RunningService, tmp_path: Path
) -> None:
    start = days_after(_today(), -7)
    transcripts, medications = _failing_resources(start)
    token = "healthchain-ehr-token"
    with running_fhir_server(token) as fhir:
        fhir.put_all([patient("cml-1"), *transcripts, *medications])
        auth = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cml-cds",
        }
        scenario = _scenario(
            "fhir-server-only", "0b4a2a84-7d2f-4c2b-9b51-5e2a0b3f6f04", fhirServer=fhir.base_url, fhirAuthorization=auth
        )
        result = _drive(healthchain_python, service, [scenario], tmp_path)
    [call] = result["calls"]
    _assert_conforming(call, service)
    assert "milestone-failure" in call["finding_codes"]
