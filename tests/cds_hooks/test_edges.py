"""Issue #25, item 5: the small edges — framing of the SMART app, deep JSON, hookInstance, /metrics in
production, query strings of /smart in the logs."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cds_hooks.app import create_app
from cds_hooks.settings import Settings, SmartClient
from tests.builders import TODAY, hook_request
from tests.service_replica import Replica

URL = "/cds-services/cml-tki-resistance"
EHR = "https://ehr.example.org/fhir/R4"


# --- frame-ancestors -----------------------------------------------------------------------------------------


def _framing(response: httpx.Response) -> str:
    policies = [v for k, v in response.headers.multi_items() if k == "content-security-policy"]
    directives = [d.strip() for p in policies for d in p.split(";") if d.strip().startswith("frame-ancestors")]
    assert len(directives) == 1, policies
    return directives[0]


@pytest.fixture
def smart_client(tmp_path: Path) -> Iterator[TestClient]:
    clients = [
        SmartClient(iss=EHR, client_id="app", frame_ancestors=["https://portal.example.org"]),
        SmartClient(iss="https://other-ehr.example.com/fhir", client_id="app"),
    ]
    settings = Settings(database_path=tmp_path / "d.sqlite3", smart_clients=clients)
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        yield client


@pytest.mark.parametrize("path", ["/smart/app", "/smart/course.json", "/smart/callback?code=x&state=y", "/smart/nope"])
def test_every_smart_answer_names_the_configured_ehrs_as_its_only_frame_ancestors(
    smart_client: TestClient, path: str
) -> None:
    response = smart_client.get(path, follow_redirects=False)
    assert _framing(response) == (
        "frame-ancestors https://ehr.example.org https://portal.example.org https://other-ehr.example.com"
    )
    assert "x-frame-options" not in response.headers


def test_a_launch_may_be_framed_by_its_own_ehr_only(smart_client: TestClient) -> None:
    response = smart_client.get("/smart/launch", params={"iss": EHR, "launch": "abc"}, follow_redirects=False)
    assert _framing(response) == "frame-ancestors https://ehr.example.org https://portal.example.org"
    unknown = smart_client.get("/smart/launch", params={"iss": "https://evil.example/fhir", "launch": "abc"})
    assert "https://evil.example" not in _framing(unknown)


def test_without_a_smart_client_nothing_may_frame_the_app(client: TestClient) -> None:
    response = client.get("/smart/app")
    assert _framing(response) == "frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in client.get("/healthz").headers


def test_a_frame_ancestor_must_be_an_origin() -> None:
    with pytest.raises(ValueError, match="not an origin"):
        SmartClient(iss=EHR, client_id="app", frame_ancestors=["https://portal.example.org/page"])


# --- deep JSON, hookInstance ---------------------------------------------------------------------------------


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [1_000, 5_000, 100_000])
@pytest.mark.parametrize("where", ["extension", "context", "prefetch", "resource"])
def test_json_nested_too_deep_is_400_not_500(client: TestClient, depth: int, where: str) -> None:
    body: dict[str, Any] = hook_request()
    if where == "extension":
        body["extension"] = {"x": "DEEP"}
    elif where == "context":
        body["context"]["x"] = "DEEP"
    elif where == "prefetch":
        body["prefetch"]["goals"] = {
            "resourceType": "Bundle",
            "entry": [{"resource": {"resourceType": "Goal", "x": "DEEP"}}],
        }
    else:
        body["prefetch"]["patient"]["extension"] = "DEEP"
    response = client.post(URL, content=json.dumps(body).replace('"DEEP"', _deep(depth)))
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_deep_feedback_is_400(client: TestClient) -> None:
    response = client.post(URL + "/feedback", content='{"feedback": ' + _deep(100_000) + "}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "instance",
    [
        "not-a-uuid",
        "d1577c69dfbe44adba6d3e05e953b2ea",
        "{d1577c69-dfbe-44ad-ba6d-3e05e953b2ea}",
        "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\n",
    ],
)
def test_a_hook_instance_that_is_not_a_uuid_is_400(client: TestClient, instance: str) -> None:
    response = client.post(URL, json=hook_request(hookInstance=instance))
    assert response.status_code == 400
    assert "hookInstance" in response.json()["issue"][0]["diagnostics"]


# --- /metrics in production ----------------------------------------------------------------------------------


def _production(tmp_path: Path, token: str | None) -> TestClient:
    settings = Settings.model_construct(
        mode="production",
        database_path=tmp_path / "p.sqlite3",
        metrics_token=SecretStr(token) if token else None,
    )
    return TestClient(create_app(settings, today=lambda: TODAY))


def test_production_metrics_need_the_bearer_token(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(32)
    with _production(tmp_path, token) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and "cmlcds_hook_calls" in answer.text
        assert client.get("/healthz").status_code == 200


def test_production_without_a_metrics_token_closes_metrics(tmp_path: Path) -> None:
    with _production(tmp_path, None) as client:
        assert client.get("/metrics").status_code == 403


def test_a_weak_metrics_token_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cds_hooks.test_settings import EXAMPLE, STRONG_SECRET

    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", STRONG_SECRET)
    with pytest.raises(ValueError, match="metrics_token"):
        Settings(metrics_token="short")


def test_development_metrics_stay_open(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 200


# --- /smart query strings never in a log ---------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_smart_query_strings_are_in_no_log_line(tmp_path: Path, workers: str) -> None:
    env = {
        "CMLCDS_DATABASE_PATH": str(tmp_path / "db" / "d.sqlite3"),
        "CMLCDS_SMART_CLIENTS": json.dumps([{"iss": "http://127.0.0.1:9/fhir", "client_id": "app"}]),
    }
    replica = Replica(tmp_path, env, ["--workers", workers, "--log-level", "info"])
    try:
        replica.wait_ready()
        for _ in range(6):  # new connections: with two workers both see some
            for path in (
                "/smart/callback?code=SECRETCODE&state=SECRETSTATE",
                "/smart/launch?iss=x&launch=SECRETLAUNCH",
            ):
                httpx.get(replica.base_url + path, trust_env=False, follow_redirects=False)
    finally:
        replica.stop()
    log = replica.log_path.read_text()
    assert "supervisor" in log or workers == "1"
    for secret in ("SECRETCODE", "SECRETSTATE", "SECRETLAUNCH"):
        assert secret not in log, log[-3000:]
