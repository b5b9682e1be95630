"""/healthz, /readyz and /metrics on the app in-process: no JWT needed, readiness follows the database,
and the counters move by what the calls did (read as differences: the registry is process-wide).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from cds_hooks.openapi import render_openapi
from cds_hooks.settings import Settings
from tests.cds_hooks.jwt_signer import Client, sandbox_token

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "patient-view.json").read_text())
CALL = "/cds-services/cml-tki-resistance"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_health_and_readiness_answer_without_a_jwt_when_authentication_is_on(auth_client: TestClient) -> None:
    assert auth_client.post(CALL, json=EXAMPLE).status_code == 401  # the service itself needs one
    healthz = auth_client.get("/healthz")
    assert (healthz.status_code, healthz.text) == (200, "ok\n")
    readyz = auth_client.get("/readyz")
    assert (readyz.status_code, readyz.text) == (200, "ready\n")
    metrics = auth_client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")


def test_readyz_is_503_while_the_database_cannot_be_opened_and_200_again_after(
    client: TestClient, app: FastAPI, settings: Settings
) -> None:
    assert client.get("/readyz").status_code == 200
    database = app.state.runtime.database
    database.close()
    moved = settings.database_path.with_suffix(".moved")
    settings.database_path.rename(moved)
    settings.database_path.mkdir()  # a folder where the file was: SQLite cannot open it
    try:
        response = client.get("/readyz")
        assert (response.status_code, response.text) == (503, "database not answering\n")
        assert client.get("/healthz").status_code == 200  # liveness does not depend on the database
    finally:
        shutil.rmtree(settings.database_path)
        moved.rename(settings.database_path)
    assert client.get("/readyz").status_code == 200


def test_a_hook_call_counts_the_call_its_cards_and_times_each_stage(client: TestClient) -> None:
    labels = {"service": "cml-tki-resistance"}
    before_calls = _value("cmlcds_hook_calls_total", status="200", **labels)
    before_cards = _value("cmlcds_cards_total", code="milestone-failure", **labels)
    before_stages = {s: _value("cmlcds_stage_seconds_count", stage=s) for s in ("mapping_algorithm", "rendering")}
    before_latency = _value("cmlcds_hook_call_seconds_count", **labels)
    cards = client.post(CALL, json=EXAMPLE).json()["cards"]
    milestone = sum(c["extension"]["org.cmlcds.finding"]["code"] == "milestone-failure" for c in cards)
    assert milestone == 1
    assert _value("cmlcds_hook_calls_total", status="200", **labels) == before_calls + 1
    assert _value("cmlcds_cards_total", code="milestone-failure", **labels) == before_cards + 1
    assert _value("cmlcds_hook_call_seconds_count", **labels) == before_latency + 1
    for stage, before in before_stages.items():
        assert _value("cmlcds_stage_seconds_count", stage=stage) == before + 1
    assert client.post("/cds-services/no-such-service", json=EXAMPLE).status_code == 404
    assert _value("cmlcds_hook_calls_total", service="unknown", status="404") >= 1  # no caller-chosen labels


def test_the_exposition_is_prometheus_text_with_the_documented_families(client: TestClient) -> None:
    client.post(CALL, json=EXAMPLE)
    families = {f.name for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert {
        "cmlcds_hook_calls",
        "cmlcds_cards",
        "cmlcds_hook_call_seconds",
        "cmlcds_stage_seconds",
        "cmlcds_fhir_reads",
        "cmlcds_feedback_items",
        "cmlcds_auth_refusals",
    } <= families


def test_feedback_is_counted_by_outcome_and_duplicates_apart(client: TestClient) -> None:
    item = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}
    received = _value("cmlcds_feedback_items_total", outcome="overridden", result="received")
    duplicates = _value("cmlcds_feedback_items_total", outcome="all", result="duplicate")
    for _ in range(2):
        assert client.post(f"{CALL}/feedback", json={"feedback": [item]}).status_code == 200
    assert _value("cmlcds_feedback_items_total", outcome="overridden", result="received") == received + 2
    assert _value("cmlcds_feedback_items_total", outcome="all", result="duplicate") == duplicates + 1


def test_jwt_refusals_are_counted_by_kind(auth_client: TestClient, sandbox_client: Client) -> None:
    missing = _value("cmlcds_auth_refusals_total", reason="missing")
    replay = _value("cmlcds_auth_refusals_total", reason="replay")
    assert auth_client.post(CALL, json=EXAMPLE).status_code == 401
    token = sandbox_token(sandbox_client)
    headers = {"Authorization": f"Bearer {token}"}
    assert auth_client.post(CALL, json=EXAMPLE, headers=headers).status_code == 200
    assert auth_client.post(CALL, json=EXAMPLE, headers=headers).status_code == 401
    assert _value("cmlcds_auth_refusals_total", reason="missing") == missing + 1
    assert _value("cmlcds_auth_refusals_total", reason="replay") == replay + 1


def test_the_hook_call_audit_row_names_the_cards_returned(app: FastAPI) -> None:
    with TestClient(app) as client:
        cards = client.post(CALL, json=EXAMPLE).json()["cards"]
    # the app has shut down: the audit writer drained its queue before the database closed
    (row,) = app.state.runtime.audit.all()
    assert row["cards"] == [(c["uuid"], c["extension"]["org.cmlcds.finding"]["code"]) for c in cards]


def test_openapi_documents_the_operations_endpoints_without_security(app: FastAPI) -> None:
    paths = json.loads(render_openapi(app))["paths"]
    for path in ("/healthz", "/readyz", "/metrics"):
        assert "security" not in paths[path]["get"]
    assert {"200", "503"} <= set(paths["/readyz"]["get"]["responses"])


@respx.mock
def test_fhir_reads_are_counted_by_outcome(client: TestClient) -> None:
    respx.get(url__startswith="http://fhir.test/r4/").mock(return_value=httpx.Response(500))
    failed = _value("cmlcds_fhir_reads_total", outcome="failed")
    reads = _value("cmlcds_stage_seconds_count", stage="fhir_read")
    request = {k: v for k, v in EXAMPLE.items() if k != "prefetch"} | {"fhirServer": "http://fhir.test/r4"}
    assert client.post(CALL, json=request).status_code == 412
    assert _value("cmlcds_fhir_reads_total", outcome="failed") == failed + 1
    assert _value("cmlcds_stage_seconds_count", stage="fhir_read") == reads + 1
