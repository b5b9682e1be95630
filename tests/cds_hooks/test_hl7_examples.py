"""Each HL7 example patient (mCODE, Genomics Reporting, R4 core examples) fired through the hook as prefetch."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.models import FHIR_ID_PATTERN
from tests.builders import bundle, hook_request
from tests.hl7_packages import examples, subject_id

URL = "/cds-services/cml-tki-resistance"


def _by_patient() -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, resource in examples():
        patient = subject_id(resource)
        if patient:
            grouped[patient].append(resource)
    return grouped


@pytest.fixture(scope="module")
def patients() -> dict[str, list[dict[str, Any]]]:
    return _by_patient()


def _request(patient_id: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    request = hook_request(patient_id=patient_id)
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        by_type[resource["resourceType"]].append(resource)
    prefetch = request["prefetch"]
    prefetch["bcrAbl1"] = bundle(*by_type["Observation"])  # every Observation, as a generic EHR would send
    prefetch["medicationStatements"] = bundle(*by_type["MedicationStatement"])
    prefetch["medicationRequests"] = bundle(*by_type["MedicationRequest"])
    prefetch["conditions"] = bundle(*by_type["Condition"])
    return request


def test_every_example_patient_gets_an_answer_without_5xx(
    client: TestClient, patients: dict[str, list[dict[str, Any]]]
) -> None:
    assert len(patients) > 20
    bad: list[str] = []
    for patient_id, resources in patients.items():
        response = client.post(URL, json=_request(patient_id, resources))
        # issue #10: a subject like `Patient/45/_history/2` yields no FHIR id; such a patientId is a 400
        expected = 200 if re.fullmatch(FHIR_ID_PATTERN, patient_id) else 400
        if response.status_code != expected:
            bad.append(f"{patient_id}: {response.status_code} {response.text[:300]}")
    assert bad == []


@pytest.mark.parametrize(
    ("patient_id", "observation"),
    [("cancer-patient-john-anyperson", "genomic-variant-fusion"), ("CGPatientExample01", "ISCN-CMLExample")],
)
def test_bcr_abl1_examples_are_recognised_not_excluded(
    client: TestClient, patients: dict[str, list[dict[str, Any]]], patient_id: str, observation: str
) -> None:
    assert observation in {r.get("id") for r in patients[patient_id]}
    body = client.post(URL, json=_request(patient_id, patients[patient_id])).json()
    excluded = {e["reference"] for e in body["extension"]["org.cmlcds.response"]["excluded"]}
    assert f"Observation/{observation}" not in excluded
