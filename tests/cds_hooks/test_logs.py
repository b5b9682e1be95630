"""Logs and audit: no JWT, access token or patient value reaches a log line; one audit row per hook call."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cds_hooks.logs import _PATTERNS, RedactingFilter, install_json_logging, pseudonym, redact
from tests.builders import TODAY, bcr_abl1, days_after, hook_request, tki_statement
from tests.cds_hooks.jwt_signer import BASE, Client, epic_token, sandbox_token

URL = "/cds-services/cml-tki-resistance"
PATIENT_ID = "pat-7f3a9c-secret-mrn-998877"
ACCESS_TOKEN = "fhir-access-token-SECRET-4242"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = install_json_logging("DEBUG", stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def _request() -> dict[str, Any]:
    start = days_after(TODAY, -7)
    body = hook_request(
        patient_id=PATIENT_ID,
        transcripts=[bcr_abl1(days_after(start, 6), 25.0, patient=PATIENT_ID)],
        medications=[tki_statement("imatinib", start, dose_mg=400, patient=PATIENT_ID)],
        fhirServer="https://fhir.example.org/r4",
        fhirAuthorization={
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cml-cds",
            "patient": PATIENT_ID,
        },
    )
    return body


def test_a_session_of_calls_leaves_no_secret_and_no_patient_value_in_the_logs(
    auth_app: FastAPI,
    sandbox_client: Client,
    epic_client: Client,
    json_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = sandbox_token(sandbox_client)
    expired = epic_token(epic_client, exp=1, iat=0, nbf=0)
    wrong_aud = epic_token(epic_client, aud="https://elsewhere.example/cds-services/x")
    feedback_jwt = epic_token(epic_client, aud=f"{BASE}{URL}/feedback")
    sent = [good, expired, wrong_aud, feedback_jwt, ACCESS_TOKEN, PATIENT_ID]
    caplog.set_level(logging.DEBUG)
    with TestClient(auth_app, base_url=BASE) as client:
        assert client.post(URL, json=_request(), headers={"Authorization": f"Bearer {good}"}).status_code == 200
        assert client.post(URL, json=_request(), headers={"Authorization": f"Bearer {good}"}).status_code == 401
        for bad in (expired, wrong_aud, "garbage." + ACCESS_TOKEN):
            assert client.post(URL, json=_request(), headers={"Authorization": f"Bearer {bad}"}).status_code == 401
        missing = _request()
        del missing["prefetch"]["bcrAbl1"]  # needs fhirServer: no reader configured → 412 naming no patient
        token = epic_token(epic_client)
        assert client.post(URL, json=missing, headers={"Authorization": f"Bearer {token}"}).status_code == 412
        sent.append(token)
        feedback = {"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}]}
        response = client.post(f"{URL}/feedback", json=feedback, headers={"Authorization": f"Bearer {feedback_jwt}"})
        assert response.status_code == 200

    json_lines = json_log.getvalue().splitlines()
    assert json_lines and all(json.loads(line) for line in json_lines)
    captured = caplog.text + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    for text, where in ((json_log.getvalue(), "JSON handler"), (captured, "caplog")):
        for secret in sent:
            assert secret not in text, f"{where} contains {secret[:12]}…"
        assert "eyJ" not in text, f"{where} contains something JWT-shaped"

    hook_lines = [json.loads(line) for line in json_lines if json.loads(line)["logger"] == "cml_cds.hook"]
    assert [line["audit"]["status_code"] for line in hook_lines] == [200, 401, 401, 401, 401, 412]
    assert hook_lines[0]["audit"]["patient_pseudonym"] == pseudonym(PATIENT_ID, auth_app.state.runtime.pseudonym_secret)
    auth_lines = [json.loads(line) for line in json_lines if json.loads(line)["logger"] == "cml_cds.auth"]
    assert len(auth_lines) == 4 and all(line["reason"] for line in auth_lines)


def test_one_audit_row_per_hook_call(auth_app: FastAPI, epic_client: Client) -> None:
    with TestClient(auth_app, base_url=BASE) as client:
        client.post(URL, json=_request(), headers={"Authorization": f"Bearer {epic_token(epic_client)}"})
        client.post(URL, json=_request())
        client.get("/cds-services")  # not a hook call: no row
    rows = auth_app.state.runtime.audit.all()
    assert len(rows) == 2
    first, second = rows
    assert first["hook_instance"] == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
    assert first["service_id"] == "cml-tki-resistance" and first["status_code"] == 200
    assert first["issuer"] == "https://fhir.epic.example/interconnect-fhir-oauth/oauth2"
    assert "milestone-failure" in first["finding_codes"]
    assert first["knowledge_version"] == auth_app.state.runtime.knowledge.version
    assert first["latency_ms"] > 0
    assert first["patient_pseudonym"] and PATIENT_ID not in json.dumps(rows)
    assert second["status_code"] == 401 and second["issuer"] is None and second["hook_instance"] is None


def test_the_filter_redacts_what_slips_through() -> None:
    jwt_like = "eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJ4In0.c2ln"
    record = logging.LogRecord(
        "httpx", logging.INFO, "", 0, "GET %s", ("https://f/Observation?patient=p1&code=x",), None
    )
    vars(record)["header"] = f"Authorization: Bearer {jwt_like}"  # an `extra` field, set as logging sets them
    RedactingFilter().filter(record)
    assert "p1" not in record.getMessage() and jwt_like not in vars(record)["header"]
    assert redact('{"access_token": "abc123", "x": 1}') == '{"access_token": "[redacted]", "x": 1}'
    assert redact("see Patient/p-9 now") == "see Patient/[redacted] now"


def _every_pass(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_PIECES = [
    "Bearer ",
    "bEaReR\t",
    "eyJ",
    "ey",
    "J",
    ".",
    "access_token",
    "ACCESS_TOKEN",
    "Authorization",
    "=",
    ":",
    '"',
    "patient",
    "PATIENT",
    "Patient/",
    "subject",
    "SUBJECT=",
    "ı",
    "İ",
    "K",
    "ſ",
    "p-1",
    "abc",
    " ",
    "&",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
@example("Bearer abc")
@example("x eyJa.b.c")
@example('"ACCESS_TOKEN": "abc"')
@example("Authorization: abc")
@example("SUBJECT=p-1")
@example("Patient=p-1")
@example("see Patient/p-1")
@example("patıent=p-1")
@settings(max_examples=300)
def test_the_quick_check_before_the_passes_never_changes_what_is_redacted(text: str) -> None:
    """redact() skips the six passes for ASCII text without a marker; the result must be the passes' own."""
    assert redact(text) == _every_pass(text)


def test_pseudonyms_are_stable_per_secret_and_differ_across_secrets() -> None:
    assert pseudonym("p", b"a" * 32) == pseudonym("p", b"a" * 32) != pseudonym("p", b"b" * 32)
    assert len(pseudonym("p", b"a" * 32)) == 32
