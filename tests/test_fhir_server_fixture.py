"""Prove the real-FHIR-server helper (tests/fhir_server.py) works, and pin down sekmet-fhir's behaviour.

These tests document what the CDS Hooks service's FHIR client may rely on when tested against
sekmet-fhir 0.1.1: bearer auth, token search with OR, ``_sort``, ``_count`` paging with absolute
``next`` links, and the search parameter names each resource type really supports.
Self-contained on purpose (no conftest needed); one server is shared per module to keep start-up
cost (~1-2 s) paid once, and each test uses its own patient id so tests stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

try:  # works whether or not tests/ becomes a package
    from tests.fhir_server import FhirServer, FhirServerError, running_fhir_server
except ImportError:  # pragma: no cover - depends on how pytest sets sys.path
    from fhir_server import (  # type: ignore[no-redef,import-not-found]
        FhirServer,
        FhirServerError,
        running_fhir_server,
    )

pytestmark = pytest.mark.fhir_server

TOKEN = "test-token-123"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"


@pytest.fixture(scope="module")
def fhir() -> Iterator[FhirServer]:
    with running_fhir_server(TOKEN) as server:
        yield server


@pytest.fixture
def client(fhir: FhirServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fhir.base_url, headers=fhir.auth_headers, timeout=10) as c:
        yield c


def observation(oid: str, patient: str, code: str, when: str, value: float, *, system: str = LOINC) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
    }


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    """Ids of entries whose search.mode is ``mode``.

    sekmet may append an OperationOutcome entry with mode 'outcome', so never just take all entries.
    """
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == mode]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((lk["url"] for lk in bundle.get("link", []) if lk["relation"] == relation), None)


def test_put_observation_then_search_by_patient_code_sorted(fhir: FhirServer, client: httpx.Client) -> None:
    # Patient/p1 is never created: sekmet has no referential integrity, a bare reference is enough.
    fhir.put(observation("obs-p1-a", "p1", "69380-4", "2024-03-01T10:00:00Z", 0.5))
    fhir.put(observation("obs-p1-b", "p1", "69380-4", "2023-03-01T10:00:00Z", 0.7))
    fhir.put(observation("obs-p1-other", "p1", "2345-7", "2024-01-01", 5.0))

    resp = client.get("/Observation", params={"patient": "p1", "code": f"{LOINC}|69380-4", "_sort": "date"})

    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/fhir+json")
    bundle = resp.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["total"] == 2
    assert ids(bundle) == ["obs-p1-b", "obs-p1-a"]  # ascending by effective date
    assert [e.get("search", {}).get("mode") for e in bundle["entry"]] == ["match", "match"]  # no warnings
    first = bundle["entry"][1]
    assert first["fullUrl"] == f"{fhir.base_url}/Observation/obs-p1-a"
    assert first["resource"]["valueQuantity"]["value"] == 0.5
    assert first["resource"]["meta"]["versionId"] == "1"

    desc = client.get("/Observation", params={"patient": "p1", "code": f"{LOINC}|69380-4", "_sort": "-date"}).json()
    assert ids(desc) == ["obs-p1-a", "obs-p1-b"]
    # patient=Patient/p1 and subject=Patient/p1 are equivalent forms
    assert client.get("/Observation", params={"patient": "Patient/p1"}).json()["total"] == 3
    assert client.get("/Observation", params={"subject": "Patient/p1"}).json()["total"] == 3


def test_without_or_with_wrong_token_is_401(fhir: FhirServer, client: httpx.Client) -> None:
    fhir.put(observation("obs-auth", "p-auth", "69380-4", "2024-01-01", 0.5))
    url = f"{fhir.base_url}/Observation"
    params = {"patient": "p-auth", "code": f"{LOINC}|69380-4", "_sort": "date"}

    no_token = httpx.get(url, params=params)
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == 'Bearer realm="sekmet"'
    assert no_token.json()["resourceType"] == "OperationOutcome"

    assert httpx.get(url, params=params, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{fhir.base_url}/Observation/obs-auth").status_code == 401
    assert httpx.put(f"{fhir.base_url}/Observation/x", json={"resourceType": "Observation"}).status_code == 401
    # The CapabilityStatement is public (the helper uses it as readiness probe).
    assert httpx.get(f"{fhir.base_url}/metadata").status_code == 200
    assert client.get("/Observation", params=params).json()["total"] == 1


def test_count_gives_absolute_next_link_to_second_result(fhir: FhirServer, client: httpx.Client) -> None:
    fhir.put_all(
        [
            observation("obs-page-1", "p-page", "69380-4", "2022-01-01", 0.1),
            observation("obs-page-2", "p-page", "69380-4", "2023-01-01", 0.2),
            observation("obs-page-3", "p-page", "69380-4", "2024-01-01", 0.3),
        ]
    )
    page1 = client.get(
        "/Observation",
        params={"patient": "p-page", "code": f"{LOINC}|69380-4", "_sort": "date", "_count": "1"},
    ).json()
    assert page1["total"] == 3  # total counts all matches, not the page
    assert ids(page1) == ["obs-page-1"]
    next_url = link(page1, "next")
    assert next_url is not None
    # Absolute URL on the configured base, paging by _offset, query re-encoded and kept (incl. _sort).
    assert next_url.startswith(f"{fhir.base_url}/Observation?")
    assert "_count=1" in next_url and "_offset=1" in next_url and "_sort=date" in next_url
    assert {lk["relation"] for lk in page1["link"]} == {"self", "first", "next", "last"}

    page2 = client.get(next_url).json()  # absolute URL: httpx ignores base_url
    assert ids(page2) == ["obs-page-2"]
    assert link(page2, "previous") is not None
    page3 = client.get(link(page2, "next") or "").json()
    assert ids(page3) == ["obs-page-3"]
    assert link(page3, "next") is None  # last page: no next link

    # No _count: default page size is 20 (max 1000); a single page has no next link.
    assert link(client.get("/Observation", params={"patient": "p-page"}).json(), "next") is None


def test_comma_separated_codes_are_or(fhir: FhirServer, client: httpx.Client) -> None:
    fhir.put_all(
        [
            observation("obs-or-a", "p-or", "69380-4", "2024-01-01", 0.5),
            observation("obs-or-b", "p-or", "2345-7", "2024-01-02", 6.0),
            observation("obs-or-c", "p-or", "4548-4", "2024-01-03", 7.0),
        ]
    )
    bundle = client.get(
        "/Observation",
        params={"patient": "p-or", "code": f"{LOINC}|69380-4,{LOINC}|2345-7", "_sort": "-date"},
    ).json()
    assert ids(bundle) == ["obs-or-b", "obs-or-a"]
    # Code without system matches any system; a wrong system matches nothing.
    assert client.get("/Observation", params={"patient": "p-or", "code": "4548-4"}).json()["total"] == 1
    assert client.get("/Observation", params={"patient": "p-or", "code": "http://other|4548-4"}).json()["total"] == 0


def test_unknown_params_are_ignored_with_a_warning_entry_unless_strict(fhir: FhirServer, client: httpx.Client) -> None:
    """Surprise worth knowing: an unsupported search/sort param does NOT fail the search by default.

    It is dropped (so the search is broader than asked) and an OperationOutcome entry with
    search.mode == "outcome" is appended to the Bundle; ``Prefer: handling=strict`` turns it into a 400.
    """
    fhir.put(observation("obs-unknown", "p-unknown", "69380-4", "2024-01-01", 0.5))
    lenient = client.get("/Observation", params={"patient": "p-unknown", "bogus": "1"}).json()
    assert ids(lenient) == ["obs-unknown"]
    outcome = [e["resource"] for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert outcome and outcome[0]["resourceType"] == "OperationOutcome"
    assert "bogus" in outcome[0]["issue"][0]["diagnostics"]

    strict = client.get(
        "/Observation", params={"patient": "p-unknown", "bogus": "1"}, headers={"Prefer": "handling=strict"}
    )
    assert strict.status_code == 400


def test_other_resource_types_used_by_the_service(fhir: FhirServer, client: httpx.Client) -> None:
    """Search parameter names that really exist per type (they differ: there is no generic 'date')."""
    pid = "p-types"
    fhir.put_all(
        [
            {
                "resourceType": "Patient",
                "id": pid,
                "name": [{"family": "Doe", "given": ["Jane"]}],
                "gender": "female",
                "birthDate": "1960-05-01",
            },
            {
                "resourceType": "Medication",
                "id": "med-1",
                "code": {"coding": [{"system": RXNORM, "code": "860975"}]},
            },
            {
                "resourceType": "MedicationStatement",
                "id": "ms-old",
                "status": "active",
                "medicationReference": {"reference": "Medication/med-1"},
                "subject": {"reference": f"Patient/{pid}"},
                "effectivePeriod": {"start": "2020-01-01"},
            },
            {
                "resourceType": "MedicationStatement",
                "id": "ms-new",
                "status": "active",
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197361"}]},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": "2024-01-01",
            },
            {
                "resourceType": "MedicationRequest",
                "id": "mr-1",
                "status": "active",
                "intent": "order",
                "medicationReference": {"reference": "Medication/med-1"},
                "subject": {"reference": f"Patient/{pid}"},
                "authoredOn": "2024-02-01",
            },
            {
                "resourceType": "Condition",
                "id": "cond-1",
                "subject": {"reference": f"Patient/{pid}"},
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "code": {"coding": [{"system": SNOMED, "code": "44054006"}]},
                "onsetDateTime": "2019-01-01",
            },
            {
                "resourceType": "Procedure",
                "id": "proc-1",
                "status": "completed",
                "code": {"coding": [{"system": SNOMED, "code": "80146002"}]},
                "subject": {"reference": f"Patient/{pid}"},
                "performedDateTime": "2021-01-01",
            },
        ]
    )

    patient = client.get(f"/Patient/{pid}")
    assert patient.status_code == 200 and patient.json()["birthDate"] == "1960-05-01"
    assert client.get("/Patient/does-not-exist").status_code == 404
    assert client.get("/Medication/med-1").json()["code"]["coding"][0]["code"] == "860975"

    ms = client.get(
        "/MedicationStatement",
        params={"patient": pid, "_sort": "-effective", "_include": "MedicationStatement:medication"},
    ).json()
    assert ids(ms) == ["ms-new", "ms-old"]
    assert ids(ms, "include") == ["med-1"]
    # MedicationStatement has no 'date' param: _sort=date is ignored with a warning entry (400 if strict).
    ms_date = client.get("/MedicationStatement", params={"patient": pid, "_sort": "date"}).json()
    assert any(e["search"]["mode"] == "outcome" for e in ms_date["entry"])

    mr = client.get(
        "/MedicationRequest",
        params={
            "patient": pid,
            "status": "active",
            "_sort": "-authoredon",
            "_include": "MedicationRequest:medication",
        },
    ).json()
    assert ids(mr) == ["mr-1"] and ids(mr, "include") == ["med-1"]

    cond = client.get(
        "/Condition",
        params={
            "patient": pid,
            "clinical-status": "active",
            "code": f"{SNOMED}|44054006",
            "_sort": "-onset-date",
        },
    ).json()
    assert ids(cond) == ["cond-1"]

    proc = client.get("/Procedure", params={"patient": pid, "code": f"{SNOMED}|80146002", "_sort": "-date"}).json()
    assert ids(proc) == ["proc-1"]


def test_put_rejects_invalid_fixture_with_server_message(fhir: FhirServer) -> None:
    with pytest.raises(FhirServerError, match=r"400.*Observation\.status"):
        fhir.put({"resourceType": "Observation", "id": "bad", "code": {"text": "x"}})  # status missing
    with pytest.raises(ValueError):
        fhir.put({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})  # no id
