"""No prefetch at all: the service reads the real FHIR server (bearer auth) and gives the same cards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    TODAY,
    bcr_abl1,
    condition,
    days_after,
    hook_request,
    kd_variant,
    lab_observation,
    patient,
    procedure,
    stage_group,
    tki_statement,
)
from tests.fhir_server import FhirServer, running_fhir_server

URL = "/cds-services/cml-tki-resistance"
TOKEN = "fallback-test-token"
START = days_after(TODAY, -13)


def _scenario() -> dict[str, Any]:
    """Imatinib failure with T315I, on a hypertensive patient, accelerated phase recorded by a stage group
    (prefetch key `phaseStaging`): several cards, every prefetch key used."""
    return {
        "transcripts": [
            bcr_abl1(days_after(START, 3), 15.0, ident="fb-t1"),
            bcr_abl1(days_after(START, 6), 25.0, ident="fb-t2"),
            bcr_abl1(days_after(START, 12), 30.0, ident="fb-t3"),
        ],
        "medications": [tki_statement("imatinib", START, dose_mg=400, ident="fb-ms1")],
        "variants": [kd_variant(days_after(START, 12), "Thr315Ile", vaf=0.4, ident="fb-v1")],
        "conditions": [condition("38341003", "Hypertension", ident="fb-c1")],
        "procedures": [procedure("80146002", date(2001, 5, 5), text="Appendectomy", ident="fb-p1")],
        "staging": [stage_group(days_after(START, 12), snomed="278179005", ident="fb-st1")],
    }


@pytest.fixture(scope="module")
def server() -> Iterator[FhirServer]:
    with running_fhir_server(TOKEN) as srv:
        srv.put(patient())
        for resources in _scenario().values():
            srv.put_all(resources)
        srv.put(lab_observation("26446-5", days_after(START, 12), value=2.0, unit="%", ident="fb-b1"))
        yield srv


def _full_prefetch() -> dict[str, Any]:
    request = hook_request(**_scenario())
    blasts = lab_observation("26446-5", days_after(START, 12), value=2.0, unit="%", ident="fb-b1")
    request["prefetch"]["blasts"]["entry"] = [{"resource": blasts}]
    return request


def _no_prefetch(server: FhirServer, token: str = TOKEN) -> dict[str, Any]:
    request = hook_request()
    del request["prefetch"]
    request["fhirServer"] = server.base_url
    request["fhirAuthorization"] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cml-cds",
    }
    return request


def _cards(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted((c["summary"], c["extension"]) for c in body["cards"])


@pytest.mark.fhir_server
def test_no_prefetch_gives_the_same_cards_as_full_prefetch(client: TestClient, server: FhirServer) -> None:
    with_prefetch = client.post(URL, json=_full_prefetch())
    fallback = client.post(URL, json=_no_prefetch(server))
    assert with_prefetch.status_code == 200 and fallback.status_code == 200, fallback.text
    assert _cards(fallback.json()) == _cards(with_prefetch.json())
    codes = {c["extension"]["org.cmlcds.finding"]["code"] for c in fallback.json()["cards"]}
    assert "milestone-failure" in codes
    # the stage group came from fhirServer through the phaseStaging query: the phase card cites it
    [phase] = [c for c in fallback.json()["cards"] if c["extension"]["org.cmlcds.finding"]["code"] == "advanced-phase"]
    assert "Observation/fb-st1" in phase["detail"]


@pytest.mark.fhir_server
def test_some_keys_prefetched_the_rest_read(client: TestClient, server: FhirServer) -> None:
    request = _no_prefetch(server)
    full = _full_prefetch()["prefetch"]
    request["prefetch"] = {"patient": full["patient"], "bcrAbl1": full["bcrAbl1"], "conditions": None}
    response = client.post(URL, json=request)
    assert response.status_code == 200
    assert _cards(response.json()) == _cards(client.post(URL, json=_full_prefetch()).json())


@pytest.mark.fhir_server
def test_a_wrong_token_answers_412(client: TestClient, server: FhirServer) -> None:
    response = client.post(URL, json=_no_prefetch(server, token="not-the-token"))
    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "not-the-token" not in response.text
