"""The ordering hooks with no prefetch: the record is read from the real FHIR server, the drafts come
from the context, and the cards are the same as with a full prefetch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import TODAY, bcr_abl1, condition, days_after, kd_variant, patient, tki_statement
from tests.fhir_server import FhirServer, running_fhir_server
from tests.order_builders import HOOKS, URLS, codes, draft, finding, order_request

TOKEN = "ordering-fallback-token"
START = days_after(TODAY, -13)


def _scenario() -> dict[str, Any]:
    """On nilotinib with T315I and coronary disease; imatinib failed before."""
    return {
        "transcripts": [
            bcr_abl1(days_after(START, 3), 12.0, ident="of-t1"),
            bcr_abl1(days_after(START, 12), 9.0, ident="of-t2"),
        ],
        "medications": [
            tki_statement(
                "imatinib",
                days_after(START, -24),
                end=days_after(START, -1),
                status="completed",
                dose_mg=400,
                ident="of-ms1",
                statusReason=[{"text": "primary resistance"}],
            ),
            tki_statement("nilotinib", START, dose_mg=800, per_day=2, ident="of-ms2"),
        ],
        "variants": [kd_variant(days_after(START, 12), "Thr315Ile", vaf=0.3, ident="of-v1")],
        "conditions": [condition("53741008", "Coronary arteriosclerosis", ident="of-c1")],
    }


def _drafts() -> list[dict[str, Any]]:
    return [
        draft("imatinib", dose_mg=400, ident="of-d1"),
        draft("asciminib", dose_mg=40, per_day=2, ident="of-d2"),
        draft("ponatinib", dose_mg=45, ident="of-d3"),
        draft("clarithromycin 500 mg", dose_text="500 mg twice daily", ident="of-d4"),
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[FhirServer]:
    with running_fhir_server(TOKEN) as srv:
        srv.put(patient())
        for resources in _scenario().values():
            srv.put_all(resources)
        yield srv


def _no_prefetch(hook: str, server: FhirServer) -> dict[str, Any]:
    request = order_request(hook, _drafts())
    del request["prefetch"]
    request["fhirServer"] = server.base_url
    request["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cml-cds",
    }
    return request


def _cards(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted((c["summary"], c["extension"]) for c in body["cards"])


@pytest.mark.fhir_server
@pytest.mark.parametrize("hook", HOOKS)
def test_fhir_server_only_gives_the_same_cards_as_full_prefetch(
    client: TestClient, server: FhirServer, hook: str
) -> None:
    with_prefetch = client.post(URLS[hook], json=order_request(hook, _drafts(), **_scenario()))
    fallback = client.post(URLS[hook], json=_no_prefetch(hook, server))
    assert with_prefetch.status_code == 200 and fallback.status_code == 200, fallback.text
    assert _cards(fallback.json()) == _cards(with_prefetch.json())
    found = {(finding(c)["code"], finding(c)["order"]) for c in fallback.json()["cards"]}
    assert {
        ("avoid-tki", "MedicationRequest/of-d1"),
        ("prior-failure", "MedicationRequest/of-d1"),
        ("dose-check", "MedicationRequest/of-d2"),
        ("comorbidity-caution", "MedicationRequest/of-d3"),
        ("drug-interaction", "MedicationRequest/of-d4"),
    } <= found


@pytest.mark.fhir_server
def test_order_select_through_the_fhir_server_speaks_about_the_selection(
    client: TestClient, server: FhirServer
) -> None:
    request = _no_prefetch("order-select", server)
    request["context"]["selections"] = ["MedicationRequest/of-d4"]
    response = client.post(URLS["order-select"], json=request)
    assert response.status_code == 200, response.text
    assert codes(response.json()) == ["drug-interaction"]
    assert finding(response.json()["cards"][0])["interactions"][0]["tki"] == "nilotinib"


@pytest.mark.fhir_server
def test_a_wrong_token_answers_412(client: TestClient, server: FhirServer) -> None:
    request = _no_prefetch("order-sign", server)
    request["fhirAuthorization"]["access_token"] = "not-the-token"
    response = client.post(URLS["order-sign"], json=request)
    assert response.status_code == 412
    assert "not-the-token" not in response.text
