"""`$export` with SMART Backend Services, step by step as the Bulk Data Access IG (v2) describes it.

This exchange is mocked with respx, one route per step of the IG, because it checks what a real server does not
let a test see: the client assertion as the token endpoint receives it (claims, alg, kid), `Retry-After` honoured
(in seconds and as an HTTP date), a `429` and a transient `5xx` waited out, the access token sent to the file URLs
only when the manifest says `requiresAccessToken`, and the status URL deleted at the end. The same client runs
against a real server (sekmet-fhir, which implements `$export` and a Backend Services token endpoint) in
test_sekmet_export.py.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import respx

from worklist.export import ExportError, run_export
from worklist.smart import ASSERTION_LIFETIME, SmartError, backend_client, discover_token_endpoint, load_key

from .keys import write_key

BASE = "https://ehr.example.org/fhir"
TOKEN_URL = "https://ehr.example.org/auth/token"
STATUS = "https://ehr.example.org/fhir/bulk-status/42"
PATIENT = {"resourceType": "Patient", "id": "p1"}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "69380-4"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2026-10-01",
    "valueQuantity": {"value": 0.05, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
}


def _manifest(requires_token: bool) -> dict[str, Any]:
    """The IG's "Response - Complete Status" example body, with this test's URLs."""
    return {
        "transactionTime": "2026-11-22T09:00:00Z",
        "request": f"{BASE}/$export?_type=Patient,Observation",
        "requiresAccessToken": requires_token,
        "output": [
            {"type": "Patient", "url": "https://files.example.org/output/patient_file_1.ndjson"},
            {"type": "Patient", "url": "https://files.example.org/output/patient_file_2.ndjson"},
            {"type": "Observation", "url": "https://files.example.org/output/observation_file_1.ndjson"},
        ],
        "error": [{"type": "OperationOutcome", "url": "https://files.example.org/output/err_file_1.ndjson"}],
    }


def _token_route(mock: respx.MockRouter, seen: list[dict[str, str]]) -> None:
    def token(request: httpx.Request) -> httpx.Response:
        seen.append(dict(httpx.QueryParams(request.content.decode())))
        return httpx.Response(200, json={"access_token": "at-1", "token_type": "bearer", "expires_in": 300})

    mock.post(TOKEN_URL).mock(side_effect=token)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_client_assertion(tmp_path: Path, kind: str) -> None:
    """SMART Backend Services: alg RS384/ES384, kid and typ in the header; iss = sub = client id, aud = the token
    endpoint, exp ≤ 5 minutes ahead, a fresh jti every time; grant and assertion type as the spec says."""
    path, public = write_key(tmp_path, kind)
    key = load_key(path, kid="worklist-" + kind)
    seen: list[dict[str, str]] = []
    with respx.mock(assert_all_called=True) as mock:
        _token_route(mock, seen)
        for _ in range(2):
            backend_client("cml-worklist", key, TOKEN_URL, "system/*.rs", timeout=5).close()
    assertions = []
    for form in seen:
        assert form["grant_type"] == "client_credentials"
        assert form["scope"] == "system/*.rs"
        assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        header = jwt.get_unverified_header(form["client_assertion"])
        assert header == {"alg": "RS384" if kind == "rsa" else "ES384", "kid": f"worklist-{kind}", "typ": "JWT"}
        verifying = jwt.PyJWK(public).key
        claims = jwt.decode(form["client_assertion"], verifying, algorithms=[header["alg"]], audience=TOKEN_URL)
        assert claims["iss"] == claims["sub"] == "cml-worklist"
        assert 0 < claims["exp"] - time.time() <= ASSERTION_LIFETIME
        assertions.append(claims["jti"])
    assert len(set(assertions)) == 2 and all(len(jti) >= 16 for jti in assertions)


def test_kid_defaults_to_thumbprint_and_keys_are_checked(tmp_path: Path) -> None:
    path, _ = write_key(tmp_path, "ec")
    key = load_key(path)
    assert key.alg == "ES384" and key.kid == key.key.thumbprint()
    with pytest.raises(SmartError, match="cannot sign RS384"):
        load_key(path, alg="RS384")
    p256 = tmp_path / "p256.pem"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p256.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(SmartError, match="P-384"):
        load_key(p256)


def test_discovery_reads_the_token_endpoint() -> None:
    with respx.mock() as mock, httpx.Client() as client:
        mock.get(f"{BASE}/.well-known/smart-configuration").respond(json={"token_endpoint": TOKEN_URL})
        assert discover_token_endpoint(BASE + "/", client) == TOKEN_URL
        mock.get(f"{BASE}/.well-known/smart-configuration").respond(404)
        with pytest.raises(SmartError, match="404"):
            discover_token_endpoint(BASE, client)


@pytest.mark.parametrize("requires_token", [True, False])
def test_export_follows_the_ig(tmp_path: Path, requires_token: bool) -> None:
    path, _ = write_key(tmp_path, "rsa")
    key = load_key(path)
    seen: list[dict[str, str]] = []
    slept: list[float] = []
    files: dict[str, str | None] = {}
    polls = iter(
        [
            httpx.Response(202, headers={"X-Progress": "collecting", "Retry-After": "7"}),
            httpx.Response(429, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}),  # a date long past: 0 s
            httpx.Response(503, json={"resourceType": "OperationOutcome", "issue": [{"code": "transient"}]}),
            httpx.Response(202, headers={"X-Progress": "writing 50%"}),  # no Retry-After: back off
            httpx.Response(200, json=_manifest(requires_token)),
        ]
    )
    bodies = {
        "patient_file_1.ndjson": json.dumps(PATIENT) + "\n",
        "patient_file_2.ndjson": json.dumps({"resourceType": "Patient", "id": "p2"}) + "\n",
        "observation_file_1.ndjson": json.dumps(OBSERVATION) + "\n",
        "err_file_1.ndjson": json.dumps({"resourceType": "OperationOutcome", "issue": [{"code": "processing"}]}),
    }

    def download(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[1]
        files[name] = request.headers.get("Authorization")
        assert request.headers["Accept"] == "application/fhir+ndjson"
        return httpx.Response(200, text=bodies[name], headers={"Content-Type": "application/fhir+ndjson"})

    with respx.mock(assert_all_called=True) as mock:
        _token_route(mock, seen)
        kickoff = mock.get(f"{BASE}/$export").respond(202, headers={"Content-Location": STATUS})
        mock.get(STATUS).mock(side_effect=lambda request: next(polls))
        mock.get(url__startswith="https://files.example.org/output/").mock(side_effect=download)
        deleted = mock.delete(STATUS).respond(202)
        with contextlib.closing(backend_client("cml-worklist", key, TOKEN_URL, "system/*.rs", timeout=5)) as client:
            result = run_export(client, BASE, tmp_path / "export", sleep=slept.append)
    request = kickoff.calls.last.request
    assert request.headers["Prefer"] == "respond-async" and request.headers["Accept"] == "application/fhir+json"
    assert request.headers["Authorization"] == "Bearer at-1"
    assert request.url.params["_type"].split(",")[:3] == ["Patient", "Observation", "MedicationStatement"]
    assert slept == [7.0, 0.0, 4.0, 8.0]  # Retry-After 7 s; a past date; then backoff 4 s and 8 s
    assert result.progress == ["collecting", "in progress", "writing 50%"]
    assert [p.name for p in result.files] == [
        "0001.Patient.ndjson",
        "0002.Patient.ndjson",
        "0003.Observation.ndjson",
    ]
    assert len(result.error_files) == 1 and result.transaction_time == "2026-11-22T09:00:00Z"
    expected = "Bearer at-1" if requires_token else None
    assert files == dict.fromkeys(bodies, expected)
    assert deleted.called
    assert (tmp_path / "export" / "0003.Observation.ndjson").read_text() == bodies["observation_file_1.ndjson"]


def test_group_level_and_errors(tmp_path: Path) -> None:
    with respx.mock() as mock, httpx.Client() as client:
        mock.get(f"{BASE}/Group/cml/$export").respond(
            400, json={"resourceType": "OperationOutcome", "issue": [{"code": "invalid", "diagnostics": "bad _type"}]}
        )
        with pytest.raises(ExportError, match="bad _type"):
            run_export(client, BASE, tmp_path / "g", group="cml")
        mock.get(f"{BASE}/$export").respond(202, headers={"Content-Location": STATUS})
        mock.get(STATUS).respond(
            500, json={"resourceType": "OperationOutcome", "issue": [{"code": "exception", "diagnostics": "disk full"}]}
        )
        with pytest.raises(ExportError, match="disk full"):
            run_export(client, BASE, tmp_path / "s")
        mock.get(STATUS).respond(202, headers={"Retry-After": "60"})
        with pytest.raises(ExportError, match="not complete after 30 s"):
            run_export(client, BASE, tmp_path / "t", timeout=30, sleep=lambda _: None)
