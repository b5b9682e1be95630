"""The service call: status codes, OperationOutcome bodies, and the contract's card extension."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.builders import TODAY, bcr_abl1, days_after, hook_request, tki_statement

URL = "/cds-services/cml-tki-resistance"
START = days_after(TODAY, -7)


def _outcome(response: Any) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    return str(body["issue"][0]["diagnostics"])


def _failing_patient() -> dict[str, Any]:
    return hook_request(
        transcripts=[bcr_abl1(days_after(START, 6), 25.0)],
        medications=[tki_statement("imatinib", START, dose_mg=400)],
    )


def test_failure_at_6_months_gives_a_failure_card_with_the_contract_extension(client: TestClient) -> None:
    response = client.post(URL, json=_failing_patient())
    assert response.status_code == 200
    cards = response.json()["cards"]
    milestone = [c for c in cards if c["extension"]["org.cmlcds.finding"]["code"].startswith("milestone")]
    assert len(milestone) == 1
    card = milestone[0]
    finding = card["extension"]["org.cmlcds.finding"]
    assert finding["code"] == "milestone-failure"
    assert finding["guideline"] == "ELN 2020"
    assert finding["response"] == {"eln": "failure", "months": 6.0, "bcrAbl1IS": 25.0}
    assert finding["rules"][0] == "eln2020.m6.failure"  # first the deciding rule, then those of folded cards
    assert card["indicator"] == "warning"
    assert len(card["summary"]) < 140
    assert card["source"]["label"] == "ELN 2020 (Hochhaus et al., Leukemia 2020)"
    assert card["source"]["topic"]["code"] == "milestone-failure"
    assert "25% IS" in card["detail"] and days_after(START, 6).isoformat() in card["detail"]
    assert "imatinib" in card["detail"] and "ELN 2020 (Hochhaus et al., Leukemia 2020)" in card["detail"]
    assert "eln2020.m6.failure" in [rule["id"] for rule in finding["ruleDetails"]]


def test_response_reports_service_and_knowledge_versions(client: TestClient) -> None:
    body = client.post(URL, json=_failing_patient()).json()
    meta = body["extension"]["org.cmlcds.response"]
    assert meta["knowledgeVersion"] and meta["serviceVersion"]


def test_card_uuids_are_stable_for_a_retried_hook_instance(client: TestClient) -> None:
    first = client.post(URL, json=_failing_patient()).json()["cards"]
    second = client.post(URL, json=_failing_patient()).json()["cards"]
    assert [c["uuid"] for c in first] == [c["uuid"] for c in second]


def test_optimal_response_returns_no_cards(client: TestClient) -> None:
    request = hook_request(
        transcripts=[bcr_abl1(days_after(START, 3), 5.0), bcr_abl1(days_after(START, 6), 0.5)],
        medications=[tki_statement("imatinib", START, dose_mg=400)],
    )
    response = client.post(URL, json=request)
    assert response.status_code == 200
    assert response.json()["cards"] == []


def test_wrong_hook_is_400(client: TestClient) -> None:
    response = client.post(URL, json=hook_request(hook="order-sign"))
    assert response.status_code == 400
    assert "patient-view" in _outcome(response)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[]", json.dumps({"hook": "patient-view"}).encode()],
    ids=["malformed", "empty", "array", "no-hookInstance-no-context"],
)
def test_malformed_or_invalid_request_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(URL, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    _outcome(response)


def test_context_without_patient_is_400(client: TestClient) -> None:
    request = hook_request()
    request["context"] = {"userId": "Practitioner/1"}
    response = client.post(URL, json=request)
    assert response.status_code == 400
    assert "patientId" in _outcome(response)


def test_unknown_service_is_404(client: TestClient) -> None:
    response = client.post("/cds-services/no-such-service", json=hook_request())
    assert response.status_code == 404
    _outcome(response)


def test_unknown_path_is_404_operation_outcome(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    _outcome(response)


@pytest.mark.parametrize("how", ["missing", "null", "operation-outcome"])
@pytest.mark.parametrize("key", ["bcrAbl1", "medicationStatements", "kinaseDomainVariants", "patient"])
def test_required_prefetch_unsatisfied_without_fhir_server_is_412(client: TestClient, key: str, how: str) -> None:
    request = hook_request()
    if how == "missing":
        del request["prefetch"][key]
    elif how == "null":
        request["prefetch"][key] = None
    else:
        request["prefetch"][key] = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "x"}],
        }
    response = client.post(URL, json=request)
    assert response.status_code == 412
    assert key in _outcome(response)


def test_no_prefetch_at_all_without_fhir_server_is_412(client: TestClient) -> None:
    request = hook_request()
    del request["prefetch"]
    assert client.post(URL, json=request).status_code == 412


def test_optional_prefetch_missing_is_said_on_a_card(client: TestClient) -> None:
    request = _failing_patient()
    del request["prefetch"]["conditions"]
    cards = client.post(URL, json=request).json()["cards"]
    codes = [c["extension"]["org.cmlcds.finding"]["code"] for c in cards]
    assert "not-assessable" in codes
    note = next(c for c in cards if c["extension"]["org.cmlcds.finding"]["code"] == "not-assessable")
    assert "conditions" in note["detail"]


def test_body_over_the_limit_is_413(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "db.sqlite3", max_body_bytes=2_000)
    with TestClient(create_app(settings, today=lambda: TODAY)) as small:
        response = small.post(URL, json=_failing_patient() | {"padding": "x" * 5_000})
        assert response.status_code == 413
        _outcome(response)
        # the limit holds without a Content-Length header too (chunked upload)
        chunks = iter([b"{" + b" " * 1500, b" " * 1500 + b"}"])
        response = small.post(URL, content=chunks, headers={"content-type": "application/json"})
        assert response.status_code == 413


def test_default_limit_admits_a_patient_with_10000_results(client: TestClient) -> None:
    transcripts = [bcr_abl1(days_after(START, -200 + i * 0.02), 0.05) for i in range(10_000)]
    request = hook_request(transcripts=transcripts, medications=[tki_statement("imatinib", START, dose_mg=400)])
    assert client.post(URL, json=request).status_code == 200
