"""fhirServer allow-list: a request naming a server off the list is refused before any connection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.services.cml_tki_resistance import CML_TKI_RESISTANCE
from cds_hooks.settings import Settings
from tests.builders import TODAY, bundle, hook_request, patient
from tests.cds_hooks.jwt_signer import BASE, FHIR_SERVER, Client, FakeFetcher, epic_token

URL = "/cds-services/cml-tki-resistance"


class RecordingReader:
    """A FhirReader that records every call and answers empty bundles (a patient for Patient/…)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        self.calls.append(fhir_server)
        return {key: patient() if query.startswith("Patient/") else bundle() for key, query in queries.items()}


def _needs_reading(fhir_server: str) -> dict[str, Any]:
    request = hook_request(
        fhirServer=fhir_server,
        fhirAuthorization={
            "access_token": "opaque-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cml-cds",
        },
    )
    del request["prefetch"]["bcrAbl1"]
    return request


@pytest.fixture
def reader() -> RecordingReader:
    return RecordingReader()


@pytest.fixture
def guarded_auth_app(auth_settings: Settings, jwks_fetcher: FakeFetcher, reader: RecordingReader) -> FastAPI:
    return create_app(auth_settings, today=lambda: TODAY, jwks_fetcher=jwks_fetcher, fhir_reader=reader)


def _post(app: FastAPI, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(app, base_url=BASE) as client:
        return client.post(URL, json=body, headers=headers)


@pytest.mark.parametrize(
    "fhir_server",
    [
        "https://evil.example.org/fhir",
        "https://fhir.epic.example.evil.example.org/interconnect-fhir-oauth/api/FHIR/R4",
        FHIR_SERVER + "/../../other",
        FHIR_SERVER.replace("https:", "http:"),
        "https://fhir.example.org/r4",  # on the list, but of the other issuer
    ],
)
def test_a_fhir_server_off_the_issuers_list_is_412_without_a_connection(
    guarded_auth_app: FastAPI, reader: RecordingReader, epic_client: Client, fhir_server: str
) -> None:
    response = _post(guarded_auth_app, _needs_reading(fhir_server), epic_token(epic_client))
    assert response.status_code == 412
    assert response.json()["issue"][0]["code"] == "security"
    assert reader.calls == []


def test_a_listed_fhir_server_is_read(guarded_auth_app: FastAPI, reader: RecordingReader, epic_client: Client) -> None:
    response = _post(guarded_auth_app, _needs_reading(FHIR_SERVER + "/"), epic_token(epic_client))
    assert response.status_code == 200
    assert reader.calls == [FHIR_SERVER + "/"]


def test_an_unlisted_fhir_server_is_ignored_when_prefetch_is_complete(
    guarded_auth_app: FastAPI, reader: RecordingReader, epic_client: Client
) -> None:
    body = hook_request(fhirServer="https://evil.example.org/fhir")
    for key in CML_TKI_RESISTANCE.prefetch_keys:  # complete whatever keys the service publishes today
        body["prefetch"].setdefault(key.key, bundle())
    assert _post(guarded_auth_app, body, epic_token(epic_client)).status_code == 200
    assert reader.calls == []


def test_development_without_auth_allows_any_http_server_but_no_other_scheme(
    tmp_path: Path, reader: RecordingReader
) -> None:
    app = create_app(Settings(database_path=tmp_path / "d.sqlite3"), today=lambda: TODAY, fhir_reader=reader)
    # issue #10: a fhirServer that is not an absolute http(s) base URL is a malformed request (400), checked
    # before the allow-list; the reader is never called either way
    for refused in ("file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://example.org/fhir", "https://user:pw@h/"):
        assert _post(app, _needs_reading(refused)).status_code == 400
    assert reader.calls == []
    assert _post(app, _needs_reading("http://127.0.0.1:8081/fhir")).status_code == 200
    assert reader.calls == ["http://127.0.0.1:8081/fhir"]
