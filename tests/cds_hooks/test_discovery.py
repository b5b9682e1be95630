from __future__ import annotations

from fastapi.testclient import TestClient


def test_discovery_lists_the_service_with_its_prefetch_templates(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert [s["id"] for s in services] == ["cml-tki-order-select", "cml-tki-order-sign", "cml-tki-resistance"]
    service = services[2]
    assert service["hook"] == "patient-view"
    assert service["description"] and service["title"]
    prefetch = service["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "http://loinc.org|69380-4" in prefetch["bcrAbl1"]
    assert "http://loinc.org|69548-6" in prefetch["kinaseDomainVariants"]
    assert prefetch["medicationStatements"] == "MedicationStatement?patient={{context.patientId}}"


def test_cors_preflight_allows_the_sandbox_with_authorization(client: TestClient) -> None:
    response = client.options(
        "/cds-services/cml-tki-resistance",
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_cors_refuses_an_unknown_origin(client: TestClient) -> None:
    response = client.options(
        "/cds-services",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
