"""HttpFhirReader: edge cases with respx (timeouts, 5xx, garbage, endless paging), then the real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from fhir_mapping.http_reader import HttpFhirReader
from tests.builders import PATIENT, bcr_abl1, patient
from tests.fhir_server import FhirServer, running_fhir_server

BASE = "https://ehr.example.org/fhir"
TOKEN = "secret-token-value"


@dataclass(frozen=True)
class Limits:
    fhir_timeout_seconds: float = 1.0
    fhir_total_budget_seconds: float = 2.0
    fhir_max_pages: int = 3


def read(queries: dict[str, str], limits: Limits = Limits(), token: str | None = TOKEN) -> dict[str, Any]:
    return asyncio.run(HttpFhirReader(limits).read(BASE, token, queries))


def _bundle(*resources: dict[str, Any], next_url: str | None = None, outcome: bool = False) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    if outcome:
        entries.append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "warning", "code": "not-supported"}],
                },
                "search": {"mode": "outcome"},
            }
        )
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries, "link": links}


def _diagnostics(value: dict[str, Any]) -> str:
    assert value["resourceType"] == "OperationOutcome"
    return str(value["issue"][0]["diagnostics"])


@respx.mock
def test_pages_are_followed_outcome_entries_dropped_and_headers_sent() -> None:
    first = bcr_abl1(date(2026, 1, 1), 1.0)
    second = bcr_abl1(date(2026, 4, 1), 0.5)
    page1 = respx.get(f"{BASE}/Observation", params={"patient": PATIENT}).mock(
        return_value=httpx.Response(200, json=_bundle(first, next_url=f"{BASE}/Observation?page=2", outcome=True))
    )
    respx.get(f"{BASE}/Observation", params={"page": "2"}).mock(return_value=httpx.Response(200, json=_bundle(second)))
    respx.get(f"{BASE}/Patient/{PATIENT}").mock(return_value=httpx.Response(200, json=patient()))
    result = read({"bcrAbl1": f"Observation?patient={PATIENT}", "patient": f"Patient/{PATIENT}"})
    assert [e["resource"]["id"] for e in result["bcrAbl1"]["entry"]] == [first["id"], second["id"]]
    assert result["patient"]["id"] == PATIENT
    request = page1.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/fhir+json"


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(401), "not authorised (HTTP 401)"),
        (httpx.Response(403), "not authorised (HTTP 403)"),
        (httpx.Response(503), "HTTP 503"),
        (httpx.Response(200, content=b"<html>login</html>"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "not a FHIR resource"),
        (httpx.Response(200, json={"resourceType": "OperationOutcome", "issue": []}), "OperationOutcome"),
    ],
)
@respx.mock
def test_failures_become_an_operation_outcome_for_that_key_only(response: httpx.Response, reason: str) -> None:
    respx.get(f"{BASE}/Observation").mock(return_value=response)
    respx.get(f"{BASE}/Patient/{PATIENT}").mock(return_value=httpx.Response(200, json=patient()))
    result = read({"bcrAbl1": "Observation?patient=x", "patient": f"Patient/{PATIENT}"})
    assert reason in _diagnostics(result["bcrAbl1"]) and result["patient"]["id"] == PATIENT
    assert TOKEN not in str(result)


@respx.mock
def test_timeout_and_connection_errors() -> None:
    respx.get(f"{BASE}/Observation").mock(side_effect=httpx.ReadTimeout("slow"))
    respx.get(f"{BASE}/Condition").mock(side_effect=httpx.ConnectError("refused"))
    result = read({"a": "Observation", "b": "Condition"})
    assert "timed out" in _diagnostics(result["a"]) and "ConnectError" in _diagnostics(result["b"])


@respx.mock
def test_endless_paging_stops_at_the_page_limit() -> None:
    route = respx.get(f"{BASE}/Observation").mock(
        return_value=httpx.Response(200, json=_bundle(next_url=f"{BASE}/Observation?again=1"))
    )
    result = read({"a": "Observation"}, Limits(fhir_max_pages=3))
    assert "more than 3 pages" in _diagnostics(result["a"]) and route.call_count == 3


@respx.mock
def test_a_next_link_to_another_server_is_not_followed() -> None:
    respx.get(f"{BASE}/Observation").mock(
        return_value=httpx.Response(200, json=_bundle(next_url="https://attacker.example.net/steal"))
    )
    other = respx.get("https://attacker.example.net/steal")
    result = read({"a": "Observation"})
    assert "another server" in _diagnostics(result["a"]) and other.call_count == 0


@respx.mock
def test_keys_run_in_parallel_under_the_total_budget() -> None:
    async def slow(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.4)
        return httpx.Response(200, json=_bundle())

    async def stuck(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json=_bundle())

    for kind in ("Observation", "Condition", "Procedure"):
        respx.get(f"{BASE}/{kind}").mock(side_effect=slow)
    respx.get(f"{BASE}/MedicationStatement").mock(side_effect=stuck)
    limits = Limits(fhir_timeout_seconds=60, fhir_total_budget_seconds=1.0)
    loop_start = asyncio.run(_timed(limits, ["Observation", "Condition", "Procedure", "MedicationStatement"]))
    elapsed, result = loop_start
    assert elapsed < 1.6  # three 0.4 s reads in parallel, the stuck one cut at the 1 s budget
    assert all(result[k]["resourceType"] == "Bundle" for k in ("Observation", "Condition", "Procedure"))
    assert "budget" in _diagnostics(result["MedicationStatement"])


async def _timed(limits: Limits, kinds: list[str]) -> tuple[float, dict[str, Any]]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    result = await HttpFhirReader(limits).read(BASE, TOKEN, {k: k for k in kinds})
    return loop.time() - start, result


def test_the_token_is_not_in_the_readers_repr() -> None:
    assert TOKEN not in repr(HttpFhirReader(Limits()))


# --- against the real FHIR server ---------------------------------------------------------------------------

SERVER_TOKEN = "reader-test-token"


@pytest.fixture(scope="module")
def server() -> Iterator[FhirServer]:
    with running_fhir_server(SERVER_TOKEN) as srv:
        srv.put(patient())
        srv.put_all(bcr_abl1(date(2024, 1, 1 + i % 28), 1.0 + i, ident=f"r{i}") for i in range(25))
        srv.put(bcr_abl1(date(2024, 6, 1), 9.0, ident="other", patient="someone-else"))
        yield srv


def _real(srv: FhirServer, queries: dict[str, str], token: str = SERVER_TOKEN) -> dict[str, Any]:
    return asyncio.run(HttpFhirReader(Limits(5.0, 10.0, 50)).read(srv.base_url, token, queries))


@pytest.mark.fhir_server
def test_real_server_search_with_paging(server: FhirServer) -> None:
    result = _real(
        server,
        {
            "bcrAbl1": f"Observation?patient={PATIENT}&code=http://loinc.org|69380-4&_sort=date&_count=10",
            "patient": f"Patient/{PATIENT}",
        },
    )
    ids = [e["resource"]["id"] for e in result["bcrAbl1"]["entry"]]
    assert sorted(ids) == sorted(f"r{i}" for i in range(25))  # three pages of 10, nothing of the other patient
    assert result["patient"]["birthDate"] == "1960-04-02"


@pytest.mark.fhir_server
def test_real_server_drops_outcome_entries_of_unknown_parameters(server: FhirServer) -> None:
    result = _real(server, {"a": f"Observation?patient={PATIENT}&no-such-param=1&_count=1000"})
    assert all(e["resource"]["resourceType"] == "Observation" for e in result["a"]["entry"])
    assert len(result["a"]["entry"]) == 25


@pytest.mark.fhir_server
def test_real_server_wrong_token(server: FhirServer) -> None:
    result = _real(server, {"patient": f"Patient/{PATIENT}"}, token="wrong")
    assert "not authorised" in _diagnostics(result["patient"])
